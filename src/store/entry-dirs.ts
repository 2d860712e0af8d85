// The entry directories under wheels/ as found on disk, rows or not: the content files that are the
// store's truth (store-format/store-layout.md, "The database is an index").

import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { entryDir, wheelsDir } from "./layout.js";

/** Every name under wheels/, sorted. */
export function listEntryDirs(storeDir: string): string[] {
  try {
    return readdirSync(wheelsDir(storeDir)).sort();
  } catch {
    return [];
  }
}

/** The `.whl` files directly inside an entry directory (a writer puts exactly one there), sorted. */
export function wheelFilesIn(storeDir: string, name: string): string[] {
  const dir = entryDir(storeDir, name);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".whl") && lstatSync(join(dir, f)).isFile())
      .sort();
  } catch {
    return [];
  }
}

/** Whether any entry directory holds a wheel file: a store with content, whose index must not be made up afresh. */
export function holdsStoredWheels(storeDir: string): boolean {
  return listEntryDirs(storeDir).some((name) => wheelFilesIn(storeDir, name).length > 0);
}

/** Last-modified time of an entry directory in ms (undefined when it is gone). */
export function entryDirMtime(storeDir: string, name: string): number | undefined {
  try {
    return statSync(entryDir(storeDir, name)).mtimeMs;
  } catch {
    return undefined;
  }
}
