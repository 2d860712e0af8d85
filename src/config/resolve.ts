// Sources → effective settings with provenance: flags > environment > project files > user file > defaults
// (docs/configuration.md). Pure: the flags, the environment and the files' layers are all parameters.

import { PystoreError } from "../errors.js";
import { SETTING_BY_KEY, SETTINGS, type SettingDef, type SettingValue } from "./keys.js";
import type { Layer } from "./layer.js";
import { parseText } from "./values.js";

export type Origin =
  | { kind: "flag"; name: string }
  | { kind: "env"; name: string }
  | { kind: "project"; file: string }
  | { kind: "user"; file: string }
  | { kind: "default" };

export interface Effective {
  key: string;
  /** Undefined: not set anywhere and no default (no proxy, no extra CA file). */
  value: SettingValue | undefined;
  origin: Origin;
}

/** A flag as the command line gave it, already typed by commander (strings, string arrays, booleans). */
export interface FlagValue {
  name: string;
  value: string | string[] | boolean;
}

export interface Sources {
  /** Setting key → the flag given for it; absent keys were not given. */
  flags: Partial<Record<string, FlagValue>>;
  env: NodeJS.ProcessEnv;
  /** pystore.toml and pyproject.toml's [tool.pystore] (a key may be in one of them only). */
  project: Layer[];
  user?: Layer;
  /** Defaults that depend on the machine (the store directory). */
  defaults?: Partial<Record<string, SettingValue>>;
}

interface Candidate {
  value: SettingValue;
  origin: Origin;
}

function flagCandidate(def: SettingDef, flag: FlagValue | undefined): Candidate | undefined {
  if (flag === undefined) return undefined;
  const origin: Origin = { kind: "flag", name: flag.name };
  const raw = flag.value;
  if (typeof raw === "boolean") return { value: raw, origin };
  if (Array.isArray(raw)) return raw.length === 0 ? undefined : { value: raw, origin };
  const value = parseText(def, raw, flag.name);
  return value === undefined ? undefined : { value, origin };
}

function envCandidate(def: SettingDef, env: NodeJS.ProcessEnv): Candidate | undefined {
  for (const name of def.env) {
    const raw = env[name];
    if (raw === undefined) continue;
    const value = parseText(def, raw, name);
    if (value !== undefined) return { value, origin: { kind: "env", name } };
  }
  return undefined;
}

function layerCandidate(layer: Layer | undefined, key: string): Candidate | undefined {
  const value = layer?.values.get(key);
  if (layer === undefined || value === undefined) return undefined;
  return { value, origin: layer.scope === "user" ? { kind: "user", file: layer.file } : { kind: "project", file: layer.file } };
}

/** Every source's value for `key`, highest precedence first; lazily, so a lower source is read only when needed. */
export function* candidates(key: string, sources: Sources): Generator<Candidate> {
  const def = SETTING_BY_KEY.get(key);
  if (!def) throw new PystoreError("INTERNAL", `no setting named ${JSON.stringify(key)}`);
  const steps = [
    () => flagCandidate(def, sources.flags[key]),
    () => envCandidate(def, sources.env),
    ...sources.project.map((layer) => () => layerCandidate(layer, key)),
    () => layerCandidate(sources.user, key),
  ];
  for (const step of steps) {
    const found = step();
    if (found) yield found;
  }
}

/** One setting: the highest source that sets it, else its default ("any" settings: the first source that turns it on). */
export function resolveSetting(key: string, sources: Sources): Effective {
  const def = SETTING_BY_KEY.get(key);
  let chosen: Candidate | undefined;
  for (const found of candidates(key, sources)) {
    chosen ??= found;
    if (def?.merge !== "any" || found.value === true) {
      chosen = def?.merge === "any" ? found : chosen;
      break;
    }
  }
  if (chosen) return { key, ...chosen };
  return { key, value: sources.defaults?.[key] ?? def?.default, origin: { kind: "default" } };
}

/** Every setting, in the catalogue's order (`pystore config show`). */
export function resolveAll(sources: Sources): Effective[] {
  return SETTINGS.map((def) => resolveSetting(def.key, sources));
}

/** The same sources without the environment and the user file: what a project alone decides (`lock --check`). */
export function projectOnly(sources: Sources): Sources {
  return { ...sources, env: {}, user: undefined };
}
