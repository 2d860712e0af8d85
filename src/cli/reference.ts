// docs/commands.md, generated from the commander definitions (so the reference cannot drift from the
// CLI): every command with its usage, description, arguments and options.

import type { Command } from "commander";
import { compareStrings } from "../util/order.js";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function usage(path: string[], command: Command): string {
  const args = (
    command as Command & { registeredArguments: { name(): string; required: boolean; variadic: boolean }[] }
  ).registeredArguments
    .map((a) => {
      const name = `${a.name()}${a.variadic ? "..." : ""}`;
      return a.required ? `<${name}>` : `[${name}]`;
    })
    .join(" ");
  const sub = command.commands.length > 0 ? " <command>" : "";
  return ["pystore", ...path, command.options.length > 0 ? "[options]" : "", args].filter(Boolean).join(" ") + sub;
}

function section(path: string[], command: Command, lines: string[]): void {
  if (path.length > 0) {
    lines.push(`## pystore ${path.join(" ")}`, "", command.description(), "", "```", usage(path, command), "```", "");
    const args = (command as Command & { registeredArguments: { name(): string; description: string }[] }).registeredArguments;
    if (args.length > 0) {
      lines.push("| argument | meaning |", "| --- | --- |");
      for (const a of args) lines.push(`| \`${a.name()}\` | ${cell(a.description)} |`);
      lines.push("");
    }
    const options = command.options.filter((o) => !o.hidden);
    if (options.length > 0) {
      lines.push("| option | meaning |", "| --- | --- |");
      for (const o of options) {
        const extra = o.defaultValue !== undefined && o.defaultValue !== false ? ` (default: \`${String(o.defaultValue)}\`)` : "";
        lines.push(`| \`${cell(o.flags)}\` | ${cell(o.description)}${extra} |`);
      }
      lines.push("");
    }
    if (command.commands.length > 0) {
      const names = command.commands.map((c) => `\`${c.name()}\``).sort(compareStrings);
      lines.push(`Subcommands: ${names.join(", ")}.`, "");
    }
  }
  for (const sub of [...command.commands].sort((a, b) => compareStrings(a.name(), b.name()))) section([...path, sub.name()], sub, lines);
}

export function commandReference(program: Command): string {
  const lines = [
    "# Command reference",
    "",
    "Generated from pystore's command definitions by `npm run docs:commands`; a test fails when it is out of",
    "date. Exit codes: [exit-codes.md](exit-codes.md). JSON output: [json.md](json.md).",
    "",
    "## Global options",
    "",
    "Accepted before or after any command.",
    "",
    "| option | meaning |",
    "| --- | --- |",
  ];
  for (const o of program.options) lines.push(`| \`${cell(o.flags)}\` | ${cell(o.description)} |`);
  lines.push("");
  section([], program, lines);
  return `${lines.join("\n").trimEnd()}\n`;
}
