// The file pool (store-format/store-layout.md, "The file pool"): each non-empty member of every unpacked
// tree stored once, named by its sha256 and executable bit; tree files are hard links to pool files.

import { createHash } from "node:crypto";
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, type Stats, unlinkSync } from "node:fs";
import { join } from "node:path";

/** `<store>/files/`: beside wheels/, on the same filesystem (tree files are hard links to these). */
const POOL_DIR = "files";
/** Mode is per inode, so an executable member and a plain one with the same bytes are two pool files. */
const EXEC_SUFFIX = "-exec";
/**
 * Every pool file's mtime (and atime): 1 s after the epoch, as in the Nix store. Bundles hard-link the same
 * inode, so an edit through any link moves the mtime away from this, and one lstat shows the file was touched.
 */
export const POOL_MTIME_S = 1;
const POOL_MTIME_MS = POOL_MTIME_S * 1000;
const HASH_CHUNK = 1 << 20;

/** link(2) as the pool calls it: replaced in tests to inject EMLINK and the like. */
export type LinkFn = (existing: string, created: string) => void;

export function poolDir(storeDir: string): string {
  return join(storeDir, POOL_DIR);
}

/** `files/<first 2 hex>/<sha256>` (mode 0444), `…/<sha256>-exec` (mode 0555). */
export function poolPath(storeDir: string, sha256: string, executable: boolean): string {
  return `${storeDir}/${POOL_DIR}/${sha256.slice(0, 2)}/${sha256}${executable ? EXEC_SUFFIX : ""}`;
}

const POOL_NAME = /^([0-9a-f]{64})(-exec)?$/;

/** The sha256 and executable bit a pool file name promises; undefined for any other name. */
export function parsePoolName(name: string): { sha256: string; executable: boolean } | undefined {
  const m = POOL_NAME.exec(name);
  return m ? { sha256: m[1], executable: m[2] !== undefined } : undefined;
}

/** Hex sha256 of a file, read in 1 MiB chunks (a pool file may be a 100 MB shared library). */
export function hashFile(path: string): string {
  const fd = openSync(path, "r");
  try {
    const digest = createHash("sha256");
    const chunk = Buffer.allocUnsafe(HASH_CHUNK);
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) digest.update(chunk.subarray(0, n));
    return digest.digest("hex");
  } finally {
    closeSync(fd);
  }
}

export type PoolState = "ok" | "absent" | "damaged";

/**
 * Whether the pool file at `path` holds what its name says. Never trusted blindly: a size or mtime other
 * than the fixed one means it was touched (through a bundle's hard link), and it is hashed. `rehash` hashes
 * it anyway: used when a tree sharing it was found damaged, since an edit can restore size and mtime.
 */
export function checkPoolFile(path: string, sha256: string, size: number, executable: boolean, rehash = false): PoolState {
  return inspectPoolFile(path, sha256, size, executable, rehash).state;
}

/**
 * checkPoolFile, with the Stats an "ok" was decided on. A tree that links the file records these in its
 * index, not a later lstat: an edit through a bundle between this check and the link then shows in the
 * tree's own intact check, instead of being recorded as what extraction wrote.
 */
export function inspectPoolFile(
  path: string,
  sha256: string,
  size: number,
  executable: boolean,
  rehash = false,
): { state: PoolState; info?: Stats } {
  let info: Stats | undefined;
  try {
    // Not thrown: on a store's first trees every lookup misses, and an ENOENT error costs more than the lstat.
    info = lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    // A file where the fan-out directory should be (ENOTDIR): no pool file by that name.
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return { state: "absent" };
    throw error;
  }
  if (!info) return { state: "absent" };
  if (!info.isFile() || info.size !== size || ((info.mode & 0o111) !== 0) !== executable) return { state: "damaged" };
  if (!rehash && info.mtimeMs === POOL_MTIME_MS) return { state: "ok", info };
  return hashFile(path) === sha256 ? { state: "ok", info } : { state: "damaged" };
}

/**
 * Drop a damaged pool file's name so the next writer writes it fresh. Trees still linking the old inode
 * keep it, and their own intact check (size, inode, mtime, then hash) finds them damaged.
 */
export function discardPoolFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    // ENOENT: gone already. EISDIR/ENOTDIR/EPERM: a directory or a file in the way of the name, which only a
    // hand can have put there: left alone, and the member stays a private copy (addToPool gives up on it).
    if (!UNREMOVABLE.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
  }
}

const UNREMOVABLE = new Set(["ENOENT", "EISDIR", "ENOTDIR", "EPERM"]);

/** link(2) failures that mean "this filesystem or inode cannot share here": keep a private copy instead. */
const CANNOT_SHARE = new Set(["EMLINK", "EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOTDIR"]);

/**
 * Hard-link the checked pool file `pool` to `target`: `linked`, `absent` (gc removed it since it was checked:
 * the caller writes it again), or `refused` (too many links, another filesystem: the caller writes a private copy).
 */
export function linkFromPool(pool: string, target: string, link: LinkFn = linkSync): "linked" | "absent" | "refused" {
  try {
    link(pool, target);
    return "linked";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT") return "absent";
    if (CANNOT_SHARE.has(code)) return "refused";
    throw error;
  }
}

/**
 * Give `source`, a file just written and verified (the tree's own staged copy, mode and fixed mtime already
 * set), its pool name with a no-overwrite link. `present` when another writer got there first with the
 * right bytes (the source stays a private copy); a damaged file under the name is discarded and replaced.
 * `refused` when the filesystem will not link: the source stays private. Never fails the tree for the pool.
 */
export function addToPool(
  source: string,
  pool: string,
  want: { sha256: string; size: number; executable: boolean },
  link: LinkFn = linkSync,
  rehash = false,
): "added" | "present" | "refused" {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      link(source, pool);
      return "added";
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "ENOENT") mkdirSync(pool.slice(0, pool.lastIndexOf("/")), { recursive: true });
      else if (code === "EEXIST") {
        // A concurrent writer of the same file is normal: its file counts if it checks out.
        if (checkPoolFile(pool, want.sha256, want.size, want.executable, rehash) !== "damaged") return "present";
        discardPoolFile(pool);
      } else if (CANNOT_SHARE.has(code)) return "refused";
      else throw error;
    }
  }
  return "refused";
}

export interface PoolFile {
  path: string;
  sha256: string;
  executable: boolean;
}

/** Every pool file (by name; anything else under files/ is listed in `strays`). Empty when there is no pool. */
export function listPool(storeDir: string): { files: PoolFile[]; strays: string[] } {
  const files: PoolFile[] = [];
  const strays: string[] = [];
  const root = poolDir(storeDir);
  let fans: string[];
  try {
    fans = readdirSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { files, strays };
    throw error;
  }
  for (const fan of fans.sort()) {
    const dir = join(root, fan);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      strays.push(dir);
      continue;
    }
    for (const name of names.sort()) {
      const parsed = parsePoolName(name);
      if (parsed && name.startsWith(fan) && fan.length === 2) files.push({ path: join(dir, name), ...parsed });
      else strays.push(join(dir, name));
    }
  }
  return { files, strays };
}

/**
 * gc's last step: remove every pool file that no tree links any more (link count 1), and report what that
 * frees; `dryRun` only counts. Inodes in `counted` were already counted by the caller. A writer that
 * linked one meanwhile keeps its own link (a private copy from then on); one about to link it gets ENOENT
 * and writes it again (linkFromPool's `absent`).
 */
export function sweepPool(storeDir: string, opts: { dryRun: boolean; counted?: Set<number> }): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const file of listPool(storeDir).files) {
    let info: Stats;
    try {
      info = lstatSync(file.path);
    } catch {
      continue;
    }
    if (!info.isFile() || info.nlink !== 1) continue;
    if (!opts.dryRun) {
      try {
        unlinkSync(file.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
    }
    files++;
    if (!opts.counted?.has(info.ino)) bytes += info.size;
  }
  return { files, bytes };
}
