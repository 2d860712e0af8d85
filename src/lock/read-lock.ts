// Reading a pylock.toml from disk: one place for the "missing lock" message and its hint, and for refusing
// a [tool.pystore] table whose keys no longer have the types store-format/pylock-tool-pystore.md gives them.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PystoreError } from "../errors.js";
import { parsePylock, type Pylock } from "../standards/pylock.js";
import { fsCauseInWords } from "../util/fs-errors.js";
import { PIN_KEY, pinsProblem } from "./python-pins.js";

export interface ReadLock {
  lock: Pylock;
  /** The exact bytes read (callers compare them to decide whether a rewrite changes anything). */
  text: string;
  /** sha256 (hex) of the file's bytes, as read. */
  sha256: string;
}

/** Read and validate the lock at `path`; FILE_NOT_FOUND (with a hint) when it cannot be read, INVALID_LOCK when it is malformed. */
export async function readLockFile(path: string): Promise<ReadLock> {
  const { text, sha256 } = await readLockText(path);
  return { lock: parseLockText(text, path), text, sha256 };
}

/** The lock file's text and the sha256 of its bytes, unparsed (lock's memo may stand in for parsing it). */
export async function readLockText(path: string): Promise<{ text: string; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? `there is no lock at ${path}` : `cannot read the lock ${path}: ${fsCauseInWords(error)}`;
    throw new PystoreError("FILE_NOT_FOUND", message, {
      hint: code === "ENOENT" ? "run pystore lock first, or pass -l FILE" : "check the path and its permissions, or pass -l FILE",
      cause: error,
    });
  }
  return { text: bytes.toString("utf8"), sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Parse and validate a lock's text read from `path` (INVALID_LOCK when it is malformed). */
export function parseLockText(text: string, path: string): Pylock {
  const lock = parsePylock(text, path);
  checkRecordedInputs(lock, path);
  return lock;
}

type Shape = "integer" | "string" | "strings" | "boolean" | "targets" | "string-table" | readonly string[];

/** The keys pystore writes into [tool.pystore] and their types (store-format/pylock-tool-pystore.md). */
const RECORDED_KEYS: Record<string, Shape> = {
  "format-version": "integer",
  project: "string",
  requirements: "strings",
  constraints: "strings",
  "requirement-files": "strings",
  "requires-python": "string",
  extras: "strings",
  groups: "strings",
  targets: "targets",
  "no-index": "boolean",
  "index-url": "string",
  "extra-index-urls": "strings",
  "find-links": "strings",
  "index-strategy": ["first-index", "unsafe-best-match"],
  prerelease: ["allow", "if-necessary-or-explicit", "disallow"],
  "exclude-newer": "string",
  "index-pins": "string-table",
  "no-build": "boolean",
  "no-build-packages": "strings",
  "no-binary-packages": "strings",
};

const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
const isTable = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fits(value: unknown, shape: Shape): boolean {
  if (Array.isArray(shape)) return typeof value === "string" && shape.includes(value);
  switch (shape) {
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "strings":
      return isStrings(value);
    case "string-table":
      return isTable(value) && Object.values(value).every((v) => typeof v === "string");
    case "targets":
      return (
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((t) => isTable(t) && typeof t.platform === "string" && typeof t.python === "string" && typeof t.id === "string")
      );
    default:
      return false;
  }
}

function expected(shape: Shape): string {
  if (Array.isArray(shape)) return `one of ${shape.map((s) => JSON.stringify(s)).join(", ")}`;
  const words: Record<string, string> = {
    integer: "an integer",
    string: "a string",
    strings: "an array of strings",
    boolean: "a boolean",
    targets: "a non-empty array of {id, platform, python} tables",
    "string-table": "a table of strings",
  };
  return words[shape as string];
}

/**
 * A bare `pystore lock` and `lock --check` take their defaults from this table. A key whose type was
 * edited would be skipped there and its default used instead: another index (PyPI), the host's target.
 * That must not happen silently, so a malformed known key makes the whole lock INVALID_LOCK. Unknown keys
 * are left alone (a newer pystore may add some).
 */
function checkRecordedInputs(lock: Pylock, path: string): void {
  const table = lock.tool?.pystore;
  if (table === undefined) return;
  if (!isTable(table)) throw recordedError(path, "tool.pystore", "is not a table");
  for (const [key, shape] of Object.entries(RECORDED_KEYS)) {
    const value = table[key];
    if (value === undefined || fits(value, shape)) continue;
    const shown = typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? ` (${JSON.stringify(value)})` : "";
    throw recordedError(path, `tool.pystore.${key}`, `must be ${expected(shape)}${shown}`);
  }
  // The pinned interpreters are an output, but a bundle embeds what they name: a malformed pin is refused too.
  if (table[PIN_KEY] !== undefined) {
    const problem = pinsProblem(table[PIN_KEY]);
    if (problem) throw recordedError(path, `tool.pystore.${PIN_KEY}`, problem);
  }
}

function recordedError(path: string, where: string, problem: string): PystoreError {
  return new PystoreError("INVALID_LOCK", `${path}: invalid lock at ${where}: ${problem}`, {
    hint: "pystore lock records its inputs in [tool.pystore] (store-format/pylock-tool-pystore.md); restore the table, or delete it and run pystore lock with the requirements, targets and indexes you mean",
    details: { path: where },
  });
}
