// Deterministic .pyz bundles (a zipapp, PEP 441): a shebang line, then a zip holding __main__.py, the
// launch config and the bundle's files, sorted, with directory entries, one DOS timestamp and fixed
// modes. The zip is written here, byte for byte as yazl 3 wrote it before (test/bundle/write-pyz.test.ts
// holds the two side by side): each file's deflate stream (level 6) followed by a data descriptor,
// the manifest with its sizes in its local header, ZIP64 records only where a size, an offset or the
// entry count needs them. Small files are read and deflated synchronously, one call each: a stream per
// file (read stream, CRC watcher, counters, deflater) cost ten times zip's own time.

import { once } from "node:events";
import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";
import { Readable } from "node:stream";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { type ArchiveSource, type FileSource, isFileSource, SourceReader, type SourceOf, streamedBytes } from "./archive-source.js";
import type { ManifestFile } from "./manifest.js";

/** yazl's default, zlib's: part of the archive's bytes. */
const DEFLATE_LEVEL = 6;
/** Files up to this size are read whole and deflated in one call; larger ones are streamed through zlib. */
const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;
/** Piece size for streamed files, and the size of the chunks handed to the writer. */
const CHUNK = 1024 * 1024;

const UTF8_NAMES = 1 << 11;
const DATA_DESCRIPTOR = 1 << 3;
const VERSION_MADE_BY = (3 << 8) | 63;
const VERSION_UTF8 = 20;
const VERSION_ZIP64 = 45;
const STORED = 0;
const DEFLATED = 8;

export interface PyzOptions {
  mtime: number;
  /** "#!/usr/bin/env python3.11": lets `./app.pyz` run directly; `python3 app.pyz` ignores it. */
  shebang: string;
}

/** DOS date and time of an epoch, read in UTC (so the same in every timezone), 2-second steps, clamped. */
export function dosDateTime(epoch: number): { date: number; time: number } {
  const min = Date.UTC(1980, 0, 1) / 1000;
  const max = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;
  const t = new Date(Math.min(Math.max(epoch, min), max) * 1000);
  return {
    date: t.getUTCDate() | ((t.getUTCMonth() + 1) << 5) | ((t.getUTCFullYear() - 1980) << 9),
    time: Math.floor(t.getUTCSeconds() / 2) | (t.getUTCMinutes() << 5) | (t.getUTCHours() << 11),
  };
}

function writeUInt64LE(buffer: Buffer, n: number, offset: number): void {
  buffer.writeUInt32LE(n % 0x100000000, offset);
  buffer.writeUInt32LE(Math.floor(n / 0x100000000), offset + 4);
}

interface Entry {
  name: Buffer;
  mode: number;
  method: number;
  flags: number;
  offset: number;
  crc: number;
  compressedSize: number;
  size: number;
}

const zip64 = (e: Entry) => e.size > 0xfffffffe || e.compressedSize > 0xfffffffe || e.offset > 0xfffffffe;

/** A local header; sizes and CRC are zero when a data descriptor follows the data. */
function localHeader(e: Entry, time: { date: number; time: number }): Buffer {
  const known = (e.flags & DATA_DESCRIPTOR) === 0;
  const b = Buffer.alloc(30 + e.name.length);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(VERSION_UTF8, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(time.time, 10);
  b.writeUInt16LE(time.date, 12);
  b.writeUInt32LE(known ? e.crc : 0, 14);
  b.writeUInt32LE(known ? e.compressedSize : 0, 18);
  b.writeUInt32LE(known ? e.size : 0, 22);
  b.writeUInt16LE(e.name.length, 26);
  e.name.copy(b, 30);
  return b;
}

function dataDescriptor(e: Entry): Buffer {
  const big = zip64(e);
  const b = Buffer.alloc(big ? 24 : 16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc, 4);
  if (big) {
    writeUInt64LE(b, e.compressedSize, 8);
    writeUInt64LE(b, e.size, 16);
  } else {
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.size, 12);
  }
  return b;
}

function centralRecord(e: Entry, time: { date: number; time: number }): Buffer {
  const big = zip64(e);
  const b = Buffer.alloc(46 + e.name.length + (big ? 28 : 0));
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(VERSION_MADE_BY, 4);
  b.writeUInt16LE(big ? VERSION_ZIP64 : VERSION_UTF8, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(time.time, 12);
  b.writeUInt16LE(time.date, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(big ? 0xffffffff : e.compressedSize, 20);
  b.writeUInt32LE(big ? 0xffffffff : e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(big ? 28 : 0, 30);
  b.writeUInt32LE((e.mode << 16) >>> 0, 38);
  b.writeUInt32LE(big ? 0xffffffff : e.offset, 42);
  e.name.copy(b, 46);
  if (big) {
    const x = 46 + e.name.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(24, x + 2);
    writeUInt64LE(b, e.size, x + 4);
    writeUInt64LE(b, e.compressedSize, x + 12);
    writeUInt64LE(b, e.offset, x + 20);
  }
  return b;
}

/** The end records: ZIP64 ones first when the entry count, the directory's size or its offset need them. */
function endRecords(count: number, start: number, size: number): Buffer {
  const big = count >= 0xffff || size >= 0xffffffff || start >= 0xffffffff;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(count, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(count, 0xffff), 10);
  eocd.writeUInt32LE(Math.min(size, 0xffffffff), 12);
  eocd.writeUInt32LE(Math.min(start, 0xffffffff), 16);
  if (!big) return eocd;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  writeUInt64LE(record, 56 - 12, 4);
  record.writeUInt16LE(VERSION_MADE_BY, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  writeUInt64LE(record, count, 24);
  writeUInt64LE(record, count, 32);
  writeUInt64LE(record, size, 40);
  writeUInt64LE(record, start, 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  writeUInt64LE(locator, start + size, 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, eocd]);
}

/** Collects small buffers into chunks of about CHUNK bytes, so the writer makes few large writes. */
class Batch {
  private parts: Buffer[] = [];
  private bytes = 0;
  offset = 0;

  push(b: Buffer): void {
    this.parts.push(b);
    this.bytes += b.length;
    this.offset += b.length;
  }

  get full(): boolean {
    return this.bytes >= CHUNK;
  }

  take(): Buffer[] {
    if (this.parts.length === 0) return [];
    const out = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return [out];
  }
}

interface Item {
  /** The bundle path to read through `sourceOf`, or the bytes themselves (the manifest). */
  source?: string;
  data?: Buffer;
  size: number;
  mode: number;
}

/** Bytes in hand, checked against the size listed for them. */
function inMemory(name: string, data: Buffer, size: number): Buffer {
  if (data.length !== size) throw new PystoreError("INTERNAL", `${name}: ${data.length} bytes in memory, not the ${size} listed`);
  return data;
}

/** A file's bytes as pieces of at most CHUNK bytes: from memory, from disk (checked), or from a stream. */
async function* pieces(name: string, source: ArchiveSource, size: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    yield inMemory(name, source, size);
  } else if (isFileSource(source)) {
    const reader = new SourceReader(source);
    try {
      for (let left = size; left > 0; ) {
        const piece = Buffer.allocUnsafe(Math.min(CHUNK, left));
        reader.read(piece, 0, piece.length);
        left -= piece.length;
        yield piece;
      }
      reader.finish();
    } finally {
      reader.close();
    }
  } else {
    yield* streamedBytes(name, source, size);
  }
}

/** A small file's bytes, read whole from memory or disk (checked). */
function wholeFile(name: string, source: Buffer | FileSource, size: number): Buffer {
  if (Buffer.isBuffer(source)) return inMemory(name, source, size);
  const bytes = Buffer.allocUnsafe(size);
  const reader = new SourceReader(source);
  try {
    reader.read(bytes, 0, size);
    reader.finish();
  } finally {
    reader.close();
  }
  return bytes;
}

/** A large file streamed through one deflate stream: its compressed chunks; its CRC and size in `entry`. */
async function* deflateStreamed(pieceSource: AsyncGenerator<Buffer>, entry: Entry): AsyncGenerator<Buffer> {
  const deflater = createDeflateRaw({ level: DEFLATE_LEVEL, chunkSize: CHUNK });
  const out: Buffer[] = [];
  deflater.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = once(deflater, "end");
  try {
    let size = 0;
    for await (const piece of pieceSource) {
      entry.crc = crc32(piece, entry.crc);
      size += piece.length;
      if (!deflater.write(piece)) await once(deflater, "drain");
      yield* out.splice(0);
    }
    deflater.end();
    await ended;
    yield* out.splice(0);
    entry.size = size;
  } finally {
    deflater.destroy();
  }
}

/** The zip's bytes, in chunks of about CHUNK bytes. */
async function* zipChunks(items: Map<string, Item>, names: string[], sourceOf: SourceOf, mtime: number): AsyncGenerator<Buffer> {
  const time = dosDateTime(mtime);
  const entries: Entry[] = [];
  const batch = new Batch();
  for (const name of names) {
    const item = items.get(name);
    const entry: Entry = {
      name: Buffer.from(name),
      mode: 0o40755,
      method: STORED,
      flags: UTF8_NAMES,
      offset: batch.offset,
      crc: 0,
      compressedSize: 0,
      size: 0,
    };
    entries.push(entry);
    if (!item) {
      batch.push(localHeader(entry, time));
    } else if (item.data) {
      // Bytes in hand (the manifest): CRC and sizes go in the local header, no descriptor.
      const compressed = deflateRawSync(item.data, { level: DEFLATE_LEVEL });
      Object.assign(entry, {
        mode: item.mode,
        method: DEFLATED,
        crc: crc32(item.data),
        size: item.data.length,
        compressedSize: compressed.length,
      });
      batch.push(localHeader(entry, time));
      batch.push(compressed);
    } else {
      Object.assign(entry, { mode: item.mode, method: DEFLATED, flags: UTF8_NAMES | DATA_DESCRIPTOR });
      batch.push(localHeader(entry, time));
      const source = sourceOf(item.source!);
      if (item.size <= WHOLE_FILE_LIMIT && (Buffer.isBuffer(source) || isFileSource(source))) {
        const whole = wholeFile(name, source, item.size);
        const compressed = deflateRawSync(whole, { level: DEFLATE_LEVEL });
        Object.assign(entry, { crc: crc32(whole), size: whole.length, compressedSize: compressed.length });
        batch.push(compressed);
      } else {
        yield* batch.take();
        for await (const chunk of deflateStreamed(pieces(name, source, item.size), entry)) {
          entry.compressedSize += chunk.length;
          batch.push(chunk);
          if (batch.full) yield* batch.take();
        }
      }
      batch.push(dataDescriptor(entry));
    }
    if (batch.full) yield* batch.take();
  }
  const start = batch.offset;
  for (const entry of entries) {
    batch.push(centralRecord(entry, time));
    if (batch.full) yield* batch.take();
  }
  batch.push(endRecords(entries.length, start, batch.offset - start));
  yield* batch.take();
}

/** The .pyz as a stream. `files` are read through `sourceOf`; `extra` (the manifest) are bytes in hand. */
export function pyzStream(
  files: ManifestFile[],
  sourceOf: SourceOf,
  extra: { path: string; data: Buffer; mode?: number }[],
  opts: PyzOptions,
): Readable {
  const items = new Map<string, Item>();
  const dirs = new Set<string>();
  const addDirs = (path: string) => {
    for (let slash = path.indexOf("/"); slash > 0; slash = path.indexOf("/", slash + 1)) dirs.add(path.slice(0, slash + 1));
  };
  for (const file of files) {
    items.set(file.path, { source: file.path, size: file.size, mode: file.mode === "0755" ? 0o755 : 0o644 });
    addDirs(file.path);
  }
  for (const file of extra) {
    items.set(file.path, { data: file.data, size: file.data.length, mode: file.mode ?? 0o644 });
    addDirs(file.path);
  }
  // Explicit directory entries: older zipimport versions only see packages and namespace dirs that have one.
  const names = [...dirs, ...items.keys()].sort(compareStrings);
  const shebang = Buffer.from(opts.shebang.endsWith("\n") ? opts.shebang : `${opts.shebang}\n`);
  async function* all(): AsyncGenerator<Buffer> {
    yield shebang;
    yield* zipChunks(items, names, sourceOf, opts.mtime);
  }
  return Readable.from(all(), { highWaterMark: 2 });
}
