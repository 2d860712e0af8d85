// One setting's value as it is written: a flag's or a variable's text, or a TOML value in a file; checked
// against the key's kind, with errors that quote the input and name where it came from. Pure.

import { isAbsolute, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { redactText } from "../util/redact.js";
import type { SettingDef, SettingValue } from "./keys.js";

/** Where a flag's or variable's text came from: "--retries" (a usage error) or "PYSTORE_RETRIES" (configuration). */
export function parseText(def: SettingDef, raw: string, name: string): SettingValue | undefined {
  const code = name.startsWith("-") ? "USAGE" : "INVALID_CONFIG";
  const text = raw.trim();
  // An empty variable counts as unset, as it always has (PYSTORE_INDEX_URL= turns the variable off).
  if (text === "") return undefined;
  const shown = `${name}=${JSON.stringify(redactText(text))}`;
  switch (def.kind.type) {
    case "url":
    case "path":
      return text;
    case "urls":
    case "paths":
      return text.split(/\s+/);
    case "seconds": {
      const value = Number(text);
      if (!Number.isFinite(value) || value <= 0) throw new PystoreError(code, `${shown} is not a positive number of seconds`);
      return value;
    }
    case "count": {
      if (!/^\d+$/.test(text) || Number(text) < def.kind.min) throw new PystoreError(code, `${shown} is not an integer >= ${def.kind.min}`);
      return Number(text);
    }
    case "bool": {
      const lower = text.toLowerCase();
      if (["0", "false", "no", "off"].includes(lower)) return false;
      if (["1", "true", "yes", "on"].includes(lower)) return true;
      throw new PystoreError(code, `${shown} is not a boolean`, { hint: "use 1 or 0" });
    }
    case "choice": {
      if (!def.kind.choices.includes(text))
        throw new PystoreError(code, `${shown} is not one of ${def.kind.choices.join(", ")}`, {
          hint: `use one of: ${def.kind.choices.join(", ")}`,
        });
      return text;
    }
    case "table":
      throw new PystoreError(code, `${name} cannot be given as text`);
  }
}

/** Where a file value sits, for messages and for relative paths. */
export interface FileSpot {
  file: string;
  /** How the key is named in messages: "retries" or "tool.pystore.retries". */
  label: string;
  code: "INVALID_CONFIG" | "INVALID_PYPROJECT";
  /** Relative paths are relative to the file's directory. */
  baseDir: string;
  home: string;
}

function expandPath(text: string, spot: FileSpot): string {
  if (text === "~" || text.startsWith("~/")) return resolve(spot.home, `.${text.slice(1)}`);
  return isAbsolute(text) ? text : resolve(spot.baseDir, text);
}

/** A URL or a path: a path (not `scheme://…`) is taken relative to the file, as find-links are. */
function expandLink(text: string, spot: FileSpot): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : expandPath(text, spot);
}

const describe = (value: unknown) => redactText(JSON.stringify(value) ?? String(value));

/** A TOML value for `def`, checked; paths made absolute against the file's directory. */
export function parseFileValue(def: SettingDef, raw: unknown, spot: FileSpot): SettingValue {
  const fail = (expected: string) =>
    new PystoreError(spot.code, `${spot.file}: ${spot.label} must be ${expected}, got ${describe(raw)}`, {
      hint: `see docs/configuration.md for ${def.key}`,
      details: { file: spot.file, key: def.key },
    });
  const strings = (): string[] => {
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== "string" || v.trim() === "")) throw fail("an array of non-empty strings");
    return raw as string[];
  };
  switch (def.kind.type) {
    case "url":
      if (typeof raw !== "string" || raw.trim() === "") throw fail("a non-empty string");
      return raw.trim();
    case "path":
      if (typeof raw !== "string" || raw.trim() === "") throw fail("a non-empty string (a path)");
      return expandPath(raw.trim(), spot);
    case "urls":
      return strings();
    case "paths":
      return strings().map((p) => expandLink(p, spot));
    case "seconds":
      if (typeof raw !== "number" || !Number.isFinite(raw) || raw <= 0) throw fail("a positive number of seconds");
      return raw;
    case "count":
      if (typeof raw !== "number" || !Number.isInteger(raw) || raw < def.kind.min) throw fail(`an integer >= ${def.kind.min}`);
      return raw;
    case "bool":
      if (typeof raw !== "boolean") throw fail("true or false");
      return raw;
    case "choice":
      if (typeof raw !== "string" || !def.kind.choices.includes(raw))
        throw fail(`one of ${def.kind.choices.map((c) => JSON.stringify(c)).join(", ")}`);
      return raw;
    case "table": {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== "string"))
        throw fail("a table of strings");
      return { ...(raw as Record<string, string>) };
    }
  }
}
