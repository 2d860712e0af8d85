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

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Parse an object reference `pkg.mod:attr.path [extras]` (extras are ignored, as installers do). */
export function parseObjectReference(text: string, source: string): { module: string; attr?: string } {
  const value = text.replace(/\[[^\]]*\]\s*$/, "").trim();
  const [module, attr, ...rest] = value.split(":").map((s) => s.trim());
  if (rest.length > 0 || !DOTTED.test(module) || (attr !== undefined && !DOTTED.test(attr))) {
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
