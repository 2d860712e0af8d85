// The one reading of a zip's structure (APPNOTE 6.3.10): the end records, the central directory and every
// local header, cross-checked so that no other reader (one that trusts the central directory, as Python's
// zipfile does, or one that walks local headers from the start, as streaming unzippers do) can see other
// members, other names or other bytes. Anything two readers could read differently is refused.
// Pure over a byte reader: the whole-file reader (./zip.ts) and the range reader (index-client) share it.

import { isAscii } from "node:buffer";
import { PystoreError } from "../errors.js";

/** Bytes [start, start + length) of the archive (shorter only at the end of the file). */
export type ByteReader = (start: number, length: number) => Buffer;

/** One member as the central directory and its local header agree on it. */
export interface ZipMember {
  /** The name decoded as UTF-8 (ASCII unless the UTF-8 flag is set). */
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  versionMadeBy: number;
  externalAttributes: number;
  /** Whether the central record carried a ZIP64 extra field (its data descriptor then has 8-byte sizes). */
  zip64: boolean;
  /**
   * The raw name: `centralDirectory`[nameStart, nameEnd), the central directory's bytes (no view of its own per
   * member: a wheel has thousands). The local header must repeat these bytes exactly.
   */
  centralDirectory: Buffer;
  nameStart: number;
  nameEnd: number;
}

export interface EndRecords {
  entries: number;
  cdOffset: number;
  cdSize: number;
  /** Where the central directory must end: the ZIP64 end record when there is one, else the end record. */
  cdEnd: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
/** Every record signature: none may hide in an archive comment. */
const SIGNATURES = [EOCD, ZIP64_EOCD, ZIP64_LOCATOR, CENTRAL, LOCAL, DESCRIPTOR];
/** End of central directory record (22) + the longest comment (65535). */
export const TAIL_BYTES = 22 + 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const FLAG_MASKED_DIRECTORY = 0x2000;

const EXTRA_ZIP64 = 0x0001;
/** Info-ZIP's Unicode path: a second name some readers prefer to the header's. */
const EXTRA_UNICODE_PATH = 0x7075;

/** An archive with no end record at all: not a zip (the caller picks the code). */
export class NotAZipError extends Error {}

export function structureError(archive: string, why: string, entry?: string): PystoreError {
  const what = entry === undefined ? "refusing zip archive" : `refusing archive entry ${JSON.stringify(entry)}`;
  return new PystoreError("UNSAFE_WHEEL", `${archive}: ${what}: ${why}`, {
    hint: "zip readers could disagree on what this archive holds; the wheel is malformed or hostile, and nothing from it was used",
    details: { archive, ...(entry === undefined ? {} : { entry }), reason: why },
  });
}

function exactly(read: ByteReader, start: number, length: number): Buffer | undefined {
  const b = read(start, length);
  return b.length === length ? b : undefined;
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  // Past 2^53 a number loses bytes; no real archive is that large.
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * The end records. The end record must close the file exactly (its comment running to the last byte), its
 * comment may hold no record signature, and a ZIP64 locator, when present, must agree with it: Python
 * takes the last end signature it sees and any ZIP64 locator before it, other readers take neither.
 */
export function readEndRecords(read: ByteReader, size: number, archive: string): EndRecords {
  const tailStart = Math.max(0, size - TAIL_BYTES);
  const tail = read(tailStart, size - tailStart);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new NotAZipError("no end-of-central-directory record");
  const commentLength = tail.readUInt16LE(at + 20);
  const after = tail.length - (at + 22);
  if (commentLength > after) throw structureError(archive, `the archive comment claims ${commentLength} bytes, the file has ${after} left`);
  if (commentLength < after) throw structureError(archive, `${after - commentLength} bytes follow the end of the archive`);
  const comment = tail.subarray(at + 22);
  for (const sig of SIGNATURES) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(sig);
    if (comment.includes(b)) throw structureError(archive, "the archive comment holds zip records (a second archive)");
  }
  const eocdPos = tailStart + at;
  const disk = tail.readUInt16LE(at + 4);
  const cdDisk = tail.readUInt16LE(at + 6);
  let entries = tail.readUInt16LE(at + 10);
  const onDisk = tail.readUInt16LE(at + 8);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  const marked = entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
  if ((disk !== 0 || cdDisk !== 0 || onDisk !== entries) && !marked) throw structureError(archive, "multi-disk archives are not wheels");
  let cdEnd = eocdPos;
  const locator = eocdPos >= 20 ? exactly(read, eocdPos - 20, 20) : undefined;
  if (locator && locator.readUInt32LE(0) === ZIP64_LOCATOR) {
    const recordAt = u64(locator, 8);
    if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1) throw structureError(archive, "multi-disk ZIP64 locator");
    const record = recordAt + 56 <= eocdPos - 20 ? exactly(read, recordAt, 56) : undefined;
    if (!record || record.readUInt32LE(0) !== ZIP64_EOCD) throw structureError(archive, "the ZIP64 locator points at no ZIP64 end record");
    if (recordAt + 56 !== eocdPos - 20 || u64(record, 4) !== 44)
      throw structureError(archive, "bytes between the ZIP64 end record and its locator");
    const z = { entries: u64(record, 32), cdSize: u64(record, 40), cdOffset: u64(record, 48) };
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0 || u64(record, 24) !== z.entries)
      throw structureError(archive, "multi-disk ZIP64 end record");
    // Readers that ignore ZIP64 use the 32-bit values: where those are not markers, they must agree.
    const disagree =
      (entries !== 0xffff && entries !== z.entries) ||
      (cdSize !== 0xffffffff && cdSize !== z.cdSize) ||
      (cdOffset !== 0xffffffff && cdOffset !== z.cdOffset);
    if (disagree) throw structureError(archive, "the ZIP64 end record and the end record disagree on the central directory");
    ({ entries, cdSize, cdOffset } = z);
    cdEnd = recordAt;
  } else if (marked) {
    throw structureError(archive, "the end record defers to a ZIP64 end record that is not there");
  }
  if (cdOffset + cdSize !== cdEnd) {
    throw structureError(
      archive,
      cdOffset + cdSize > cdEnd
        ? "the central directory overlaps the end records"
        : `${cdEnd - cdOffset - cdSize} bytes between the central directory and the end records`,
    );
  }
  return { entries, cdOffset, cdSize, cdEnd };
}

/** Little-endian fields read straight from the bytes: Buffer's readers validate their offset on every call. */
function u16(b: Buffer, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Buffer, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

/** Past this many fields in one extra block, repeated ids are found through a set instead of a look back. */
const EXTRA_LOOK_BACK = 8;

/**
 * Check the extra block b[start, end) in place: a field that overruns it, a repeated id or a second name
 * field is refused. Returns where the ZIP64 field's data starts (its length is the 16 bits before), or -1.
 */
export function scanExtra(archive: string, name: string, b: Buffer, start: number, end: number, where: string): number {
  let zip64 = -1;
  let ids: Set<number> | undefined;
  let count = 0;
  for (let p = start; p < end; ) {
    if (p + 4 > end) throw structureError(archive, `truncated extra field in the ${where}`, name);
    const id = u16(b, p);
    const len = u16(b, p + 2);
    if (p + 4 + len > end) throw structureError(archive, `extra field 0x${id.toString(16)} overruns the ${where}`, name);
    let repeated = false;
    if (ids) {
      repeated = ids.has(id);
      ids.add(id);
    } else {
      // Real blocks hold a few fields: a look back over them costs nothing. A hostile one may hold thousands.
      for (let q = start; q < p && !repeated; q += 4 + u16(b, q + 2)) repeated = u16(b, q) === id;
      if (++count === EXTRA_LOOK_BACK) {
        ids = new Set();
        for (let q = start; q <= p; q += 4 + u16(b, q + 2)) ids.add(u16(b, q));
      }
    }
    if (repeated) throw structureError(archive, `extra field 0x${id.toString(16)} appears twice in the ${where}`, name);
    if (id === EXTRA_UNICODE_PATH) throw structureError(archive, `a second (Unicode path) name in the ${where}`, name);
    if (id === EXTRA_ZIP64) zip64 = p + 4;
    p += 4 + len;
  }
  return zip64;
}

// ignoreBOM: a leading U+FEFF is part of the name, as Python's zipfile (pip's reader) decodes it; stripping
// it would install the member under another name than pip does.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A member's name from its raw bytes, the general rule: without the UTF-8 flag Python decodes a name as
 * cp437, so only ASCII reads the same everywhere; with it, the bytes must be valid UTF-8.
 */
export function decodeName(archive: string, raw: Buffer, flags: number): string {
  if (!isAscii(raw) && (flags & FLAG_UTF8) === 0)
    throw structureError(archive, "name is not ASCII and its UTF-8 flag is not set", raw.toString("latin1"));
  try {
    return UTF8.decode(raw);
  } catch {
    throw structureError(archive, "name is not valid UTF-8", raw.toString("latin1"));
  }
}

/**
 * decodeName for the name at b[start, end), with neither a view nor a decoder for the usual ASCII name:
 * read as latin1, ASCII is its own UTF-8 decoding whatever the flag says; anything else goes the general way.
 */
export function decodeNameAt(archive: string, b: Buffer, start: number, end: number, flags: number): string {
  const text = b.toString("latin1", start, end);
  return NON_ASCII.test(text) ? decodeName(archive, b.subarray(start, end), flags) : text;
}

function checkFlags(archive: string, name: string, flags: number, method: number): void {
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_DIRECTORY)) throw structureError(archive, "entry is encrypted", name);
  if (method !== 0 && method !== 8) throw structureError(archive, `unsupported compression method ${method}`, name);
  // A stored entry's end is found only through its sizes: streaming readers scan for a descriptor instead.
  if (method === 0 && flags & FLAG_DESCRIPTOR) throw structureError(archive, "stored entry with a data descriptor", name);
}

/** Every central directory record, strictly: exactly `end.entries` of them filling exactly `cd`. */
export function parseCentralDirectory(cd: Buffer, end: EndRecords, archive: string): ZipMember[] {
  const members: ZipMember[] = [];
  let p = 0;
  while (p < cd.length) {
    if (p + 46 > cd.length || u32(cd, p) !== CENTRAL) throw structureError(archive, "a broken central directory record");
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    const nameStart = p + 46;
    const extraStart = nameStart + u16(cd, p + 28);
    const extraEnd = extraStart + u16(cd, p + 30);
    const next = extraEnd + u16(cd, p + 32);
    if (next > cd.length) throw structureError(archive, "a central directory record overruns the directory");
    const name = decodeNameAt(archive, cd, nameStart, extraStart, flags);
    checkFlags(archive, name, flags, method);
    const z64 = scanExtra(archive, name, cd, extraStart, extraEnd, "central directory");
    let uncompressedSize = u32(cd, p + 24);
    let compressedSize = u32(cd, p + 20);
    let localOffset = u32(cd, p + 42);
    if (z64 >= 0) {
      // Only the fields whose 32-bit value is the marker are present, in this order (APPNOTE 4.5.3).
      const wanted = [uncompressedSize, compressedSize, localOffset].filter((v) => v === 0xffffffff).length;
      if (u16(cd, z64 - 2) !== wanted * 8 || wanted === 0)
        throw structureError(archive, "ZIP64 extra field does not match the markers", name);
      let q = z64;
      if (uncompressedSize === 0xffffffff) {
        uncompressedSize = u64(cd, q);
        q += 8;
      }
      if (compressedSize === 0xffffffff) {
        compressedSize = u64(cd, q);
        q += 8;
      }
      if (localOffset === 0xffffffff) localOffset = u64(cd, q);
    } else if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      throw structureError(archive, "ZIP64 marker without a ZIP64 extra field", name);
    }
    if (u16(cd, p + 34) !== 0) throw structureError(archive, "entry on another disk", name);
    members.push({
      name,
      centralDirectory: cd,
      nameStart,
      nameEnd: extraStart,
      flags,
      method,
      crc32: u32(cd, p + 16),
      compressedSize,
      uncompressedSize,
      localOffset,
      versionMadeBy: u16(cd, p + 4),
      externalAttributes: u32(cd, p + 38),
      zip64: z64 >= 0,
    });
    p = next;
  }
  if (members.length !== end.entries)
    throw structureError(archive, `the end record counts ${end.entries} entries, the central directory holds ${members.length}`);
  return members;
}

/**
 * One local header against its central record: same name bytes, flags and method, and the same CRC and
 * sizes (or zeros, deferred to a data descriptor). Returns where the data starts.
 */
export function checkLocalHeader(archive: string, m: ZipMember, header: Buffer): { dataOffset: number; headerLength: number } {
  const headerLength = checkLocalHeaderAt(archive, m, header, 0);
  return { dataOffset: m.localOffset + headerLength, headerLength };
}

/** checkLocalHeader for the header at b[at…] (the bytes up to b's end are all there is); returns its length. */
function checkLocalHeaderAt(archive: string, m: ZipMember, b: Buffer, at: number): number {
  if (b.length - at < 30 || u32(b, at) !== LOCAL)
    throw structureError(archive, "no local header where the central directory points", m.name);
  const nameStart = at + 30;
  const extraStart = nameStart + u16(b, at + 26);
  const headerEnd = extraStart + u16(b, at + 28);
  if (b.length < headerEnd) throw structureError(archive, "local header overruns the archive", m.name);
  if (m.centralDirectory.compare(b, nameStart, extraStart, m.nameStart, m.nameEnd) !== 0)
    throw structureError(archive, `the local header names it ${JSON.stringify(b.toString("latin1", nameStart, extraStart))}`, m.name);
  if (u16(b, at + 6) !== m.flags) throw structureError(archive, "local header and central directory disagree on flags", m.name);
  if (u16(b, at + 8) !== m.method) throw structureError(archive, "local header and central directory disagree on the method", m.name);
  const z64 = scanExtra(archive, m.name, b, extraStart, headerEnd, "local header");
  const crc = u32(b, at + 14);
  let compressed = u32(b, at + 18);
  let size = u32(b, at + 22);
  if (z64 >= 0 && (size === 0xffffffff || compressed === 0xffffffff)) {
    // The local ZIP64 field holds both sizes (APPNOTE 4.5.3).
    if (u16(b, z64 - 2) < 16) throw structureError(archive, "short ZIP64 extra field in the local header", m.name);
    size = u64(b, z64);
    compressed = u64(b, z64 + 8);
  }
  const deferred = (m.flags & FLAG_DESCRIPTOR) !== 0 && crc === 0 && compressed === 0 && size === 0;
  if (!deferred) {
    if (crc !== m.crc32) throw structureError(archive, "local header and central directory disagree on the CRC", m.name);
    if (compressed !== m.compressedSize || size !== m.uncompressedSize)
      throw structureError(archive, "local header and central directory disagree on the sizes", m.name);
  }
  return headerEnd - at;
}

/** The data descriptor after an entry's data, checked against the central record; returns its length. */
export function checkDescriptor(archive: string, m: ZipMember, read: ByteReader, at: number): number {
  const width = m.zip64 ? 8 : 4;
  const b = read(at, 4 + 4 + 2 * width);
  const signed = b.length >= 4 && b.readUInt32LE(0) === DESCRIPTOR;
  const start = signed ? 4 : 0;
  const length = start + 4 + 2 * width;
  if (b.length < length) throw structureError(archive, "data descriptor overruns the archive", m.name);
  const crc = b.readUInt32LE(start);
  const compressed = width === 8 ? u64(b, start + 4) : b.readUInt32LE(start + 4);
  const size = width === 8 ? u64(b, start + 12) : b.readUInt32LE(start + 8);
  if (crc !== m.crc32 || compressed !== m.compressedSize || size !== m.uncompressedSize)
    throw structureError(archive, "the data descriptor disagrees with the central directory", m.name);
  return length;
}

/**
 * Walk the local headers from the first byte: each central record must point exactly where the previous
 * entry (data and descriptor) ended, in central-directory order, and the last must end where the central
 * directory starts. No byte is left that a forward reader could take for another entry; no two entries
 * share bytes. Returns each member's data offset. `whole`: the archive's bytes, when they are in memory
 * (`read` reads from them), so that the headers are checked in place.
 */
export function checkLocalLayout(archive: string, members: ZipMember[], end: EndRecords, read: ByteReader, whole?: Buffer): number[] {
  const offsets: number[] = [];
  let cursor = 0;
  // Indexed: until the JIT has optimised this code, a for-of allocates an iterator result per member.
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    if (m.localOffset !== cursor) {
      if (cursor === 0) throw structureError(archive, `${m.localOffset} bytes of data before the first entry`);
      throw structureError(
        archive,
        m.localOffset < cursor ? "entry overlaps the previous one" : `${m.localOffset - cursor} unaccounted bytes before its local header`,
        m.name,
      );
    }
    let dataOffset: number;
    if (whole) {
      // The archive in memory: each header read where it is, without a view of its own.
      dataOffset = m.localOffset + checkLocalHeaderAt(archive, m, whole, m.localOffset);
    } else {
      // One read covers the usual header (local extra no longer than 64 bytes); a longer one is read again.
      let header = read(m.localOffset, 30 + (m.nameEnd - m.nameStart) + 64);
      if (header.length >= 30) {
        const full = 30 + u16(header, 26) + u16(header, 28);
        if (full > header.length) header = read(m.localOffset, full);
      }
      dataOffset = m.localOffset + checkLocalHeaderAt(archive, m, header, 0);
    }
    let next = dataOffset + m.compressedSize;
    if (next > end.cdOffset) throw structureError(archive, "entry data runs into the central directory", m.name);
    if (m.flags & FLAG_DESCRIPTOR) next += checkDescriptor(archive, m, read, next);
    offsets.push(dataOffset);
    cursor = next;
  }
  if (cursor !== end.cdOffset) {
    throw structureError(
      archive,
      cursor > end.cdOffset
        ? "the last entry runs into the central directory"
        : `${end.cdOffset - cursor} unaccounted bytes before the central directory`,
    );
  }
  return offsets;
}

/**
 * Where a zip reader following Python's zipfile's rule (the last end record in the tail, its central
 * directory found at its offset or at the same offset shifted by prepended data) sees a zip in the
 * file: its first and last byte, or undefined when it sees none.
 */
export function zipView(read: ByteReader, size: number): { start: number; end: number } | undefined {
  const tailStart = Math.max(0, size - TAIL_BYTES);
  const tail = read(tailStart, size - tailStart);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD) continue;
    const cdSize = tail.readUInt32LE(i + 12);
    const cdOffset = tail.readUInt32LE(i + 16);
    const eocdPos = tailStart + i;
    const end = eocdPos + 22 + tail.readUInt16LE(i + 20);
    const shifted = eocdPos - cdSize;
    for (const at of [cdOffset, shifted]) {
      const head = at >= 0 && at + 4 <= size ? read(at, 4) : Buffer.alloc(0);
      const found = head.length === 4 && (head.readUInt32LE(0) === CENTRAL || (cdSize === 0 && head.readUInt32LE(0) === EOCD));
      if (found) return { start: at === cdOffset ? 0 : shifted - cdOffset, end };
    }
    return undefined;
  }
  return undefined;
}
