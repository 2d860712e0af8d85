// Unpacking a verified wheel into a tree's staging directory (store-format/store-layout.md, "Unpacked
// trees" and "The file pool"): every member inflated and checked, then linked from the file pool when the
// pool holds those bytes, else written and given its pool name.

import { createHash, hash } from "node:crypto";
import { chmodSync, closeSync, fchmodSync, fstatSync, futimesSync, linkSync, mkdirSync, openSync, type Stats, writeSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TREE_INDEX_VERSION } from "../format-versions.js";
import { compareStrings, byPath } from "../util/order.js";
import { findDistInfo } from "../wheel/dist-info.js";
import type { RecordRow } from "../standards/record.js";
import { checkRecordedFile, checkRecordListing, matchesRecordHash } from "../wheel/record.js";
import { DEFAULT_LIMITS, isExecutableEntry } from "../wheel/safety.js";
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
import { crashIfRequested } from "./content.js";
import { addToPool, discardPoolFile, inspectPoolFile, type LinkFn, linkFromPool, POOL_MTIME_S, poolPath } from "./file-pool.js";
import { corrupted, HOLD_WHEELS_UP_TO, openStoredWheel, releaseHeld, type StoredWheel, verifyOpenWheel } from "./stored-wheel.js";
import type { TreeEntry, TreeFile, TreeIndex } from "./tree.js";

/** The wheel's members, byte for byte, under their archive paths. */
export const TREE_FILES = "files";
/** Written last inside the staging directory: a tree that has it was renamed into place complete. */
export const TREE_INDEX = "index.json";
/** Tree files are never written after extraction; directories stay read-only too, so nothing is added. */
export const TREE_FILE_MODE = 0o444;
const TREE_EXEC_MODE = 0o555;
export const TREE_DIR_MODE = 0o555;

export interface UnpackOptions {
  /**
   * Hash every pool file before linking it, whatever its mtime: set when this tree is made again because
   * a tree was found damaged (an edit can put size and mtime back), so a damaged pool file is not re-linked.
   */
  rehashPool?: boolean;
  /** link(2), replaced in tests (EMLINK, EXDEV). */
  link?: LinkFn;
}

interface Placer {
  storeDir: string;
  filesDir: string;
  rehash: boolean;
  link: LinkFn;
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
}

/**
 * Unpack the verified wheel into `staging` (files/ + index.json), read-only except the staging root. Memory
 * stays bounded whatever the wheel's size: a wheel above HOLD_WHEELS_UP_TO is hashed in chunks and read at
 * offsets, and members are inflated into this thread's reused buffers, a large one piece by piece. Every
 * member is inflated and checked even when the pool already has its bytes: only the write is saved.
 */
export async function extractInto(storeDir: string, entry: TreeEntry, staging: string, opts: UnpackOptions = {}): Promise<void> {
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
    const placer: Placer = { storeDir, filesDir, rehash: opts.rehashPool === true, link: opts.link ?? linkSync };
    const dirs = new Set<string>([""]);
    const out: TreeFile[] = [];
    for (const path of files) {
      const member = item(path);
      const executable = isExecutableEntry(member.info);
      makeParents(filesDir, path, dirs);
      const row = listing.unsigned.has(path) ? undefined : listing.recorded.get(path);
      const { sha256, written } = await placeMember(placer, bytes, archive, member, path, row, executable);
      out.push({ path, sha256, size: written.size, executable, ino: written.ino, mtimeMs: written.mtimeMs });
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

/**
 * One member, checked, at its place in the tree; its sha256 (hex) and the placed file's stat (the index's
 * size, ino and mtime). A member held whole is checked first, then linked from the pool or written. A
 * large one whose RECORD names its sha256 is looked up first: when the pool has it, it is inflated and
 * checked without being written; otherwise it is written piece by piece as it is checked.
 */
async function placeMember(
  placer: Placer,
  bytes: ZipBytes,
  archive: string,
  member: ZipItem,
  path: string,
  row: RecordRow | undefined,
  executable: boolean,
): Promise<{ sha256: string; written: Stats }> {
  const target = `${placer.filesDir}/${path}`;
  const declared = member.info.uncompressedSize;
  if (declared > WHOLE_PIECE_BYTES && (!row || row.hash?.algorithm === "sha256")) {
    const expected = row && Buffer.from(row.hash!.digest, "base64url").toString("hex");
    const pool = expected && poolPath(placer.storeDir, expected, executable);
    // Looked up by what RECORD claims, before the member is checked: a mismatch here may be the wheel's lie,
    // so the pool file is not discarded for it (addToPool checks it against the real bytes below).
    const found = expected && pool ? inspectPoolFile(pool, expected, declared, executable, placer.rehash) : undefined;
    if (expected && pool && found?.info) {
      await inflateLarge(bytes, archive, member, path, row, () => {});
      const linked = linkFromPool(pool, target, placer.link);
      if (linked === "linked") return { sha256: expected, written: found.info };
    }
    // Not in the pool (or it vanished, or cannot be linked): written while it is checked, then pooled.
    let sha256 = "";
    const written = await writePrivate(target, executable, true, async (fd) => {
      sha256 = (await inflateLarge(bytes, archive, member, path, row, (piece) => writeAll(fd, piece))).toString("hex");
    });
    addToPool(
      target,
      poolPath(placer.storeDir, sha256, executable),
      { sha256, size: written.size, executable },
      placer.link,
      placer.rehash,
    );
    return { sha256, written };
  }
  const whole = inflateWhole(bytes, archive, member, path, row);
  const sha256 = whole.sha256.toString("hex");
  const data = whole.data;
  // Empty files are never pooled: one inode would collect a link from nearly every tree (ext4 allows
  // ~65,000 links per inode, and one empty file had 13,787 on real trees).
  if (data.length === 0) return { sha256, written: await writePrivate(target, executable, false, () => {}) };
  const pool = poolPath(placer.storeDir, sha256, executable);
  let shareable = true;
  const accepted = usablePoolFile(placer, pool, sha256, data.length, executable);
  if (accepted) {
    const linked = linkFromPool(pool, target, placer.link);
    // The Stats the check accepted, not the file's now: an edit since then must fail the tree's intact check.
    if (linked === "linked") return { sha256, written: accepted };
    shareable = linked === "absent";
  }
  const written = await writePrivate(target, executable, true, (fd) => writeAll(fd, data));
  if (shareable) addToPool(target, pool, { sha256, size: data.length, executable }, placer.link, placer.rehash);
  return { sha256, written };
}

/** The pool file's accepted Stats when it is there with the right bytes; a damaged one is discarded (then the member is written fresh). */
function usablePoolFile(placer: Placer, pool: string, sha256: string, size: number, executable: boolean): Stats | undefined {
  const { state, info } = inspectPoolFile(pool, sha256, size, executable, placer.rehash);
  if (state === "damaged") discardPoolFile(pool);
  return info;
}

/**
 * A private file in the staging tree (O_EXCL, its final mode), filled by `fill`. `poolable`: given the pool's
 * fixed mtime, so that it can take a pool name (and a private copy kept on EMLINK looks the same).
 */
async function writePrivate(
  target: string,
  executable: boolean,
  poolable: boolean,
  fill: (fd: number) => void | Promise<void>,
): Promise<Stats> {
  const mode = executable ? TREE_EXEC_MODE : TREE_FILE_MODE;
  const fd = openSync(target, "wx", mode);
  try {
    // open's mode is filtered by the umask: a umask without u+x would leave "-exec" pool files without it.
    fchmodSync(fd, mode);
    await fill(fd);
    if (poolable) futimesSync(fd, POOL_MTIME_S, POOL_MTIME_S);
    // The index's ino and mtime, and a size that is what reached the disk.
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The directories of `path` under `root` that are missing, outermost first; `dirs` holds those already made. */
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
 * A member checked against its CRC and RECORD before any byte of it is used: one of up to WHOLE_PIECE_BYTES
 * (or one whose RECORD hash is another algorithm, computed from the whole member) held whole.
 */
function inflateWhole(
  bytes: ZipBytes,
  archive: string,
  member: ZipItem,
  path: string,
  row: RecordRow | undefined,
): { data: Buffer; sha256: Buffer } {
  if (row && member.info.uncompressedSize > WHOLE_PIECE_BYTES) {
    // Another algorithm is computed from the whole member (RECORD allows any hashlib name; none seen in practice).
    const data = readEntrySync(bytes, archive, member);
    const sha256 = hash("sha256", data, "buffer");
    checkRecordedFile(archive, path, data, sha256, row);
    return { data, sha256 };
  }
  let whole = EMPTY;
  let pieces = 0;
  readEntryPieces(bytes, archive, member, (piece) => {
    whole = piece;
    pieces++;
  });
  if (pieces > 1) throw new PystoreError("INTERNAL", `${archive}: ${path} arrived in ${pieces} pieces`);
  const sha256 = hash("sha256", whole, "buffer");
  if (row) checkRecordedFile(archive, path, whole, sha256, row);
  return { data: whole, sha256 };
}

/**
 * A member over WHOLE_PIECE_BYTES whose RECORD hash is sha256 (or that RECORD does not sign), inflated
 * piece by piece into `take` (the file, or nothing when the pool has it) and checked at the end; what
 * reached a file is discarded with the staging directory if the check fails.
 */
async function inflateLarge(
  bytes: ZipBytes,
  archive: string,
  member: ZipItem,
  path: string,
  row: RecordRow | undefined,
  take: (piece: Buffer) => void,
): Promise<Buffer> {
  const digest = createHash("sha256");
  let size = 0;
  const sink = (piece: Buffer) => {
    digest.update(piece);
    size += piece.length;
    take(piece);
  };
  // Bounded pieces need Node's inflate binding (src/wheel/zip.ts); without it, zlib's stream does the same.
  if (readsInPieces()) readEntryPieces(bytes, archive, member, sink);
  else await streamEntry(bytes, archive, member, sink);
  const sha256 = digest.digest();
  if (!row) return sha256;
  if (!matchesRecordHash(row, EMPTY, sha256)) throw recordMismatch(archive, path, "sha256 does not match RECORD");
  if (row.size !== undefined && row.size !== size) throw recordMismatch(archive, path, `size ${size} does not match RECORD's ${row.size}`);
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
