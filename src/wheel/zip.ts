// Reading a wheel's zip: the central directory into safety-checked entries (./safety.ts) before any byte
// is read, then members read and inflated within their declared sizes. Shared by every wheel reader.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import yauzl from "yauzl";
import { PystoreError, type ErrorCode } from "../errors.js";
import { DEFAULT_LIMITS, checkArchiveEntries, isDirectoryEntry, type ArchiveEntryInfo, type SafetyLimits } from "./safety.js";

export interface ZipItem {
  info: ArchiveEntryInfo;
  /** The normalised, checked path ("" for directories). */
  path: string;
  entry: yauzl.Entry;
}

export interface CheckedEntries {
  /** Normalised file paths in archive order (directories dropped). */
  files: string[];
  byPath: Map<string, ZipItem>;
}

export interface ZipReadOptions {
  limits?: SafetyLimits;
  /** The code for an archive that is not a readable zip at all (the installer and the store differ). */
  corruptCode?: ErrorCode;
}

function decodeName(archive: string, raw: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new PystoreError(
      "UNSAFE_WHEEL",
      `${archive}: refusing archive entry ${JSON.stringify(raw.toString("latin1"))}: name is not valid UTF-8`,
      {
        hint: "the wheel is malformed or hostile; nothing from it was used",
        details: { archive, reason: "name is not valid UTF-8" },
      },
    );
  }
}

async function openWheelZip(wheelPath: string, archive: string, opts: ZipReadOptions = {}): Promise<yauzl.ZipFile> {
  try {
    // decodeStrings: false, so hostile names reach our own checks (and typed errors) instead of yauzl's plain Errors.
    return await yauzl.openPromise(wheelPath, { lazyEntries: true, decodeStrings: false, autoClose: false, validateEntrySizes: true });
  } catch (cause) {
    throw new PystoreError(opts.corruptCode ?? "UNSAFE_WHEEL", `${archive}: not a readable zip archive: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Read the central directory and run every safety check; throws UNSAFE_WHEEL naming the archive and entry. */
export async function readCheckedEntries(zip: yauzl.ZipFile, archive: string, opts: ZipReadOptions = {}): Promise<CheckedEntries> {
  const items: ZipItem[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const info: ArchiveEntryInfo = {
        name: decodeName(archive, entry.fileNameRaw),
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        externalAttributes: entry.externalFileAttributes,
        versionMadeBy: entry.versionMadeBy,
      };
      if (entry.isEncrypted()) throw new PystoreError("UNSAFE_WHEEL", `${archive}: entry ${JSON.stringify(info.name)} is encrypted`);
      items.push({ info, path: "", entry });
    }
  } catch (cause) {
    if (cause instanceof PystoreError) throw cause;
    throw new PystoreError(opts.corruptCode ?? "UNSAFE_WHEEL", `${archive}: corrupt zip archive: ${(cause as Error).message}`, { cause });
  }
  const files = checkArchiveEntries(
    archive,
    items.map((i) => i.info),
    opts.limits ?? DEFAULT_LIMITS,
  );
  const fileItems = items.filter((item) => !isDirectoryEntry(item.info));
  for (const [i, item] of fileItems.entries()) item.path = files[i];
  return { files, byPath: new Map(fileItems.map((item) => [item.path, item])) };
}

/** Where an opened wheel's bytes come from: all of them in memory, or an open file read at offsets. */
export type ZipBytes = { buffer: Buffer } | { fd: number; size: number };

const LOCAL_HEADER = 0x04034b50;

function corrupt(archive: string, name: string, why: string): PystoreError {
  return new PystoreError("UNSAFE_WHEEL", `${archive}: refusing archive entry ${JSON.stringify(name)}: ${why}`, {
    hint: "the wheel is malformed or hostile; nothing from it was installed",
    details: { archive, entry: name, reason: why },
  });
}

function slice(bytes: ZipBytes, start: number, length: number): Buffer {
  if ("buffer" in bytes) return bytes.buffer.subarray(start, start + length);
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(bytes.fd, out, done, length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

/**
 * One entry's bytes, read and inflated synchronously: one slice (or pread) and one inflate per file
 * instead of a read stream and an inflate stream, each a chain of thread-pool round trips. Checks what
 * yauzl's streams check: the local header, the data's bounds, the method and the declared size, and
 * never inflates past that size (a lying central directory cannot make it allocate more).
 */
export function readEntrySync(bytes: ZipBytes, archive: string, item: ZipItem): Buffer {
  const entry = item.entry;
  const name = item.info.name;
  const total = "buffer" in bytes ? bytes.buffer.length : bytes.size;
  const offset = entry.relativeOffsetOfLocalHeader;
  // Local name and extra lengths usually equal the central ones: one read then covers header and data.
  const guess = Math.min(total - offset, 30 + entry.fileNameLength + entry.extraFieldLength + entry.compressedSize);
  let chunk = slice(bytes, offset, Math.max(0, guess));
  if (chunk.length < 30 || chunk.readUInt32LE(0) !== LOCAL_HEADER) throw corrupt(archive, name, "invalid local file header");
  const dataStart = 30 + chunk.readUInt16LE(26) + chunk.readUInt16LE(28);
  if (offset + dataStart + entry.compressedSize > total) throw corrupt(archive, name, "file data overflows the archive");
  if (dataStart + entry.compressedSize > chunk.length) chunk = slice(bytes, offset, dataStart + entry.compressedSize);
  const raw = chunk.subarray(dataStart, dataStart + entry.compressedSize);
  let data: Buffer;
  if (entry.compressionMethod === 0) {
    data = raw;
  } else if (entry.compressionMethod === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (cause) {
      throw corrupt(archive, name, `cannot inflate: ${(cause as Error).message}`);
    }
  } else {
    throw corrupt(archive, name, `unsupported compression method ${entry.compressionMethod}`);
  }
  if (data.length !== entry.uncompressedSize)
    throw corrupt(archive, name, `expands to ${data.length} bytes, not the ${entry.uncompressedSize} its header says`);
  return data;
}

export interface OpenedWheel {
  zip: yauzl.ZipFile;
  bytes: ZipBytes;
  close(): void;
}

/**
 * Open a wheel for installing: from bytes the caller already read (and hashed), or from the file, which
 * yauzl reads for the central directory and readEntrySync through a descriptor of its own (yauzl closes
 * its descriptor itself, asynchronously, so the two are never shared).
 */
export async function openWheelBytes(wheelPath: string, archive: string, data?: Buffer, corruptCode?: ErrorCode): Promise<OpenedWheel> {
  if (data) {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
    } catch (cause) {
      throw new PystoreError(corruptCode ?? "UNSAFE_WHEEL", `${archive}: not a readable zip archive: ${(cause as Error).message}`, {
        cause,
      });
    }
    return { zip, bytes: { buffer: data }, close: () => zip.close() };
  }
  const fd = openSync(wheelPath, "r");
  try {
    const size = fstatSync(fd).size;
    const zip = await openWheelZip(wheelPath, archive, { corruptCode });
    // Both opened the same path moments apart; the store never rewrites a wheel, but say so if it changed.
    if ((zip as unknown as { fileSize: number }).fileSize !== size) {
      zip.close();
      throw new PystoreError("UNSAFE_WHEEL", `${archive}: the file changed while being opened`);
    }
    return {
      zip,
      bytes: { fd, size },
      close: () => {
        zip.close();
        closeSync(fd);
      },
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
