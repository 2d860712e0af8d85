// Reads a wheel's .dist-info/METADATA from its zip central directory using only byte ranges, so core metadata
// costs a few kilobytes instead of the whole wheel. Works over HTTP Range requests or a local file alike.
// The end records, the central directory, the names and the member's local header are read by the same
// rules as a whole wheel (src/wheel/zip-layout.ts); what is fetched and inflated is bounded.

import { PystoreError } from "../errors.js";
import { findDistInfo } from "../wheel/dist-info.js";
import { MAX_METADATA_BYTES, metadataTooLarge } from "../wheel/metadata.js";
import { DEFAULT_LIMITS, checkArchiveEntries } from "../wheel/safety.js";
import {
  NotAZipError,
  TAIL_BYTES,
  checkDescriptor,
  checkLocalHeader,
  parseCentralDirectory,
  readEndRecords,
  structureError,
  type ByteReader,
  type EndRecords,
  type ZipMember,
} from "../wheel/zip-layout.js";
import { crc32, inflateRawSync } from "node:zlib";

export { TAIL_BYTES };

/** Reads bytes [start, end) of the archive. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

/**
 * Largest central directory fetched: 200,000 entries (the archive limit) of ordinary names fit in a
 * fraction of it; a directory claiming more is a download bomb, not a wheel.
 */
export const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;

function bad(label: string, problem: string): PystoreError {
  return new PystoreError("INVALID_INDEX_RESPONSE", `${label}: not a readable wheel (${problem})`, {
    hint: "the file is not a zip archive; the index may have served an error page",
  });
}

/** A byte range the parse needs that has not been fetched yet. */
class NeedBytes extends Error {
  constructor(
    readonly start: number,
    readonly length: number,
  ) {
    super("bytes not fetched");
  }
}

/**
 * Run the synchronous parse `fn` over the ranges fetched so far; each range it asks for that is missing
 * is fetched and the parse runs again (parsing costs microseconds, a fetch a round trip).
 */
async function overRanges<T>(
  size: number,
  read: RangeReader,
  chunks: { start: number; data: Buffer }[],
  fn: (r: ByteReader) => T,
): Promise<T> {
  for (;;) {
    const reader: ByteReader = (start, length) => {
      const end = Math.min(size, start + length);
      if (start < 0 || end <= start) return Buffer.alloc(0);
      for (const c of chunks)
        if (c.start <= start && end <= c.start + c.data.length) return c.data.subarray(start - c.start, end - c.start);
      throw new NeedBytes(start, end - start);
    };
    try {
      return fn(reader);
    } catch (error) {
      if (!(error instanceof NeedBytes)) throw error;
      chunks.push({ start: error.start, data: await read(error.start, error.start + error.length) });
    }
  }
}

/**
 * What can be checked of the layout without reading every local header: entries start at the first byte,
 * in central-directory order with no two sharing a header, and the last one (header, data, descriptor)
 * ends exactly where the central directory starts. Costs one small read.
 */
async function checkOutline(
  label: string,
  members: ZipMember[],
  end: EndRecords,
  size: number,
  read: RangeReader,
  chunks: { start: number; data: Buffer }[],
): Promise<void> {
  if (members.length === 0) return;
  if (members[0].localOffset !== 0) throw structureError(label, `${members[0].localOffset} bytes of data before the first entry`);
  for (let i = 1; i < members.length; i++)
    if (members[i].localOffset <= members[i - 1].localOffset)
      throw structureError(label, "entry overlaps the previous one", members[i].name);
  const last = members[members.length - 1];
  const after = await overRanges(size, read, chunks, (r) => {
    const { dataOffset } = checkLocalHeader(label, last, localHeaderBytes(r, last));
    const dataEnd = dataOffset + last.compressedSize;
    return last.flags & 0x0008 ? dataEnd + checkDescriptor(label, last, r, dataEnd) : dataEnd;
  });
  if (after !== end.cdOffset)
    throw structureError(
      label,
      after > end.cdOffset
        ? "the last entry runs into the central directory"
        : `${end.cdOffset - after} unaccounted bytes before the central directory`,
    );
}

/** A member's whole local header: one read for the usual length, a second for a long extra field. */
function localHeaderBytes(r: ByteReader, m: ZipMember): Buffer {
  let header = r(m.localOffset, 30 + (m.nameEnd - m.nameStart) + 64);
  if (header.length >= 30) {
    const full = 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (full > header.length) header = r(m.localOffset, full);
  }
  return header;
}

/**
 * Read METADATA with range reads: the tail (end records), the central directory if the tail did not hold
 * it, then the member's local header and data.
 */
export async function readMetadataByRanges(
  totalSize: number,
  read: RangeReader,
  label: string,
  filename: string,
  tail?: Buffer,
): Promise<string> {
  const tailStart = Math.max(0, totalSize - TAIL_BYTES);
  tail ??= await read(tailStart, totalSize);
  const chunks = [{ start: totalSize - tail.length, data: tail }];
  const end = await overRanges(totalSize, read, chunks, (r) => {
    try {
      return readEndRecords(r, totalSize, label);
    } catch (error) {
      if (error instanceof NotAZipError) throw bad(label, error.message);
      throw error;
    }
  });
  if (end.entries > DEFAULT_LIMITS.maxEntries)
    throw structureError(label, `${end.entries} entries, more than the limit of ${DEFAULT_LIMITS.maxEntries}`);
  if (end.cdSize > MAX_CENTRAL_DIRECTORY_BYTES)
    throw structureError(label, `a ${end.cdSize}-byte central directory, more than the limit of ${MAX_CENTRAL_DIRECTORY_BYTES}`);
  const members = await overRanges(totalSize, read, chunks, (r) => parseCentralDirectory(r(end.cdOffset, end.cdSize), end, label));
  // The names pass the same checks as a whole wheel's: a hostile wheel is refused before it is resolved.
  // The expansion limits do not apply here: only METADATA is inflated, under its own limit below.
  checkArchiveEntries(
    label,
    members.map((m) => ({
      name: m.name,
      compressedSize: m.compressedSize,
      uncompressedSize: m.uncompressedSize,
      externalAttributes: m.externalAttributes,
    })),
    { ...DEFAULT_LIMITS, maxTotalBytes: Number.POSITIVE_INFINITY, maxRatio: Number.POSITIVE_INFINITY },
  );
  await checkOutline(label, members, end, totalSize, read, chunks);
  const path = `${findDistInfo(
    label,
    filename,
    members.map((m) => m.name),
  )}/METADATA`;
  const entry = members.find((m) => m.name === path)!;
  // Both sizes bound what is fetched and inflated: deflate never grows data by more than a few bytes.
  if (entry.uncompressedSize > MAX_METADATA_BYTES || entry.compressedSize > MAX_METADATA_BYTES + 1024)
    throw metadataTooLarge(label, entry.name, Math.max(entry.uncompressedSize, entry.compressedSize));
  const data = await overRanges(totalSize, read, chunks, (r) => {
    const { dataOffset } = checkLocalHeader(label, entry, localHeaderBytes(r, entry));
    const raw = r(dataOffset, entry.compressedSize);
    if (raw.length !== entry.compressedSize || dataOffset + entry.compressedSize > end.cdOffset)
      throw structureError(label, "file data runs into the central directory", entry.name);
    if (entry.flags & 0x0008) checkDescriptor(label, entry, r, dataOffset + entry.compressedSize);
    return raw;
  });
  let text: Buffer;
  if (entry.method === 0) text = data;
  else {
    let consumed: number;
    try {
      // Never past the declared size (itself within the limit): a central directory that understates
      // it cannot make a small deflate stream allocate a huge METADATA.
      const out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize), info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      text = out.buffer;
      consumed = out.engine.bytesWritten;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new PystoreError(
          "INVALID_METADATA",
          `${label}: ${entry.name} expands past the ${entry.uncompressedSize} bytes its header says`,
          {
            hint: "the wheel is malformed or hostile",
            details: { archive: label, path: entry.name, declared: entry.uncompressedSize },
          },
        );
      }
      throw structureError(label, `cannot inflate: ${(error as Error).message}`, entry.name);
    }
    if (consumed !== data.length) throw structureError(label, `${data.length - consumed} bytes follow its compressed data`, entry.name);
  }
  if (text.length !== entry.uncompressedSize || crc32(text) >>> 0 !== entry.crc32)
    throw structureError(label, "CRC-32 does not match its data", entry.name);
  return text.toString("utf8");
}

/** Same, from a whole archive already in memory (the server ignored Range, or a local file). */
export function readMetadataFromBuffer(zip: Buffer, label: string, filename: string): Promise<string> {
  return readMetadataByRanges(zip.length, async (s, e) => zip.subarray(s, e), label, filename, zip);
}
