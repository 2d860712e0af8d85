// Creating user-chosen directories (the store, an export's destination) without Node's recursive mkdir.

import { constants, statSync } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Create `dir` one level at a time after finding its nearest existing ancestor. Node 20's
 * mkdir({ recursive: true }) retries forever when mkdir answers ENOENT under a parent that exists
 * (/proc, /sys, some FUSE mounts), so the recursive form is never used on a user-chosen path.
 * Ends with a writability check: `fail` describes the problem, the caller names what the directory was for.
 */
export async function ensureDirectory(dir: string, fail: (problem: string, cause?: unknown) => Error): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; ) {
    let info;
    try {
      info = await stat(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(current);
      if ((code !== "ENOENT" && code !== "ENOTDIR") || parent === current) throw fail(`cannot look at ${current}: ${(error as Error).message}`, error);
      missing.push(current);
      current = parent;
      continue;
    }
    if (!info.isDirectory()) throw fail(`${current} exists and is not a directory`);
    break;
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A concurrent opener created it first: fine.
      if (code === "EEXIST" && isDirectory(path)) continue;
      throw fail(`cannot create ${path}: ${(error as Error).message}`, error);
    }
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw fail(`${dir} is not writable: ${(error as Error).message}`, error);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
