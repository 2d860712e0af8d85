// PEP 751 validation of a parsed pylock.toml document: every problem names its dotted path
// (`packages[3].wheels[0].hashes`), as pypa/packaging's pylock module does.

import { PystoreError } from "../../errors.js";
import { isValidProjectName } from "../normalize.js";
import { TomlDateTime, isPlainTable, isTomlDateTimeText, type TomlTable, type TomlValue } from "./toml-writer.js";

class LockShapeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

export function fail(path: string, problem: string): never {
  throw new LockShapeError(path, problem);
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function optString(table: TomlTable, key: string, path: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") fail(join(path, key), `expected a string, got ${describe(value)}`);
  return value;
}

export function reqString(table: TomlTable, key: string, path: string): string {
  const value = optString(table, key, path);
  if (value === undefined) fail(join(path, key), "is required");
  return value;
}

export function optStringArray(table: TomlTable, key: string, path: string): string[] | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(join(path, key), `expected an array of strings, got ${describe(value)}`);
  return value.map((item, i) => {
    if (typeof item !== "string") fail(join(join(path, key), i), `expected a string, got ${describe(item)}`);
    return item;
  });
}

export function optTable(table: TomlTable, key: string, path: string): TomlTable | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!isPlainTable(value)) fail(join(path, key), `expected a table, got ${describe(value)}`);
  return value;
}

export function optTableArray(table: TomlTable, key: string, path: string): TomlTable[] | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(join(path, key), `expected an array of tables, got ${describe(value)}`);
  return value.map((item, i) => {
    if (!isPlainTable(item)) fail(join(join(path, key), i), `expected a table, got ${describe(item)}`);
    return item;
  });
}

export function optInteger(table: TomlTable, key: string, path: string): number | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    fail(join(path, key), `expected a non-negative integer, got ${describe(value)}`);
  return value;
}

export function optBoolean(table: TomlTable, key: string, path: string): boolean | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") fail(join(path, key), `expected a boolean, got ${describe(value)}`);
  return value;
}

/** upload-time: a TOML datetime per the spec; an RFC 3339 string is accepted too (some writers quote it). */
export function optDateTime(table: TomlTable, key: string, path: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (value instanceof TomlDateTime) return value.text;
  if (typeof value === "string" && isTomlDateTimeText(value)) return value;
  fail(join(path, key), `expected a datetime, got ${describe(value)}`);
}

export function hashes(table: TomlTable, path: string): Record<string, string> {
  const value = table.hashes;
  const where = join(path, "hashes");
  if (value === undefined) fail(where, "is required: every file in a lock needs at least one hash");
  if (!isPlainTable(value)) fail(where, `expected a table of algorithm = digest, got ${describe(value)}`);
  const out: Record<string, string> = {};
  for (const [algorithm, digest] of Object.entries(value)) {
    if (typeof digest !== "string" || !/^[0-9a-fA-F]+$/.test(digest))
      fail(join(where, algorithm), `expected a hex digest string, got ${describe(digest)}`);
    out[algorithm] = digest;
  }
  if (Object.keys(out).length === 0) fail(where, "is empty: every file in a lock needs at least one hash");
  if (out.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(out.sha256))
    fail(join(where, "sha256"), `expected 64 hex digits, got "${out.sha256}"`);
  return out;
}

/**
 * Paths in a lock are relative to the lock's directory; one that is absolute or climbs out of it
 * could make an install read arbitrary files, so pystore refuses it.
 */
export function checkPath(path: string, where: string): string {
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(path)) {
    fail(where, `"${path}" is absolute; paths must stay inside the project (relative to the lock file)`);
  }
  const parts: string[] = [];
  for (const part of path.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) fail(where, `"${path}" points outside the project (relative to the lock file)`);
      parts.pop();
    } else parts.push(part);
  }
  return path;
}

export function checkName(name: string, where: string): string {
  if (!isValidProjectName(name)) fail(where, `"${name}" is not a valid project name`);
  return name;
}

function describe(value: TomlValue | unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value instanceof TomlDateTime) return `datetime ${value.text}`;
  if (isPlainTable(value)) return "a table";
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function toPystoreError(error: unknown, source: string): unknown {
  if (error instanceof LockShapeError) {
    return new PystoreError("INVALID_LOCK", `${source}: invalid lock at ${error.path}: ${error.problem}`, {
      hint: "pylock.toml follows PEP 751 (https://packaging.python.org/specifications/pylock-toml/)",
      details: { path: error.path },
    });
  }
  return error;
}
