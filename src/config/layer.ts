// One configuration file as a layer of settings: its keys checked against the catalogue (unknown keys
// are errors with a did-you-mean, keys in the wrong file are errors saying where they belong). Pure: the
// file's parsed table is the input.

import { dirname } from "node:path";
import { PystoreError } from "../errors.js";
import { PROJECT_KEYS, SETTING_BY_KEY, SETTINGS, type Scope, type SettingValue } from "./keys.js";
import { didYouMean } from "../util/suggest.js";
import { parseFileValue } from "./values.js";

/** The files settings come from; "pyproject" is pyproject.toml's [tool.pystore]. */
export type FileKind = "user" | "pystore-toml" | "pyproject";

export interface Layer {
  scope: Scope;
  kind: FileKind;
  file: string;
  values: Map<string, SettingValue>;
}

const KNOWN_KEYS = [...SETTINGS.map((s) => s.key), ...PROJECT_KEYS];

function where(kind: FileKind): string {
  return kind === "user" ? "the user configuration file" : kind === "pystore-toml" ? "pystore.toml" : "pyproject.toml's [tool.pystore]";
}

/** Why `key` may not be in a file of `kind`, or undefined when it may. */
function misplaced(key: string, kind: FileKind): string | undefined {
  if ((PROJECT_KEYS as readonly string[]).includes(key)) {
    return kind === "pyproject" ? undefined : `${key} describes the project: it belongs in pyproject.toml's [tool.pystore]`;
  }
  const def = SETTING_BY_KEY.get(key);
  if (!def) return undefined;
  const scope: Scope = kind === "user" ? "user" : "project";
  if (!def.scopes.includes(scope)) {
    return scope === "project"
      ? `${key} is this machine's setting, not a project's: set it in the user configuration file (or with ${def.flag ?? def.env[0]})`
      : `${key} describes the project: it belongs in pyproject.toml's [tool.pystore]`;
  }
  // Keys the lock records are read from pyproject.toml, so `lock --check` sees every change to them.
  if (def.pyprojectOnly && kind === "pystore-toml") return `${key} is recorded in the lock: set it in pyproject.toml's [tool.pystore]`;
  return undefined;
}

/**
 * A layer from a file's table. `table` is the whole file for config.toml and pystore.toml, and the
 * [tool.pystore] table for pyproject.toml. Keys describing the project (targets, libs, …) are checked by
 * name only: src/project/pyproject.ts reads them.
 */
export function readLayer(table: Record<string, unknown>, source: { kind: FileKind; file: string; home: string }): Layer {
  const { kind, file } = source;
  const code = kind === "pyproject" ? "INVALID_PYPROJECT" : "INVALID_CONFIG";
  const label = (key: string) => (kind === "pyproject" ? `tool.pystore.${key}` : key);
  const values = new Map<string, SettingValue>();
  for (const [key, raw] of Object.entries(table)) {
    if (!KNOWN_KEYS.includes(key)) {
      const guess = didYouMean(key, KNOWN_KEYS);
      throw new PystoreError(
        code,
        `${file}: unknown key ${JSON.stringify(label(key))}${guess ? `; did you mean ${JSON.stringify(label(guess))}?` : ""}`,
        {
          hint: `${where(kind)} takes: ${KNOWN_KEYS.filter((k) => misplaced(k, kind) === undefined).join(", ")} (docs/configuration.md)`,
          details: { file, key, ...(guess ? { suggestion: guess } : {}) },
        },
      );
    }
    const problem = misplaced(key, kind);
    if (problem)
      throw new PystoreError(code, `${file}: ${label(key)} is not allowed in ${where(kind)}`, { hint: problem, details: { file, key } });
    const def = SETTING_BY_KEY.get(key);
    if (!def) continue;
    values.set(key, parseFileValue(def, raw, { file, label: label(key), code, baseDir: dirname(file), home: source.home }));
  }
  return { scope: kind === "user" ? "user" : "project", kind, file, values };
}
