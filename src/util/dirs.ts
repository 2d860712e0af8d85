// Creating directories on user-chosen paths (the store, an output file's directory) without Node's recursive mkdir.

import { constants, statSync } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

interface Problem {
  problem: string;
  cause?: unknown;
}

/** A directory removed under us (a concurrent gc emptying the store) answers ENOENT just as /proc does. */
const ATTEMPTS = 3;

/**
 * Create `dir` one level at a time after finding its nearest existing ancestor. Node 20's
 * mkdir({ recursive: true }) retries forever when mkdir answers ENOENT under a parent that exists
 * (/proc, /sys, some FUSE mounts), so the recursive form is never used on a user-chosen path; here an
 * ENOENT gets a few fresh attempts (enough to outlast a concurrent removal), never an unbounded loop.
 * Ends with a writability check: `fail` describes the problem, the caller names what the directory was for.
 */
export async function ensureDirectory(dir: string, fail: (problem: string, cause?: unknown) => Error): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const found = await ensureOnce(dir);
    if (!found) return;
    const vanished = (found.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    if (!vanished || attempt >= ATTEMPTS) throw fail(found.problem, found.cause);
  }
}

async function ensureOnce(dir: string): Promise<Problem | undefined> {
  const missing: string[] = [];
  for (let current = dir; ; ) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(current);
      if ((code !== "ENOENT" && code !== "ENOTDIR") || parent === current)
        return { problem: `cannot look at ${current}: ${(error as Error).message}`, cause: error };
      missing.push(current);
      current = parent;
      continue;
    }
    if (!info.isDirectory()) return { problem: `${current} exists and is not a directory` };
    break;
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A concurrent opener created it first: fine.
      if (code === "EEXIST" && isDirectory(path)) continue;
      return { problem: `cannot create ${path}: ${(error as Error).message}`, cause: error };
    }
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return { problem: `${dir} is not writable: ${(error as Error).message}`, cause: error };
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
