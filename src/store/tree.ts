// Unpacked, read-only trees of stored wheels (wheels/<entry-name>/tree/, store-format/store-layout.md,
// "Unpacked trees"): created lazily from the verified .whl by the write protocol, linked into bundles.

import { createHash } from "node:crypto";
import { chmodSync, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, type Stats, writeSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TREE_INDEX_VERSION } from "../format-versions.js";
import { tempName } from "../util/atomic-write.js";
import { byPath, compareStrings } from "../util/order.js";
import { openZipSource, type WheelSource } from "../wheel/source.js";
import { crashIfRequested, readVerifiedSync, removeReadOnly } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { entryDir, tmpDir } from "./layout.js";

/** `wheels/<entry-name>/tree/`: beside the wheel, so gc and repair of an entry see both. */
const TREE_DIR = "tree";
/** The wheel's members, byte for byte, under their archive paths. */
export const TREE_FILES = "files";
/** Written last inside the staging directory: a tree that has it was renamed into place complete. */
export const TREE_INDEX = "index.json";
/** Tree files are never written after extraction; directories stay read-only too, so nothing is added. */
const TREE_FILE_MODE = 0o444;
const TREE_EXEC_MODE = 0o555;
const TREE_DIR_MODE = 0o555;

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

export function treeDir(storeDir: string, entryName: string): string {
  return join(entryDir(storeDir, entryName), TREE_DIR);
}

/** The entry's tree when one is in place and its index names this wheel; undefined when there is none. */
export function readTree(storeDir: string, entry: StoreEntry): Tree | undefined {
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
 * the first rename wins, and a loser that finds a complete tree in place uses it.
 */
export async function ensureTree(storeDir: string, entry: StoreEntry): Promise<{ tree: Tree; created: boolean }> {
  let existing: Tree | undefined;
  try {
    existing = readTree(storeDir, entry);
  } catch (error) {
    // A damaged index: move the tree aside (it may be in use by nobody but this process) and extract again.
    if (!(error instanceof PystoreError) || error.code !== "STORE_CORRUPTED") throw error;
    removeTree(storeDir, entry.entryName);
  }
  if (existing) return { tree: existing, created: false };
  const staging = join(tmpDir(storeDir), tempName("tree"));
  try {
    await extractInto(entry, staging);
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
    if (error instanceof PystoreError) throw error;
    throw new PystoreError("STORE_IO", `cannot unpack ${entry.filename} into the store: ${(error as Error).message}`, { cause: error });
  } finally {
    removeReadOnly(staging);
  }
}

/** Unpack the verified wheel into `staging` (files/ + index.json), read-only except the staging root. */
async function extractInto(entry: StoreEntry, staging: string): Promise<void> {
  // The .whl's bytes are checked against the row first: a tree is only ever made from verified bytes.
  const bytes = readVerifiedSync(entry.path, entry.sha256, entry.size, entry.filename);
  // The zip source checks entry safety, the .dist-info rule and RECORD, and each member as it is read.
  const source = await openZipSource(entry.path, entry.filename, { data: bytes });
  try {
    mkdirSync(staging);
    const filesDir = join(staging, TREE_FILES);
    mkdirSync(filesDir);
    const dirs = new Set<string>([""]);
    const out: TreeFile[] = [];
    for (const { path, executable } of source.files) {
      const { data, sha256 } = source.read(path);
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join("/");
        if (dirs.has(dir)) continue;
        mkdirSync(join(filesDir, dir));
        dirs.add(dir);
      }
      const fd = openSync(join(filesDir, path), "wx", executable ? TREE_EXEC_MODE : TREE_FILE_MODE);
      let written: Stats;
      try {
        for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
        written = fstatSync(fd);
      } finally {
        closeSync(fd);
      }
      out.push({ path, sha256: sha256.toString("hex"), size: data.length, executable, ino: written.ino, mtimeMs: written.mtimeMs });
      if (out.length === 1) crashIfRequested("during-tree");
    }
    out.sort(byPath);
    const index: TreeIndex = { formatVersion: TREE_INDEX_VERSION, wheelSha256: entry.sha256, distInfo: source.distInfo, files: out };
    const fd = openSync(join(staging, TREE_INDEX), "wx", TREE_FILE_MODE);
    try {
      const text = Buffer.from(`${JSON.stringify(index)}\n`);
      for (let offset = 0; offset < text.length; ) offset += writeSync(fd, text, offset, text.length - offset);
    } finally {
      closeSync(fd);
    }
    // Deepest first, so each chmod still has a writable parent to look up from; the staging root stays
    // writable until after the rename (renaming a directory updates its "..").
    for (const dir of [...dirs].sort((a, b) => b.length - a.length || compareStrings(a, b))) chmodSync(join(filesDir, dir), TREE_DIR_MODE);
  } finally {
    source.close();
  }
}

/**
 * The first file of `tree` that is not what extraction wrote, or undefined. Size, inode and mtime are
 * compared first (pnpm's test: one lstat per file); a file that differs there is hashed, so a touch or
 * a copy with the same bytes is not damage. Linking into bundles changes a file's ctime, not these.
 */
export function damagedTreeFile(tree: Tree): string | undefined {
  for (const file of tree.index.files) {
    const path = join(tree.filesDir, file.path);
    let info: Stats;
    try {
      info = lstatSync(path);
    } catch {
      return file.path;
    }
    if (!info.isFile() || info.size !== file.size) return file.path;
    if (info.ino === file.ino && info.mtimeMs === file.mtimeMs) continue;
    if (createHash("sha256").update(readFileSync(path)).digest("hex") !== file.sha256) return file.path;
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
  removeTree(storeDir, entry.entryName);
  const again = await ensureTree(storeDir, entry);
  return { ...again, damaged };
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
      return file && { location: join(tree.filesDir, path), sha256: file.sha256, size: file.size };
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

/** Files and bytes of an entry's tree (from its index), or undefined when it has none or it is unreadable. */
export function treeUsage(storeDir: string, entry: StoreEntry): { files: number; bytes: number } | undefined {
  try {
    const tree = readTree(storeDir, entry);
    if (!tree) return undefined;
    return { files: tree.index.files.length, bytes: tree.index.files.reduce((sum, f) => sum + f.size, 0) };
  } catch {
    return undefined;
  }
}
