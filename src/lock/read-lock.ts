// Reading a pylock.toml from disk: one place for the "missing lock" message and its hint.

import { readFile } from "node:fs/promises";
import { PystoreError } from "../errors.js";
import { parsePylock, type Pylock } from "../standards/pylock.js";

export interface ReadLock {
  lock: Pylock;
  /** The exact bytes read (callers compare them to decide whether a rewrite changes anything). */
  text: string;
}

/** Read and validate the lock at `path`; FILE_NOT_FOUND (with a hint) when it cannot be read, INVALID_LOCK when it is malformed. */
export async function readLockFile(path: string): Promise<ReadLock> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PystoreError("FILE_NOT_FOUND", `cannot read the lock ${path}: ${code ?? (error as Error).message}`, {
      hint: code === "ENOENT" ? "run pystore lock first, or pass -l FILE" : "check the path and its permissions, or pass -l FILE",
      cause: error,
    });
  }
  return { lock: parsePylock(text, path), text };
}
