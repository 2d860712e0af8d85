// What shell completion knows about pystore, read from the commander definitions themselves, so the
// scripts cannot drift from the CLI: every command path with its subcommands and options.

import type { Command, Option } from "commander";
import { compareStrings } from "../../util/order.js";

export interface CompletionOption {
  /** "--platform", and "-o" when there is a short form. */
  long?: string;
  short?: string;
  description: string;
  /** Takes a value (`--platform <platform>`). */
  takesValue: boolean;
  /** Values to offer, when they are a fixed set. */
  values?: string[];
}

export interface CompletionCommand {
  /** Words from `pystore` to here, e.g. ["store", "gc"]; [] for pystore itself. */
  path: string[];
  description: string;
  subcommands: { name: string; description: string }[];
  options: CompletionOption[];
}

// Values worth offering for options whose set is known; everything else completes files.
const KNOWN_VALUES: Record<string, string[]> = {
  "--format": ["dir", "tar.gz", "pyz", "oci"],
  "--platform": [
    "host",
    "manylinux_x86_64",
    "manylinux_aarch64",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "macosx_x86_64",
    "macosx_arm64",
    "win_amd64",
    "win_arm64",
    "win32",
  ],
  "--python": ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"],
  "--prerelease": ["allow", "if-necessary-or-explicit", "disallow"],
  "--index-strategy": ["first-index", "unsafe-best-match"],
};

function option(o: Option): CompletionOption {
  return {
    ...(o.long ? { long: o.long } : {}),
    ...(o.short ? { short: o.short } : {}),
    description: o.description,
    takesValue: o.required || o.optional,
    ...(o.long && KNOWN_VALUES[o.long] ? { values: KNOWN_VALUES[o.long] } : {}),
  };
}

/** Every command reachable from `program`, parents before children, sorted by path. */
export function completionModel(program: Command): CompletionCommand[] {
  const out: CompletionCommand[] = [];
  const visit = (command: Command, path: string[], inherited: CompletionOption[]) => {
    const own = command.options.filter((o) => !o.hidden).map(option);
    const options = [...inherited, ...own, { long: "--help", short: "-h", description: "show help", takesValue: false }];
    const subcommands = command.commands
      .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
      .map((c) => ({ name: c.name(), description: c.description() }))
      .sort((a, b) => compareStrings(a.name, b.name));
    // `pystore bundle -o x` runs the default subcommand (`bundle build`): its options complete at `bundle` too.
    const defaultName = (command as Command & { _defaultCommandName?: string })._defaultCommandName;
    const byDefault = command.commands.find((c) => c.name() === defaultName);
    const defaults = byDefault ? byDefault.options.filter((o) => !o.hidden).map(option) : [];
    out.push({ path, description: command.description(), subcommands, options: dedupe([...options, ...defaults]) });
    // The program's own options (-v, --store) are accepted after any subcommand too.
    const passDown = path.length === 0 ? own.filter((o) => o.long !== "--version") : inherited;
    for (const sub of command.commands) visit(sub, [...path, sub.name()], passDown);
  };
  visit(program, [], []);
  return out.sort((a, b) => compareStrings(a.path.join(" "), b.path.join(" ")));
}

function dedupe(options: CompletionOption[]): CompletionOption[] {
  const seen = new Set<string>();
  return options.filter((o) => {
    const key = o.long ?? o.short ?? "";
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
