// Where an archive writer gets a bundle file's bytes: in memory, or a file on disk read synchronously
// straight into the writer's buffers, checked against the size and sha256 the manifest lists for it.
// A page-cache read costs a syscall; an async read costs a threadpool round trip per call, which on a
// bundle of thousands of small files was most of the archive's time.

import { createHash, type Hash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { PystoreError } from "../errors.js";

/** A file on disk and what the manifest says it holds. */
export interface FileSource {
  file: string;
  size: number;
  sha256: string;
}

/** A listed file's bytes: in hand, on disk, or (tests, other callers) a stream. */
export type ArchiveSource = Buffer | FileSource | Readable;

/** Finds the bytes of a bundle path. */
export type SourceOf = (path: string) => ArchiveSource;

export function isFileSource(source: ArchiveSource): source is FileSource {
  return !Buffer.isBuffer(source) && typeof (source as FileSource).file === "string";
}

/** The failure for a file whose bytes are not what was listed: BUNDLE_FAILED, the archive is not published. */
export function changedFile(name: string, problem: string): PystoreError {
  // Files are read from the store's trees and the project: a file that differs from what was listed
  // was edited meanwhile (a store file through a hardlinked bundle), not a race in this process.
  return new PystoreError("BUNDLE_FAILED", `${name}: ${problem}; the file changed before it was archived`, {
    hint: "if it came from the store, run `pystore store verify --repair`; then bundle again",
  });
}

/**
 * A file opened for archiving. `read` fills exactly the span asked for; `finish` checks the sha256 and
 * closes. A file shorter or longer than listed, or with other bytes, fails as `changedFile`.
 */
export class SourceReader {
  private readonly fd: number;
  private readonly hash: Hash = createHash("sha256");
  private done = 0;
  private closed = false;

  constructor(private readonly source: FileSource) {
    this.fd = openSync(source.file, "r");
    try {
      const info = fstatSync(this.fd);
      if (!info.isFile()) throw changedFile(this.source.file, "no longer a regular file");
      if (info.size !== source.size) throw changedFile(this.source.file, `${info.size} bytes, not the ${source.size} recorded for it`);
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** Read the next `length` bytes of the file into `into` at `offset`. */
  read(into: Buffer, offset: number, length: number): void {
    for (let end = offset + length; offset < end; ) {
      const got = readSync(this.fd, into, offset, end - offset, null);
      if (got === 0) {
        this.close();
        throw changedFile(this.source.file, `${this.done} bytes, not the ${this.source.size} recorded for it`);
      }
      this.hash.update(into.subarray(offset, offset + got));
      offset += got;
      this.done += got;
    }
  }

  /** All `size` bytes read: check them and close. */
  finish(): void {
    this.close();
    const found = this.hash.digest("hex");
    if (found !== this.source.sha256) throw changedFile(this.source.file, `sha256 ${found}, not ${this.source.sha256}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** A stream's bytes, counted against the listed size (the slow path, for sources given as streams). */
export async function* streamedBytes(name: string, stream: Readable, size: number): AsyncGenerator<Buffer> {
  let written = 0;
  for await (const chunk of stream) {
    written += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (written !== size) throw changedFile(name, `${written} bytes, not the ${size} recorded for it`);
}
