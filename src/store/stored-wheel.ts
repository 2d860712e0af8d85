// A stored wheel opened for unpacking: its bytes checked against the store's row before anything is read
// from them, held in memory when small (one reused buffer per thread), and the errors that name it.

import { createHash } from "node:crypto";
import { openSync, readSync } from "node:fs";
import { PystoreError } from "../errors.js";
import type { StoreEntry } from "./entries.js";

/** The wheel is hashed this many bytes at a time. */
const HASH_CHUNK = 1 << 20;
/**
 * Wheels up to this size are read into memory once (hashed, then unpacked from that buffer). Larger ones
 * are read at offsets into the member reader's own reused buffers: two preads per member cost less than
 * a held wheel's pages (up to 8 MB per unpacking thread when this was 8 MiB).
 */
export const HOLD_WHEELS_UP_TO = 1 << 20;

/**
 * One buffer per thread for held wheels, reused wheel after wheel: a fresh one each time leaves megabytes
 * of dead buffers waiting for a collection (tens of MB of peak RSS per unpacking thread). It is allocated
 * at its full size once (pages never read into cost nothing), so it is never freed and regrown: freeing a
 * large buffer raises glibc's mmap threshold, and later large buffers then stay in malloc arenas. A second
 * extraction running meanwhile in the same thread gets its own.
 */
let spare: Buffer | undefined;
function heldBuffer(size: number): Buffer {
  const buffer = spare && spare.length >= size ? spare : Buffer.allocUnsafe(Math.max(size, HOLD_WHEELS_UP_TO));
  spare = undefined;
  return buffer.subarray(0, size);
}
export function releaseHeld(held: Buffer | undefined): void {
  if (held) spare = Buffer.from(held.buffer, held.byteOffset, held.buffer.byteLength - held.byteOffset);
}

/** The chunk a wheel that is not held is hashed through, this thread's, for the same reason. */
let hashChunk: Buffer | undefined;

/** What unpacking needs of a store entry (a thread is sent this, not the entry's metadata). */
export type StoredWheel = Pick<StoreEntry, "sha256" | "size" | "filename" | "path">;

export function corrupted(entry: StoredWheel, found: string): PystoreError {
  return new PystoreError(
    "STORE_CORRUPTED",
    `${entry.filename}: the stored file ${entry.path} no longer matches its recorded sha256 ${entry.sha256} (found ${found})`,
    {
      hint: "run `pystore store verify --repair` to re-fetch it from its origin",
      details: { expected: entry.sha256, found, path: entry.path },
    },
  );
}

/**
 * The open wheel's size and sha256 against its row, read in bounded chunks; with `whole`, into one buffer
 * that is returned, so the members are then read from the very bytes that were hashed.
 */
export function verifyOpenWheel(fd: number, size: number, entry: StoredWheel, whole = false): Buffer | undefined {
  if (size !== entry.size) throw corrupted(entry, `${size} bytes`);
  const hash = createHash("sha256");
  const all = whole ? heldBuffer(size) : undefined;
  if (!all) hashChunk ??= Buffer.allocUnsafe(HASH_CHUNK);
  const chunk = all ?? hashChunk!;
  let offset = 0;
  while (offset < size) {
    const at = all ? offset : 0;
    const n = readSync(fd, chunk, at, Math.min(chunk.length - at, size - offset), offset);
    if (n === 0) break;
    hash.update(chunk.subarray(at, at + n));
    offset += n;
  }
  const found = hash.digest("hex");
  if (offset !== size) throw corrupted(entry, `${offset} bytes`);
  if (found !== entry.sha256) throw corrupted(entry, found);
  return all;
}

export function openStoredWheel(entry: StoredWheel): number {
  try {
    return openSync(entry.path, "r");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new PystoreError(
      missing ? "STORE_CORRUPTED" : "STORE_IO",
      `${entry.filename}: ${missing ? "the stored file is missing" : (error as Error).message} (${entry.path})`,
      { hint: "run `pystore store verify --repair`", cause: error },
    );
  }
}
