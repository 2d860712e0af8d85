// Unpacked, read-only trees of stored wheels (wheels/<entry-name>/tree/, store-format/store-layout.md,
// "Unpacked trees"): created lazily from the verified .whl by the write protocol, linked into bundles.

import { createHash, hash } from "node:crypto";
import { chmodSync, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, type Stats, writeSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TREE_INDEX_VERSION } from "../format-versions.js";
import { tempName } from "../util/atomic-write.js";
import { writeFailure } from "../util/fs-errors.js";
import { byPath, compareStrings } from "../util/order.js";
import { findDistInfo } from "../wheel/dist-info.js";
import { checkRecordedFile, checkRecordListing, matchesRecordHash, type RecordListing } from "../wheel/record.js";
import { DEFAULT_LIMITS, isExecutableEntry } from "../wheel/safety.js";
import type { WheelSource } from "../wheel/source.js";
import {
  readCheckedEntries,
  readEntryPieces,
  readEntrySync,
  readsInPieces,
  streamEntry,
  WHOLE_PIECE_BYTES,
  type ZipBytes,
  type ZipItem,
} from "../wheel/zip.js";
import { crashIfRequested, removeReadOnly } from "./content.js";
import { corrupted, HOLD_WHEELS_UP_TO, openStoredWheel, releaseHeld, type StoredWheel, verifyOpenWheel } from "./stored-wheel.js";
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
    // A full or read-only store while unpacking: STORE_IO naming the path and the cause in words.
    throw writeFailure(error, staging, `the unpacked tree of ${entry.filename}`, "STORE_IO");
  } finally {
    removeReadOnly(staging);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
}

/**
 * Unpack the verified wheel into `staging` (files/ + index.json), read-only except the staging root. Memory
 * stays bounded whatever the wheel's size: a wheel above HOLD_WHEELS_UP_TO is hashed in chunks and read at
 * offsets, and members are inflated into this thread's reused buffers, a large one piece by piece.
 */
async function extractInto(entry: TreeEntry, staging: string): Promise<void> {
  const archive = entry.filename;
  const fd = openStoredWheel(entry);
  let held: Buffer | undefined;
  try {
    // A tree is only ever made from verified bytes: hashed first, and unchanged (size, mtime, ctime) at the end.
    const before = fstatSync(fd);
    // A small wheel is held whole: one read instead of a pread per member header and per member.
    held = verifyOpenWheel(fd, before.size, entry, before.size <= HOLD_WHEELS_UP_TO);
    const bytes: ZipBytes = held ? { buffer: held } : { fd, size: before.size };
    // The same checks as every wheel reader (src/wheel/source.ts): entry safety, the .dist-info rule, RECORD.
    const { files, byPath: members } = readCheckedEntries(bytes, archive, { limits: DEFAULT_LIMITS });
    const distInfo = findDistInfo(archive, entry.filename, files);
    const item = (path: string): ZipItem => members.get(path)!;
    const listing = checkRecordListing(archive, distInfo, files, (path) =>
      members.has(path) ? readEntrySync(bytes, archive, item(path)) : undefined,
    );
    mkdirSync(staging);
    const filesDir = `${staging}/${TREE_FILES}`;
    mkdirSync(filesDir);
    const dirs = new Set<string>([""]);
    const out: TreeFile[] = [];
    for (const path of files) {
      const member = item(path);
      const executable = isExecutableEntry(member.info);
      makeParents(filesDir, path, dirs);
      const target = openSync(`${filesDir}/${path}`, "wx", executable ? TREE_EXEC_MODE : TREE_FILE_MODE);
      let written: Stats;
      let sha256: Buffer;
      try {
        sha256 = await writeMember(bytes, archive, member, path, listing, target);
        // The index's ino and mtime, and a size that is what reached the disk.
        written = fstatSync(target);
      } finally {
        closeSync(target);
      }
      out.push({ path, sha256: sha256.toString("hex"), size: written.size, executable, ino: written.ino, mtimeMs: written.mtimeMs });
      if (out.length === 1) crashIfRequested("during-tree");
    }
    checkUnchanged(fd, before, entry);
    out.sort(byPath);
    const index: TreeIndex = { formatVersion: TREE_INDEX_VERSION, wheelSha256: entry.sha256, distInfo, files: out };
    const indexFd = openSync(join(staging, TREE_INDEX), "wx", TREE_FILE_MODE);
    try {
      writeAll(indexFd, Buffer.from(`${JSON.stringify(index)}\n`));
    } finally {
      closeSync(indexFd);
    }
    // Deepest first, so each chmod still has a writable parent to look up from; the staging root stays
    // writable until after the rename (renaming a directory updates its "..").
    for (const dir of [...dirs].sort((a, b) => b.length - a.length || compareStrings(a, b))) chmodSync(`${filesDir}/${dir}`, TREE_DIR_MODE);
  } finally {
    closeSync(fd);
    // Nothing made from it outlives this call (members were written out; the index holds only strings).
    releaseHeld(held);
  }
}

/** The missing parent directories of `path` under `root`, outermost first; `dirs` holds those already made. */
function makeParents(root: string, path: string, dirs: Set<string>): void {
  const slash = path.lastIndexOf("/");
  const parent = slash < 0 ? "" : path.slice(0, slash);
  if (dirs.has(parent)) return;
  makeParents(root, parent, dirs);
  // Archive paths were checked (no "." or "..", no leading "/"): joined without normalising.
  mkdirSync(`${root}/${parent}`);
  dirs.add(parent);
}

/**
 * The wheel is still the bytes that were verified. A concurrent gc that unlinks it, or a link added to it
 * (fetch, `cp -al`), changes only its ctime: the content is then hashed again rather than called damaged.
 */
export function checkUnchanged(fd: number, before: Stats, entry: StoredWheel): void {
  const after = fstatSync(fd);
  if (after.nlink === 0) {
    throw new PystoreError("STORE_IO", `${entry.filename}: removed from the store while it was being unpacked (${entry.path})`, {
      hint: "a concurrent `pystore gc` collected it; run the command again",
      details: { path: entry.path },
    });
  }
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw corrupted(entry, "a file that changed while it was unpacked");
  if (after.ctimeMs !== before.ctimeMs) verifyOpenWheel(fd, after.size, entry);
}

/**
 * Write one member to `target`, checked against its CRC and RECORD; its sha256. A member of up to
 * WHOLE_PIECE_BYTES is checked before a byte of it is written; a larger one is hashed and written piece by
 * piece, and what reached the file is discarded with the staging directory if a check fails.
 */
async function writeMember(
  bytes: ZipBytes,
  archive: string,
  member: ZipItem,
  path: string,
  listing: RecordListing,
  target: number,
): Promise<Buffer> {
  const row = listing.unsigned.has(path) ? undefined : listing.recorded.get(path);
  const declared = member.info.uncompressedSize;
  if (row && row.hash?.algorithm !== "sha256" && declared > WHOLE_PIECE_BYTES) {
    // Another algorithm is computed from the whole member (RECORD allows any hashlib name; none seen in practice).
    const data = readEntrySync(bytes, archive, member);
    const sha256 = hash("sha256", data, "buffer");
    checkRecordedFile(archive, path, data, sha256, row);
    writeAll(target, data);
    return sha256;
  }
  if (declared <= WHOLE_PIECE_BYTES) {
    let whole = EMPTY;
    let pieces = 0;
    readEntryPieces(bytes, archive, member, (piece) => {
      whole = piece;
      pieces++;
    });
    if (pieces > 1) throw new PystoreError("INTERNAL", `${archive}: ${path} arrived in ${pieces} pieces`);
    const sha256 = hash("sha256", whole, "buffer");
    if (row) checkRecordedFile(archive, path, whole, sha256, row);
    writeAll(target, whole);
    return sha256;
  }
  const digest = createHash("sha256");
  let size = 0;
  const take = (piece: Buffer) => {
    digest.update(piece);
    size += piece.length;
    writeAll(target, piece);
  };
  // Bounded pieces need Node's inflate binding (src/wheel/zip.ts); without it, zlib's stream does the same.
  if (readsInPieces()) readEntryPieces(bytes, archive, member, take);
  else await streamEntry(bytes, archive, member, take);
  const sha256 = digest.digest();
  if (row) {
    if (!matchesRecordHash(row, EMPTY, sha256)) throw recordMismatch(archive, path, "sha256 does not match RECORD");
    if (row.size !== undefined && row.size !== size)
      throw recordMismatch(archive, path, `size ${size} does not match RECORD's ${row.size}`);
  }
  return sha256;
}

const EMPTY: Buffer = Buffer.alloc(0);

/** RECORD_MISMATCH as src/wheel/record.ts words it, for a member checked piece by piece. */
function recordMismatch(archive: string, file: string, why: string): PystoreError {
  return new PystoreError("RECORD_MISMATCH", `${archive}: ${file}: ${why}`, {
    hint: "the wheel's contents do not match its RECORD; it was altered or built wrongly, so nothing was installed",
    details: { archive, file, reason: why },
  });
}

/**
 * The first file of `tree` that is not what extraction wrote, or undefined. Size, inode and mtime are
 * compared first (pnpm's test: one lstat per file); a file that differs there is hashed, so a touch or
 * a copy with the same bytes is not damage. Linking into bundles changes a file's ctime, not these.
 */
export function damagedTreeFile(tree: Tree): string | undefined {
  for (const file of tree.index.files) {
    // Index paths are archive paths checked at extraction: joined without normalising (no join per file).
    const path = `${tree.filesDir}/${file.path}`;
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
