// entry_points.txt and `module:attr` object references (packaging.python.org/specifications/entry-points/).

import { PystoreError } from "../errors.js";

export interface EntryPoint {
  group: string;
  name: string;
  /** "pkg.module" */
  module: string;
  /** "func" or "Class.method"; undefined means the module itself. */
  attr?: string;
}

/** Groups whose names become files (launchers) in the bundle's scripts directory. */
const SCRIPT_GROUPS: ReadonlySet<string> = new Set(["console_scripts", "gui_scripts"]);

/**
 * A script name is a file name on every target and a word in every shell: letters, digits and `._+-`,
 * not starting with `.` or `-` (no path separators, no `..`, no drive letters, no shell metacharacters).
 */
const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

function checkScriptName(source: string, group: string, name: string): void {
  if (SCRIPT_NAME.test(name) && !name.includes("..")) return;
  throw new PystoreError("UNSAFE_WHEEL", `${source}: entry point name ${JSON.stringify(name)} in [${group}] is not a safe file name`, {
    hint: "script names may hold letters, digits and . _ + - only; the wheel is malformed or hostile, and nothing from it was used",
    details: { source, group, name },
  });
}

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Parse an object reference `pkg.mod:attr.path [extras]` (extras are ignored, as installers do). */
export function parseObjectReference(text: string, source: string): { module: string; attr?: string } {
  const extras = /\[([^\]]*)\]\s*$/.exec(text);
  const value = (extras ? text.slice(0, extras.index) : text).trim();
  const [module, attr, ...rest] = value.split(":").map((s) => s.trim());
  // Extras are ignored, but only names may stand there: nothing a launcher or shell could misread.
  const badExtras = extras !== null && !extras[1].split(",").every((e) => /^\s*[A-Za-z0-9._-]+\s*$/.test(e));
  if (badExtras || rest.length > 0 || !DOTTED.test(module) || (attr !== undefined && !DOTTED.test(attr))) {
    throw new PystoreError("INVALID_PYPROJECT", `${source}: ${JSON.stringify(text)} is not an object reference like "pkg.module:function"`);
  }
  return attr === undefined ? { module } : { module, attr };
}

/** Parse entry_points.txt (an INI file; keys may not contain "=" and values are object references). */
export function parseEntryPoints(text: string, source: string): EntryPoint[] {
  const result: EntryPoint[] = [];
  let group: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      group = section[1].trim();
      continue;
    }
    const eq = line.indexOf("=");
    if (group === undefined || eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    if (SCRIPT_GROUPS.has(group)) checkScriptName(source, group, name);
    try {
      result.push({ group, name, ...parseObjectReference(line.slice(eq + 1), source) });
    } catch {
      // Groups other than scripts may hold anything; only scripts must be valid references to be usable.
      if (group === "console_scripts" || group === "gui_scripts") {
        throw new PystoreError(
          "INVALID_METADATA",
          `${source}: entry point ${JSON.stringify(name)} in [${group}] is not a valid object reference`,
        );
      }
    }
  }
  return result;
}
