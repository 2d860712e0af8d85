// Unpacked, read-only trees of stored wheels (wheels/<entry-name>/tree/, store-format/store-layout.md,
// "Unpacked trees"): created lazily from the verified .whl by the write protocol, linked into bundles.

import { createHash } from "node:crypto";
import { chmodSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TREE_INDEX_VERSION } from "../format-versions.js";
import { tempName } from "../util/atomic-write.js";
import { writeFailure } from "../util/fs-errors.js";
import type { WheelSource } from "../wheel/source.js";
import { removeReadOnly } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { entryDir, tmpDir } from "./layout.js";
import type { StoredWheel } from "./stored-wheel.js";
import { extractInto, TREE_DIR_MODE, TREE_FILES, TREE_INDEX, type UnpackOptions } from "./tree-unpack.js";
import { fileChanged } from "../install/intact-files.js";

export { checkUnchanged, TREE_FILES, TREE_INDEX } from "./tree-unpack.js";

/** `wheels/<entry-name>/tree/`: beside the wheel, so gc and repair of an entry see both. */
const TREE_DIR = "tree";

export interface TreeFile {
  /** Archive path, "/"-separated. */
  path: string;
  /** Lower-case hex sha256 of the bytes (checked against the wheel's RECORD at extraction). */
  sha256: string;
  size: number;
  executable: boolean;
  /** The file's inode and mtime right after extraction: a cheap test that it was not touched since. */
  ino: number;
  mtimeMs: number;
}

export interface TreeIndex {
  formatVersion: number;
  /** The wheel the tree was unpacked from. */
  wheelSha256: string;
  /** The wheel's `.dist-info` directory. */
  distInfo: string;
  /** Sorted by path. */
  files: TreeFile[];
}

export interface Tree {
  /** wheels/<entry-name>/tree */
  dir: string;
  /** Where the members are: `join(filesDir, file.path)`. */
  filesDir: string;
  index: TreeIndex;
}

/** What making or reading an entry's tree needs of the entry. */
export type TreeEntry = StoredWheel & Pick<StoreEntry, "entryName">;

/** The fields of `entry` a tree needs: what is sent to the thread that unpacks it. */
export function treeEntry(entry: TreeEntry): TreeEntry {
  return { sha256: entry.sha256, size: entry.size, filename: entry.filename, path: entry.path, entryName: entry.entryName };
}

export function treeDir(storeDir: string, entryName: string): string {
  return join(entryDir(storeDir, entryName), TREE_DIR);
}

/** The entry's tree when one is in place and its index names this wheel; undefined when there is none. */
export function readTree(storeDir: string, entry: TreeEntry): Tree | undefined {
  const dir = treeDir(storeDir, entry.entryName);
  let text: string;
  try {
    text = readFileSync(join(dir, TREE_INDEX), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new PystoreError("STORE_IO", `cannot read the unpacked tree of ${entry.entryName}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const index = parseIndex(text);
  if (!index || index.wheelSha256 !== entry.sha256) {
    throw new PystoreError("STORE_CORRUPTED", `${entry.entryName}: the unpacked tree's ${TREE_INDEX} is damaged`, {
      hint: "run `pystore store verify --repair` to re-extract it",
    });
  }
  return { dir, filesDir: join(dir, TREE_FILES), index };
}

function parseIndex(text: string): TreeIndex | undefined {
  try {
    const value = JSON.parse(text) as TreeIndex;
    if (
      value.formatVersion !== TREE_INDEX_VERSION ||
      typeof value.wheelSha256 !== "string" ||
      typeof value.distInfo !== "string" ||
      !Array.isArray(value.files)
    )
      return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/**
 * The entry's tree, extracting it first if needed. Extraction follows the write protocol: every member
 * is unpacked from the verified .whl (safety checks, RECORD completeness and every file's hash) into a
 * staging directory in tmp/, made read-only, and renamed into place. Concurrent creators are normal:
 * the first rename wins, and a loser that finds a complete tree in place uses it. `staging` is named by the
 * caller when someone else must be able to remove it (a thread that dies while unpacking).
 */
export async function ensureTree(
  storeDir: string,
  entry: TreeEntry,
  staging = join(tmpDir(storeDir), tempName("tree")),
  opts: UnpackOptions = {},
): Promise<{ tree: Tree; created: boolean }> {
  let existing: Tree | undefined;
  try {
    existing = readTree(storeDir, entry);
  } catch (error) {
    // A damaged index: move the tree aside (it may be in use by nobody but this process) and extract again.
    if (!(error instanceof PystoreError) || error.code !== "STORE_CORRUPTED") throw error;
    removeTree(storeDir, entry.entryName);
  }
  if (existing) return { tree: existing, created: false };
  try {
    await extractInto(storeDir, entry, staging, opts);
    const target = treeDir(storeDir, entry.entryName);
    try {
      renameSync(staging, target);
      chmodSync(target, TREE_DIR_MODE);
      return { tree: readTree(storeDir, entry)!, created: true };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ENOTEMPTY") throw error;
      // Another writer renamed its tree first; it is complete by construction (index written last).
      const winner = readTree(storeDir, entry);
      if (!winner) throw error;
      return { tree: winner, created: false };
    }
  } catch (error) {
    // A full or read-only store while unpacking: STORE_IO naming the path and the cause in words.
    throw writeFailure(error, staging, `the unpacked tree of ${entry.filename}`, "STORE_IO");
  } finally {
    removeReadOnly(staging);
  }
}

/**
 * The first file of `tree` that is not what extraction wrote, or undefined. Size, inode and mtime are
 * compared first (pnpm's test: one lstat per file); a file that differs there is hashed, so a touch or
 * a copy with the same bytes is not damage. Linking into bundles changes a file's ctime, not these.
 */
export function damagedTreeFile(tree: Tree): string | undefined {
  for (const file of tree.index.files) {
    // Index paths are archive paths checked at extraction: joined without normalising (no join per file).
    if (fileChanged(`${tree.filesDir}/${file.path}`, file)) return file.path;
  }
  return undefined;
}

/**
 * ensureTree, then the check above: a tree edited since extraction (root ignores its 0444 modes, and
 * hardlinked bundles share its inodes) is moved aside and extracted again from the verified wheel, so
 * a bundle never carries bytes, or reports a hash, that the wheel does not have.
 */
export async function ensureIntactTree(storeDir: string, entry: StoreEntry): Promise<{ tree: Tree; created: boolean; damaged?: string }> {
  const first = await ensureTree(storeDir, entry);
  if (first.created) return first;
  const damaged = damagedTreeFile(first.tree);
  if (damaged === undefined) return first;
  return { ...(await extractAgain(storeDir, entry)), damaged };
}

/**
 * Move a tree found damaged aside and extract it again. The damaged file may be a pool file other trees
 * share, so every pool file is hashed before it is linked into the new tree.
 */
export async function extractAgain(storeDir: string, entry: TreeEntry): Promise<{ tree: Tree; created: boolean }> {
  removeTree(storeDir, entry.entryName);
  return ensureTree(storeDir, entry, undefined, { rehashPool: true });
}

/**
 * A tree as an install source (src/install/core.ts): members are offered for linking with the index's
 * hashes; the few the installer reads (WHEEL, entry_points.txt, scripts) were checked at extraction.
 */
export function treeSource(filename: string, tree: Tree): WheelSource {
  const indexed = new Map(tree.index.files.map((f) => [f.path, f]));
  return {
    filename,
    distInfo: tree.index.distInfo,
    files: tree.index.files,
    read(path) {
      const data = readFileSync(join(tree.filesDir, path));
      return { data, sha256: createHash("sha256").update(data).digest() };
    },
    stored(path) {
      const file = indexed.get(path);
      return file && { location: `${tree.filesDir}/${path}`, sha256: file.sha256, size: file.size };
    },
  };
}

/** Delete an entry's tree (repair, gc): moved into tmp/ first, so no reader ever sees a half-deleted tree. */
export function removeTree(storeDir: string, entryName: string): void {
  const dir = treeDir(storeDir, entryName);
  const aside = join(tmpDir(storeDir), tempName("tree-old"));
  try {
    chmodSync(dir, 0o755);
    renameSync(dir, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  removeReadOnly(aside);
}

/**
 * Files and bytes of an entry's tree (from its index), or undefined when it has none or it is unreadable.
 * With `seen`, a file whose inode (as extraction recorded it) is already there is not counted again: trees
 * share pool files, and `store du` counts each inode once.
 */
export function treeUsage(storeDir: string, entry: StoreEntry, seen?: Set<number>): { files: number; bytes: number } | undefined {
  try {
    const tree = readTree(storeDir, entry);
    if (!tree) return undefined;
    let bytes = 0;
    for (const file of tree.index.files) {
      if (seen?.has(file.ino)) continue;
      seen?.add(file.ino);
      bytes += file.size;
    }
    return { files: tree.index.files.length, bytes };
  } catch {
    return undefined;
  }
}
