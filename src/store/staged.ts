// A wheel staged in the store's tmp/ (store-format/store-layout.md, "The write protocol"): its bytes written
// once and hashed as they are written, verified, fsynced, then hard-linked into its entry directory. The
// staged name stays until the row commits, so a file a concurrent gc takes before that is linked again.

import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  copyFileSync,
  fsync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { promisify } from "node:util";
import { basename, dirname, join } from "node:path";
import { type Expected, TEMP_PREFIX, verifyWritten, type Written } from "../util/atomic-write.js";
import { writeFailure } from "../util/fs-errors.js";
import { checkFile, WHEEL_MODE } from "./content.js";

const fsyncFd = promisify(fsync);

/** How often linking is retried when the entry directory vanished under it (a concurrent gc). */
const LINK_ATTEMPTS = 5;

/**
 * Wheels up to this size are also kept in memory while they are written, so admission reads their
 * central directory, local headers and the few members it checks from there instead of the disk; larger
 * ones are read back from the staged file. Bounded per download.
 */
export const KEEP_IN_MEMORY_BYTES = 16 * 1024 * 1024;

export interface StagedFile extends Written {
  /** The whole file, when it was small enough to keep (see KEEP_IN_MEMORY_BYTES). */
  bytes?: Buffer;
  /**
   * Settles when the file's fsync has: the file is admitted meanwhile, and must not be linked before this
   * resolved. Rejects with STORE_IO (the file is not removed then: the caller removes it).
   */
  synced: Promise<void>;
}

/** Write all of `chunk` (a short write is retried, so ENOSPC surfaces instead of a short file). */
function writeAll(fd: number, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

/**
 * Write `body` to `path` (created exclusively, mode 0444), hashing as it is written, check it against
 * `expected`, and start its fsync (`synced`). Synchronous writes: each chunk is a page-cache copy, far
 * cheaper than a round trip through libuv's thread pool. The file is removed again when anything before
 * the fsync fails.
 */
export async function stageBody(body: AsyncIterable<Uint8Array>, path: string, expected: Expected): Promise<StagedFile> {
  const what = expected.label ?? basename(path);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, WHEEL_MODE);
  } catch (error) {
    throw writeFailure(error, path, what, "STORE_IO");
  }
  let done = false;
  try {
    const hash = createHash("sha256");
    let size = 0;
    // Sized up front when the size is known (every byte is written before it is read), else gathered as
    // chunks while the total stays under the limit.
    let kept: Buffer | undefined =
      expected.size !== undefined && expected.size <= KEEP_IN_MEMORY_BYTES ? Buffer.allocUnsafe(expected.size) : undefined;
    let chunks: Uint8Array[] | undefined = expected.size === undefined ? [] : undefined;
    for await (const chunk of body) {
      hash.update(chunk);
      if (kept) {
        if (size + chunk.length <= kept.length) kept.set(chunk, size);
        else kept = undefined;
      } else if (chunks) {
        if (size + chunk.length <= KEEP_IN_MEMORY_BYTES) chunks.push(chunk);
        else chunks = undefined;
      }
      try {
        writeAll(fd, chunk);
      } catch (error) {
        throw writeFailure(error, path, what, "STORE_IO");
      }
      size += chunk.length;
    }
    const sha256 = hash.digest("hex");
    verifyWritten(sha256, size, expected);
    // The descriptor is closed once its fsync is done, not here.
    const syncing = fd;
    const synced = fsyncFd(syncing)
      .catch((error: unknown) => {
        throw writeFailure(error, path, what, "STORE_IO");
      })
      .finally(() => closeSync(syncing));
    // Awaited by the caller; marked handled now, so a failure while admission is still running is not "unhandled".
    synced.catch(() => {});
    done = true;
    let bytes = kept && size === kept.length ? kept : undefined;
    if (chunks) bytes = Buffer.concat(chunks, size);
    return { path, sha256, size, created: true, synced, ...(bytes ? { bytes } : {}) };
  } finally {
    if (!done) {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  }
}

export interface Linked {
  /** This call put the file in place (else an identical one was there already). */
  created: boolean;
  /** An existing, damaged file at the destination was replaced by the staged bytes. */
  replaced: boolean;
}

/**
 * Put the verified, fsynced staged file at `destination` without ever overwriting good bytes: `link`,
 * which fails with EEXIST. An existing file is re-hashed: identical is success (another writer, or a
 * crash before a row); damaged is replaced by an atomic rename of a second link to the staged file.
 * The entry directory is made here, not earlier (an empty one is an orphan to a concurrent gc), and
 * again if it vanished. The directory is fsynced once, when its contents changed.
 */
export async function linkStaged(staged: string, destination: string, expected: { sha256: string; size: number }): Promise<Linked> {
  let result: Linked | undefined;
  for (let attempt = 1; result === undefined; attempt++) {
    try {
      linkSync(staged, destination);
      result = { created: true, replaced: false };
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= LINK_ATTEMPTS) throw error;
      if (code === "ENOENT") {
        makeDirectory(dirname(destination));
        continue;
      }
      if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV") {
        result = copyInPlace(staged, destination);
        break;
      }
      if (code !== "EEXIST") throw error;
    }
    const existing = await checkFile(destination, expected.sha256, expected.size);
    if (existing.status === "missing") continue;
    if (existing.status === "ok") return { created: false, replaced: false };
    const aside = join(dirname(staged), `${TEMP_PREFIX}replace.${process.pid}.${randomBytes(6).toString("hex")}`);
    linkSync(staged, aside);
    renameSync(aside, destination);
    result = { created: true, replaced: true };
  }
  await fsyncDirectory(dirname(destination));
  return result;
}

/** Filesystems without hard links: a copy next to the destination, fsynced, renamed in unless a winner is there. */
function copyInPlace(staged: string, destination: string): Linked {
  try {
    statSync(destination);
    return { created: false, replaced: false };
  } catch {
    /* no winner */
  }
  const temp = join(dirname(destination), `${TEMP_PREFIX}${basename(destination)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  try {
    copyFileSync(staged, temp, constants.COPYFILE_EXCL);
    // Rare (no hard links), so a blocking fsync is fine here.
    const fd = openSync(temp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, destination);
  } finally {
    rmSync(temp, { force: true });
  }
  return { created: true, replaced: false };
}

function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** fsync a directory so the names in it survive a power loss; filesystems that refuse it are skipped. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY);
  } catch {
    return;
  }
  try {
    await fsyncFd(fd);
  } catch {
    /* EINVAL/EISDIR on some filesystems: the link or rename itself is still atomic */
  } finally {
    closeSync(fd);
  }
}
