// Reads a wheel's .dist-info/METADATA from its zip central directory using only byte ranges, so core metadata
// costs a few kilobytes instead of the whole wheel. Works over HTTP Range requests or a local file alike.

import { crc32, inflateRawSync } from "node:zlib";
import { PystoreError } from "../errors.js";
import { findDistInfo } from "../wheel/dist-info.js";
import { MAX_METADATA_BYTES, metadataTooLarge } from "../wheel/metadata.js";

/** Reads bytes [start, end) of the archive. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** End of central directory record (22) + the longest comment (65535). */
export const TAIL_BYTES = 22 + 65535;

interface CentralEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function bad(label: string, problem: string): PystoreError {
  return new PystoreError("INVALID_INDEX_RESPONSE", `${label}: not a readable wheel (${problem})`, {
    hint: "the file is not a zip archive; the index may have served an error page",
  });
}

function locateCentralDirectory(tail: Buffer, tailStart: number, label: string): { offset: number; size: number; zip64LocatorAt?: number } {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIG) continue;
    const commentLength = tail.readUInt16LE(i + 20);
    if (i + 22 + commentLength !== tail.length) continue;
    const size = tail.readUInt32LE(i + 12);
    const offset = tail.readUInt32LE(i + 16);
    if (size === 0xffffffff || offset === 0xffffffff || tail.readUInt16LE(i + 10) === 0xffff) {
      return { offset, size, zip64LocatorAt: tailStart + i - 20 };
    }
    return { offset, size };
  }
  throw bad(label, "no end-of-central-directory record");
}

function zip64Field(
  extra: Buffer,
  want: { size: boolean; compressed: boolean; offset: boolean },
): { size?: number; compressed?: number; offset?: number } {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const out: { size?: number; compressed?: number; offset?: number } = {};
      if (want.size) {
        out.size = Number(extra.readBigUInt64LE(q));
        q += 8;
      }
      if (want.compressed) {
        out.compressed = Number(extra.readBigUInt64LE(q));
        q += 8;
      }
      if (want.offset) out.offset = Number(extra.readBigUInt64LE(q));
      return out;
    }
    p += 4 + len;
  }
  return {};
}

function parseCentralDirectory(cd: Buffer, label: string): CentralEntry[] {
  const entries: CentralEntry[] = [];
  for (let p = 0; p + 46 <= cd.length; ) {
    if (cd.readUInt32LE(p) !== CENTRAL_SIG) break;
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLength).toString("utf8");
    const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
    const z = zip64Field(extra, {
      size: size === 0xffffffff,
      compressed: compressedSize === 0xffffffff,
      offset: localOffset === 0xffffffff,
    });
    size = z.size ?? size;
    compressedSize = z.compressed ?? compressedSize;
    localOffset = z.offset ?? localOffset;
    entries.push({ name, method, crc, compressedSize, size, localOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  if (entries.length === 0) throw bad(label, "empty or unreadable central directory");
  return entries;
}

/** The METADATA member of the wheel's own `.dist-info`, by the one rule every wheel reader uses. */
function findMetadataEntry<T extends { name: string }>(entries: T[], label: string, filename: string): T {
  const member = `${findDistInfo(
    label,
    filename,
    entries.map((e) => e.name),
  )}/METADATA`;
  return entries.find((e) => e.name === member)!;
}

/**
 * Read METADATA with range reads: the tail (end-of-central-directory), the central directory if the
 * tail did not hold it, then the member's local header and data.
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
  const tailOffset = totalSize - tail.length;
  let { offset, size, zip64LocatorAt } = locateCentralDirectory(tail, tailOffset, label);
  if (zip64LocatorAt !== undefined) {
    const locator =
      zip64LocatorAt >= tailOffset
        ? tail.subarray(zip64LocatorAt - tailOffset, zip64LocatorAt - tailOffset + 20)
        : await read(zip64LocatorAt, zip64LocatorAt + 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw bad(label, "broken zip64 locator");
    const recordAt = Number(locator.readBigUInt64LE(8));
    const record =
      recordAt >= tailOffset ? tail.subarray(recordAt - tailOffset, recordAt - tailOffset + 56) : await read(recordAt, recordAt + 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw bad(label, "broken zip64 end-of-central-directory record");
    size = Number(record.readBigUInt64LE(40));
    offset = Number(record.readBigUInt64LE(48));
  }
  if (offset + size > totalSize) throw bad(label, "central directory outside the file");
  const cd = offset >= tailOffset ? tail.subarray(offset - tailOffset, offset - tailOffset + size) : await read(offset, offset + size);
  const entry = findMetadataEntry(parseCentralDirectory(cd, label), label, filename);
  if (entry.size > MAX_METADATA_BYTES) throw metadataTooLarge(label, entry.name, entry.size);
  // The local header's name and extra lengths may differ from the central ones: read generously, then exactly.
  const guess = 30 + Buffer.byteLength(entry.name) + 256 + entry.compressedSize;
  let local =
    entry.localOffset >= tailOffset && entry.localOffset + guess <= totalSize
      ? tail.subarray(entry.localOffset - tailOffset, entry.localOffset - tailOffset + guess)
      : await read(entry.localOffset, Math.min(totalSize, entry.localOffset + guess));
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIG) throw bad(label, "broken local file header");
  const dataStart = 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (dataStart + entry.compressedSize > local.length) {
    local = await read(entry.localOffset, entry.localOffset + dataStart + entry.compressedSize);
  }
  const data = local.subarray(dataStart, dataStart + entry.compressedSize);
  let text: Buffer;
  if (entry.method === 0) text = data;
  else if (entry.method === 8) {
    try {
      // Never past the declared size (itself within the limit): a central directory that understates
      // it cannot make a small deflate stream allocate a huge METADATA.
      text = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new PystoreError("INVALID_METADATA", `${label}: ${entry.name} expands past the ${entry.size} bytes its header says`, {
          hint: "the wheel is malformed or hostile",
          details: { archive: label, path: entry.name, declared: entry.size },
        });
      }
      throw bad(label, `METADATA does not inflate: ${(error as Error).message}`);
    }
  } else throw bad(label, `METADATA uses unsupported compression method ${entry.method}`);
  if (text.length !== entry.size || crc32(text) !== entry.crc) throw bad(label, "METADATA fails its CRC check");
  return text.toString("utf8");
}

/** Same, from a whole archive already in memory (the server ignored Range, or a local file). */
export function readMetadataFromBuffer(zip: Buffer, label: string, filename: string): Promise<string> {
  return readMetadataByRanges(zip.length, async (s, e) => zip.subarray(s, e), label, filename, zip);
}
