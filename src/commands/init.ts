// `pystore init [--dry-run] [--force]`: add a [tool.pystore] table (targets, libs, scripts) to an existing
// pyproject.toml, inferred from the project's layout and the host. The file is appended to, never
// re-serialized: every byte already there stays as it was (with --force, only the old table's lines go).

import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { isDeepStrictEqual } from "node:util";
import { parse as parseToml } from "smol-toml";
import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { detectHost } from "../platform/host.js";
import { parsePyproject } from "../project/pyproject.js";
import { parsePlatformName } from "../standards/targets.js";
import type { PlatformSpec } from "../standards/tags.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { compareStrings } from "../util/order.js";

interface InitOptions {
  project?: string;
  dryRun?: boolean;
  force?: boolean;
  yes?: boolean;
}

/** The named target for the machine pystore runs on (docs/locking.md), or undefined when it has none. */
function hostPlatformName(spec: PlatformSpec): string | undefined {
  let name: string;
  if (spec.os === "windows") name = spec.platform;
  else if (spec.os === "macos") name = `macosx_${spec.arch}`;
  else if (spec.libc?.kind === "glibc") name = `manylinux_${spec.arch}`;
  else if (spec.libc?.kind === "musl") name = `musllinux_${spec.arch}`;
  else name = `linux_${spec.arch}`;
  try {
    parsePlatformName(name);
    return name;
  } catch {
    return undefined;
  }
}

const bareKey = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));
// A JSON string is a valid TOML basic string for the text we write (paths, names, versions).
const str = (value: string) => JSON.stringify(value);

interface Inferred {
  target?: { platform: string; python: string };
  libs?: string[];
  scripts: [string, string][];
  projectScripts: string[];
  notes: string[];
}

async function infer(projectDir: string, projectScripts: string[], env: NodeJS.ProcessEnv): Promise<Inferred> {
  const notes: string[] = [];
  let target: Inferred["target"];
  try {
    const host = await detectHost({ env });
    const platform = hostPlatformName(host.spec);
    if (platform) target = { platform, python: `${host.version[0]}.${host.version[1]}` };
    else notes.push("this machine has no named target: add targets by hand (docs/locking.md)");
  } catch {
    notes.push("no python3 found to detect this machine: add targets by hand (docs/locking.md)");
  }
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  const libs = isDir(join(projectDir, "src")) ? ["src"] : undefined;
  const scripts: [string, string][] = [];
  if (isDir(join(projectDir, "bin"))) {
    for (const file of readdirSync(join(projectDir, "bin")).sort(compareStrings)) {
      if (!file.endsWith(".py") || file.startsWith(".") || file === "__init__.py") continue;
      scripts.push([file.slice(0, -3).replace(/_/g, "-"), `bin/${file}`]);
    }
  }
  // [project.scripts] are bundled as they are; a same-named [tool.pystore.scripts] entry would replace one.
  const taken = new Set(projectScripts);
  return { target, libs, scripts: scripts.filter(([name]) => !taken.has(name)), projectScripts, notes };
}

/** The text to add, in the file's line ending. */
function tableText(found: Inferred, eol: string): string {
  const lines = ["[tool.pystore]"];
  if (found.target) lines.push(`targets = [{ platform = ${str(found.target.platform)}, python = ${str(found.target.python)} }]`);
  if (found.libs) lines.push(`libs = [${found.libs.map(str).join(", ")}]`);
  if (found.projectScripts.length > 0) lines.push(`# [project.scripts] (${found.projectScripts.join(", ")}) are bundled too.`);
  if (found.scripts.length > 0) {
    lines.push("", "[tool.pystore.scripts]");
    for (const [name, path] of found.scripts) lines.push(`${bareKey(name)} = ${str(path)}`);
  }
  return lines.join(eol) + eol;
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;

/** `text` without the lines of [tool.pystore] and its sub-tables; checked by the caller. */
function withoutTable(text: string): string {
  const lines = text.split(/(?<=\n)/);
  let inside = false;
  return lines
    .filter((line) => {
      const header = HEADER.exec(line.replace(/\r?\n$/, ""));
      if (header) inside = /^tool\s*\.\s*pystore(\s*\..*)?$/.test(header[1]);
      return !inside;
    })
    .join("");
}

function parsed(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new PystoreError("INVALID_PYPROJECT", `${path}: not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The document without tool.pystore, to check that nothing else changed. */
function rest(doc: Record<string, unknown>): Record<string, unknown> {
  const tool = { ...((doc.tool as Record<string, unknown> | undefined) ?? {}) };
  delete tool.pystore;
  const { tool: _, ...others } = doc;
  return Object.keys(tool).length > 0 ? { ...others, tool } : others;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    return answer === "" || answer === "y" || answer === "yes";
  } finally {
    rl.close();
  }
}

const handler: Handler<InitOptions> = async (_args, options, ctx) => {
  const projectDir = resolve(ctx.cwd, options.project ?? ".");
  const path = join(projectDir, "pyproject.toml");
  let original: string;
  try {
    original = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new PystoreError("IO", `cannot read ${path}: ${(error as Error).message}`);
    throw new PystoreError("FILE_NOT_FOUND", `no pyproject.toml in ${projectDir}`, {
      hint: "run pystore init in a project's directory (or pass --project DIR); create pyproject.toml with a [project] table first",
    });
  }
  const before = parsed(original, path);
  const project = parsePyproject(original, path);
  let base = original;
  if ((before.tool as Record<string, unknown> | undefined)?.pystore !== undefined) {
    if (!options.force)
      throw new PystoreError("USAGE", `${path} already has a [tool.pystore] table`, {
        hint: "edit it by hand, or run `pystore init --force` to replace it (the rest of the file is kept)",
      });
    base = withoutTable(original);
    const after = parsed(base, path);
    if ((after.tool as Record<string, unknown> | undefined)?.pystore !== undefined || !isDeepStrictEqual(rest(after), rest(before)))
      throw new PystoreError(
        "USAGE",
        `${path}: the existing [tool.pystore] is not written as its own tables, so --force cannot remove it safely`,
        {
          hint: "remove it by hand, then run pystore init again",
        },
      );
  }
  const eol = original.includes("\r\n") ? "\r\n" : "\n";
  const found = await infer(projectDir, Object.keys(project.scripts).sort(compareStrings), ctx.env);
  const table = tableText(found, eol);
  const separator = base === "" ? "" : base.endsWith(eol + eol) ? "" : base.endsWith(eol) ? eol : eol + eol;
  const next = base + separator + table;
  // The result must read back as the same project plus the new table.
  const check = parsed(next, path);
  parsePyproject(next, path);
  if (!isDeepStrictEqual(rest(check), rest(before)))
    throw new PystoreError("INTERNAL", `adding [tool.pystore] would change other parts of ${path}`);
  for (const note of found.notes) ctx.log.warn(note);
  ctx.out(tableText(found, "\n").trimEnd());
  if (options.dryRun) {
    ctx.log.info(`dry run: would add the table above to ${path}`);
    return 0;
  }
  // Ask only a person at a terminal; scripts and CI (stdin not a TTY) get the inferred table as it is.
  if (process.stdin.isTTY && !options.yes && !(await confirm(`Add this to ${path}? [Y/n] `))) {
    ctx.log.info("nothing written");
    return 0;
  }
  const mode = statSync(path).mode & 0o777;
  await writeFileAtomic(path, next, { mode });
  ctx.log.info(`added [tool.pystore] to ${path}${options.force && base !== original ? " (replacing the old one)" : ""}`);
  return 0;
};

export default handler;
