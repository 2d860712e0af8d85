// `store verify` for unpacked trees: re-hash every file of an entry's tree against the wheel's own RECORD
// (read from the verified .whl) and the tree's index; nothing missing, nothing extra.

import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { RecordRow } from "../standards/record.js";
import { matchesRecordHash } from "../wheel/record.js";
import { openZipSource } from "../wheel/source.js";
import { readVerifiedSync } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { TREE_FILES, TREE_INDEX, readTree, type Tree, treeDir } from "./tree.js";

export interface TreeCheck {
  status: "none" | "ok" | "corrupted";
  /** The first problem found, naming the file. */
  reason?: string;
}

/** The wheel's RECORD rows by path, from the .whl (whose bytes are checked against the row first). */
async function recordOf(entry: StoreEntry): Promise<Map<string, RecordRow>> {
  const bytes = readVerifiedSync(entry.path, entry.sha256, entry.size, entry.filename);
  const source = await openZipSource(entry.path, entry.filename, { data: bytes });
  source.close();
  return source.listing.recorded;
}

function listFiles(dir: string, rel = "", out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = rel === "" ? name : `${rel}/${name}`;
    const info = lstatSync(join(dir, name));
    if (info.isDirectory()) listFiles(join(dir, name), path, out);
    else out.push(path);
  }
  return out;
}

/** Check an entry's tree, if it has one. The .whl must already be known good (its RECORD is the reference). */
export async function checkTree(storeDir: string, entry: StoreEntry): Promise<TreeCheck> {
  let tree: Tree | undefined;
  try {
    tree = readTree(storeDir, entry);
  } catch (error) {
    if (error instanceof PystoreError && error.code === "STORE_CORRUPTED")
      return { status: "corrupted", reason: `${TREE_INDEX} is damaged` };
    throw error;
  }
  if (!tree) {
    // A tree directory without its index was never renamed into place by pystore: damage.
    try {
      lstatSync(treeDir(storeDir, entry.entryName));
      return { status: "corrupted", reason: `${TREE_INDEX} is missing` };
    } catch {
      return { status: "none" };
    }
  }
  const recorded = await recordOf(entry);
  const indexed = new Map(tree.index.files.map((f) => [f.path, f]));
  let present: string[];
  try {
    present = listFiles(join(tree.dir, TREE_FILES));
  } catch (error) {
    return { status: "corrupted", reason: `cannot list ${TREE_FILES}/: ${(error as Error).message}` };
  }
  for (const path of present) if (!indexed.has(path)) return { status: "corrupted", reason: `${path}: not in the wheel` };
  for (const file of tree.index.files) {
    let data: Buffer;
    let mode: number;
    try {
      mode = lstatSync(join(tree.filesDir, file.path)).mode;
      data = readFileSync(join(tree.filesDir, file.path));
    } catch {
      return { status: "corrupted", reason: `${file.path}: missing` };
    }
    // A chmod through a bundle's hard link changes the tree's file too (and every tree sharing it).
    if (((mode & 0o111) !== 0) !== file.executable)
      return { status: "corrupted", reason: `${file.path}: mode ${(mode & 0o777).toString(8)} does not match the wheel's` };
    const sha256 = createHash("sha256").update(data).digest("hex");
    if (sha256 !== file.sha256 || data.length !== file.size)
      return { status: "corrupted", reason: `${file.path}: sha256 ${sha256} does not match ${file.sha256}` };
    const row = recorded.get(file.path);
    // RECORD cannot hash itself (or its signatures); those are compared with the index only.
    if (!row?.hash) continue;
    if (!matchesRecordHash(row, data, Buffer.from(sha256, "hex")))
      return { status: "corrupted", reason: `${file.path}: does not match the wheel's RECORD` };
  }
  for (const path of recorded.keys()) if (!indexed.has(path)) return { status: "corrupted", reason: `${path}: missing from the tree` };
  return { status: "ok" };
}
