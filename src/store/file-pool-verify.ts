// `store verify`'s check-pool step: every pool file re-hashed against its name (store-format/store-layout.md,
// "The file pool"); with --repair, a damaged one's name is removed so that trees are made with fresh bytes.

import { lstatSync } from "node:fs";
import { discardPoolFile, hashFile, listPool } from "./file-pool.js";

export interface PoolProblem {
  path: string;
  reason: string;
  /** The damaged file's pool name was removed (the trees that link it are repaired by check-trees). */
  repaired: boolean;
}

export interface PoolCheck {
  checked: number;
  problems: PoolProblem[];
  /**
   * Names under files/ that are not pool names. pystore never writes them, so they are not damage to its
   * data: reported, left alone, and no reason for verify to fail (no repair could make them go away).
   */
  strays: string[];
}

export function checkPool(storeDir: string, opts: { repair?: boolean } = {}): PoolCheck {
  const { files, strays } = listPool(storeDir);
  const problems: PoolProblem[] = [];
  for (const file of files) {
    let reason: string | undefined;
    try {
      const info = lstatSync(file.path);
      const found = info.isFile() ? hashFile(file.path) : undefined;
      if (found === undefined) reason = "not a regular file";
      else if (found !== file.sha256) reason = `sha256 ${found} does not match its name`;
      else if (((info.mode & 0o111) !== 0) !== file.executable) reason = `mode ${(info.mode & 0o777).toString(8)} does not match its name`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // gc removed it meanwhile
      reason = `cannot read it: ${(error as Error).message}`;
    }
    if (reason === undefined) continue;
    let repaired = false;
    if (opts.repair) {
      discardPoolFile(file.path);
      repaired = true;
    }
    problems.push({ path: file.path, reason, repaired });
  }
  return { checked: files.length, problems, strays };
}
