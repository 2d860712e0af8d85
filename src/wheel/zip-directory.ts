// Reading a wheel's zip directory: the structure read one way (./zip-layout.ts) and every entry through
// the safety checks (./safety.ts) before any byte is used, from the bytes in memory or from an open file.
// Members are read from what this returns by ./zip.ts.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { PystoreError, type ErrorCode } from "../errors.js";
import { DEFAULT_LIMITS, checkArchiveEntries, isDirectoryEntry, type ArchiveEntryInfo, type SafetyLimits } from "./safety.js";
import {
  NotAZipError,
  checkLocalLayout,
  parseCentralDirectory,
  readEndRecords,
  structureError,
  type ByteReader,
  type ZipMember,
} from "./zip-layout.js";

export interface ZipItem {
  /** What the safety checks read (the member itself). */
  info: ArchiveEntryInfo;
  /** The checked path. */
  path: string;
  member: ZipMember;
  dataOffset: number;
}

export interface CheckedEntries {
  /** File paths in archive order (directories dropped). */
  files: string[];
  byPath: Map<string, ZipItem>;
}

export interface ZipReadOptions {
  limits?: SafetyLimits;
  /** The code for an archive that is not a zip at all (the installer and the store differ). */
  corruptCode?: ErrorCode;
}

/** Where an opened wheel's bytes come from: all of them in memory, or an open file read at offsets. */
export type ZipBytes = { buffer: Buffer } | { fd: number; size: number };

export function byteReader(bytes: ZipBytes): ByteReader {
  if ("buffer" in bytes) return (start, length) => bytes.buffer.subarray(Math.max(0, start), Math.max(0, start + length));
  return (start, length) => {
    const end = Math.min(bytes.size, start + length);
    if (start < 0 || end <= start) return Buffer.alloc(0);
    const out = Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < out.length) {
      const n = readSync(bytes.fd, out, done, out.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  };
}

/** Read the structure and run every safety check; throws UNSAFE_WHEEL naming the archive and entry. */
export function readCheckedEntries(bytes: ZipBytes, archive: string, opts: ZipReadOptions = {}): CheckedEntries {
  const read = byteReader(bytes);
  // The archive in memory (a download kept whole): local headers are checked where they are, without a view each.
  const whole = "buffer" in bytes ? bytes.buffer : undefined;
  const size = "buffer" in bytes ? bytes.buffer.length : bytes.size;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let end: ReturnType<typeof readEndRecords>;
  try {
    end = readEndRecords(read, size, archive);
  } catch (error) {
    if (!(error instanceof NotAZipError)) throw error;
    throw new PystoreError(opts.corruptCode ?? "UNSAFE_WHEEL", `${archive}: not a readable zip archive: ${error.message}`, {
      hint: "the file is not a wheel (a truncated download, or an error page saved under a wheel's name)",
      details: { archive },
    });
  }
  // Counted before the directory is read: a claimed million entries costs nothing.
  if (end.entries > limits.maxEntries) throw structureError(archive, `${end.entries} entries, more than the limit of ${limits.maxEntries}`);
  const members = parseCentralDirectory(read(end.cdOffset, end.cdSize), end, archive);
  // Names and sizes first (cheap, and the usual reason to refuse), then every local header. A member
  // carries every fact the safety checks read, so it is its own ArchiveEntryInfo: no copy per entry.
  const files = checkArchiveEntries(archive, members, limits);
  const offsets = checkLocalLayout(archive, members, end, read, whole);
  const byPath = new Map<string, ZipItem>();
  // files[] holds the non-directory members' checked paths in archive order.
  let next = 0;
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    if (isDirectoryEntry(member)) {
      if (member.uncompressedSize !== 0) throw structureError(archive, "directory entry with data", member.name);
      continue;
    }
    const path = files[next++];
    byPath.set(path, { info: member, path, member, dataOffset: offsets[i] });
  }
  return { files, byPath };
}

export interface OpenedWheel extends CheckedEntries {
  bytes: ZipBytes;
  close(): void;
}

/**
 * Open and check a wheel: from bytes the caller already read (and hashed), or from the file through a
 * descriptor kept open until close().
 */
export function openWheel(wheelPath: string, archive: string, opts: ZipReadOptions & { data?: Buffer } = {}): OpenedWheel {
  if (opts.data) {
    const bytes = { buffer: opts.data };
    return { ...readCheckedEntries(bytes, archive, opts), bytes, close: () => {} };
  }
  const fd = openSync(wheelPath, "r");
  try {
    const bytes = { fd, size: fstatSync(fd).size };
    return { ...readCheckedEntries(bytes, archive, opts), bytes, close: () => closeSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
