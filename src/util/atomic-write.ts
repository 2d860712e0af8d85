// The one write protocol for everything pystore puts on disk:
// temp file (same directory, exclusive) → hash while writing → verify → fsync → rename → fsync the directory.
// A reader never sees a half-written file; a crash leaves at most a `.tmp-*` file that cleanup removes.

import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { PystoreError } from "../errors.js";
import { ensureDirectory } from "./dirs.js";
import { fsCauseInWords, refusedWrite, writeFailure } from "./fs-errors.js";

// Callers that already import the write protocol get its error mapping from the same place.
export { refusedWrite } from "./fs-errors.js";

export const TEMP_PREFIX = ".tmp-";

export interface Expected {
  /** Lower-case hex sha256 the bytes must have. */
  sha256?: string;
  size?: number;
  /** Used in error messages: what these bytes are (a filename, a URL already redacted). */
  label?: string;
}

export interface Written {
  path: string;
  sha256: string;
  size: number;
  /** False when `noOverwrite` found the destination already present (and verified). */
  created: boolean;
}

export interface WriteOptions {
  expected?: Expected;
  /** Keep an existing destination instead of replacing it (content-addressed files). */
  noOverwrite?: boolean;
  mode?: number;
  /** Directory for the temp file (must be on the destination's filesystem). Default: the destination's. */
  tempDir?: string;
  /**
   * Create the destination's directory only when the final link or rename needs it, and again if it
   * vanished meanwhile (a store's gc removes entry directories that have no row yet). Needs `tempDir`.
   */
  directoryAtLink?: boolean;
  /** The code of a write the filesystem refuses (full, quota, read-only, permissions). Default `IO`. */
  errorCode?: "IO" | "STORE_IO";
  /** What is being written, for that error's message (default: the destination's name). */
  what?: string;
}

/** How often the final link is retried when the destination's directory vanished under it. */
const LINK_ATTEMPTS = 5;

/**
 * The one temp-name grammar (store-format/store-layout.md): `.tmp-<label>.<pid>.<12 hex>`. The pid lets
 * cleanup tell a dead writer's debris from a live one's; the random part keeps concurrent writers apart.
 */
export function tempName(label: string): string {
  return `${TEMP_PREFIX}${label}.${process.pid}.${randomBytes(6).toString("hex")}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove temp files for `destination` left beside it by writers that died (kill -9, a power cut): the
 * pid in the name is not alive. A live writer's temp file is kept, so concurrent writers are safe. Best
 * effort: what cannot be listed or removed now is left for a later run.
 */
async function removeDeadWritersTemps(destination: string): Promise<void> {
  const dir = dirname(destination);
  const prefix = `${TEMP_PREFIX}${basename(destination)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{12}$/.exec(name.slice(prefix.length));
    if (!match || Number(match[1]) === process.pid || pidAlive(Number(match[1]))) continue;
    await rm(join(dir, name), { force: true }).catch(() => {});
  }
}

function tempPathFor(destination: string, tempDir?: string): string {
  return join(tempDir ?? dirname(destination), tempName(basename(destination)));
}

async function fsyncPath(path: string, flags: number): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on directories (EINVAL/EISDIR); the rename itself is still atomic.
    if (flags !== constants.O_RDONLY) throw error;
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  try {
    await fsyncPath(dir, constants.O_RDONLY);
  } catch {
    /* see fsyncPath */
  }
}

/** SIZE_MISMATCH or HASH_MISMATCH when written bytes are not what `expected` promised. */
export function verifyWritten(sha256: string, size: number, expected: Expected | undefined): void {
  if (!expected) return;
  const label = expected.label ?? "file";
  if (expected.size !== undefined && expected.size !== size) {
    throw new PystoreError("SIZE_MISMATCH", `${label}: expected ${expected.size} bytes, got ${size}`, {
      details: { expected: expected.size, found: size },
    });
  }
  if (expected.sha256 !== undefined && expected.sha256.toLowerCase() !== sha256) {
    throw new PystoreError("HASH_MISMATCH", `${label}: sha256 mismatch: expected ${expected.sha256.toLowerCase()}, got ${sha256}`, {
      hint: "the bytes differ from what the lock or index promised; nothing was stored",
      details: { expected: expected.sha256, found: sha256 },
    });
  }
}

/**
 * The typed failure for a destination that cannot be written (its directory cannot be created, e.g. under
 * /proc, or is not writable): IO naming the path, so the CLI reports it instead of crashing.
 */
function cannotWrite(destination: string): (problem: string, cause?: unknown) => PystoreError {
  return (problem, cause) =>
    new PystoreError("IO", `cannot write ${destination}: ${problem}`, {
      hint: "choose a path in a writable directory on a regular filesystem",
      cause,
      details: { path: destination },
    });
}

/** Stream `source` into `destination` atomically, verifying hash and size before it becomes visible. */
export async function writeStreamAtomic(
  source: Readable | AsyncIterable<Uint8Array>,
  destination: string,
  options: WriteOptions = {},
): Promise<Written> {
  const fail = cannotWrite(destination);
  if (options.tempDir !== undefined) await ensureDirectory(options.tempDir, fail);
  if (!options.directoryAtLink || options.tempDir === undefined) await ensureDirectory(dirname(destination), fail);
  // Beside a user's file (an -o path) nothing else cleans up after a killed writer; the store's tmp/ is
  // cleaned when the store is opened.
  if (options.tempDir === undefined) await removeDeadWritersTemps(destination);
  const temp = tempPathFor(destination, options.tempDir);
  // Every failure past the open is typed: the bytes were fine, the filesystem was not.
  const refused = (error: unknown, path: string) => writeFailure(error, path, options.what ?? basename(destination), options.errorCode);
  const hash = createHash("sha256");
  let size = 0;
  // Open the temp file ourselves (exclusively) before reading the source: a lazily opened write stream
  // can create the file after a failed pipeline's cleanup has already run, leaving debris behind.
  let handle: FileHandle;
  try {
    handle = await open(temp, "wx", options.mode ?? 0o644);
  } catch (error) {
    throw (
      refusedWrite(error, temp, options.what ?? basename(destination), options.errorCode) ??
      fail(`cannot create a file in ${dirname(temp)}: ${fsCauseInWords(error)}`, error)
    );
  }
  let closed = false;
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      hash.update(bytes);
      size += bytes.length;
      // write() may take less than asked (a filling disk, allowed by POSIX): loop until done, so the
      // next write reports the ENOSPC instead of the file silently coming up short.
      try {
        for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset)).bytesWritten;
      } catch (error) {
        throw refused(error, temp);
      }
    }
    const sha256 = hash.digest("hex");
    verifyWritten(sha256, size, options.expected);
    try {
      await handle.sync();
      closed = true;
      await handle.close();
    } catch (error) {
      throw refused(error, temp);
    }
    let created: boolean;
    try {
      created = await commit(temp, destination, options.noOverwrite === true, options.directoryAtLink === true);
    } catch (error) {
      throw refused(error, destination);
    }
    await fsyncDirectory(dirname(destination));
    return { path: destination, sha256, size, created };
  } finally {
    if (!closed) await handle.close().catch(() => {});
    await rm(temp, { force: true });
  }
}

/** Write a buffer atomically (same protocol as streams). */
export async function writeFileAtomic(destination: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<Written> {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  async function* once() {
    yield bytes;
  }
  return writeStreamAtomic(once(), destination, options);
}

/**
 * Move the verified temp file into place. With noOverwrite, an existing destination wins: for
 * content-addressed files it holds the same bytes (concurrent writers are normal), so EEXIST is success.
 * With `directoryAtLink`, a missing directory (never made yet, or removed by a concurrent gc) is created
 * and the link tried again, a bounded number of times.
 */
async function commit(temp: string, destination: string, noOverwrite: boolean, directoryAtLink: boolean): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce(temp, destination, noOverwrite);
    } catch (error) {
      if (!directoryAtLink || (error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= LINK_ATTEMPTS) throw error;
    }
    try {
      await mkdir(dirname(destination));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

async function commitOnce(temp: string, destination: string, noOverwrite: boolean): Promise<boolean> {
  if (!noOverwrite) {
    await rename(temp, destination);
    return true;
  }
  try {
    // link() fails with EEXIST instead of replacing: a no-overwrite rename on every POSIX filesystem.
    await link(temp, destination);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      // ENOENT here (the winner's file removed meanwhile) sends the caller round to link again.
      await stat(destination);
      return false;
    }
    if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV") {
      // Filesystems without hard links: fall back to rename after checking for a winner.
      try {
        await stat(destination);
        return false;
      } catch {
        await rename(temp, destination);
        return true;
      }
    }
    throw error;
  }
}
