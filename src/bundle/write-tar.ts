// Deterministic tar.gz bundles: a small ustar writer (PAX records for long names), sorted entries, one
// mtime, uid/gid 0, modes 0755/0644, and a gzip header with no timestamp and a fixed OS byte.

import { PassThrough, Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { tarOctalField as octal, tarPaxRecord as paxRecord } from "../util/tar-header.js";
import { type FileSource, isFileSource, SourceReader, type SourceOf, streamedBytes } from "./archive-source.js";
import type { ManifestFile } from "./manifest.js";

/** zlib's default level: most of level 9's size at a fraction of its time; part of the archive's bytes. */
const GZIP_LEVEL = 6;

/**
 * The tar is handed to gzip in blocks of this size: zlib runs on the libuv threadpool, so one block is
 * compressed while the next is read, and thousands of small files cost hundreds of round trips, not
 * tens of thousands. deflate's output does not depend on how its input is split, so neither do the bytes.
 */
const BLOCK_SIZE = 256 * 1024;
/** Blocks read ahead of the compressor: memory stays bounded whatever the bundle's size. */
const BLOCKS_AHEAD = 2;
/** gzip's output chunk: fewer, larger writes to the temp file. */
const GZIP_CHUNK = 256 * 1024;

function header(name: string, size: number, mode: number, type: "0" | "5" | "x", mtime: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write(octal(mode, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(mtime, 12), 136, "ascii");
  block.write("        ", 148, "ascii");
  block.write(type, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 7)} `, 148, "ascii");
  return block;
}

function paddingOf(size: number): number {
  return (512 - (size % 512)) % 512;
}

/** Header blocks for one entry: a PAX header first when the name does not fit ustar's 100 bytes. */
function headers(name: string, size: number, mode: number, type: "0" | "5", mtime: number): Buffer[] {
  if (Buffer.byteLength(name) <= 100) return [header(name, size, mode, type, mtime)];
  const pax = paxRecord("path", name);
  // The ustar name of a PAX-described entry is only a fallback for old readers; keep it deterministic.
  const short = Buffer.from(name)
    .subarray(0, 100)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return [
    header(`PaxHeader/${short}`.slice(0, 100), pax.length, 0o644, "x", mtime),
    pax,
    Buffer.alloc(paddingOf(pax.length)),
    header(short, size, mode, type, mtime),
  ];
}

/**
 * Fixed-size output blocks filled in place: headers and small files are copied in, files on disk are
 * read straight into the free space. Only full blocks are handed out until the end.
 */
class Blocks {
  private block = Buffer.allocUnsafe(BLOCK_SIZE);
  private fill = 0;
  private full: Buffer[] = [];

  /** Free space in the current block (never empty); `advance` by what was written into it. */
  room(): Buffer {
    if (this.fill === BLOCK_SIZE) {
      // The finished block goes to gzip as is, so a new one is allocated rather than reused.
      this.full.push(this.block);
      this.block = Buffer.allocUnsafe(BLOCK_SIZE);
      this.fill = 0;
    }
    return this.block.subarray(this.fill);
  }

  advance(n: number): void {
    this.fill += n;
  }

  put(bytes: Buffer): void {
    for (let done = 0; done < bytes.length; ) {
      const n = bytes.copy(this.room(), 0, done);
      this.advance(n);
      done += n;
    }
  }

  zeros(count: number): void {
    for (let left = count; left > 0; ) {
      const room = this.room();
      const n = Math.min(room.length, left);
      room.fill(0, 0, n);
      this.advance(n);
      left -= n;
    }
  }

  /** The blocks filled so far. */
  take(): Buffer[] {
    const out = this.full;
    this.full = [];
    return out;
  }

  /** Everything left, the last block cut to what it holds. */
  end(): Buffer[] {
    const out = this.take();
    if (this.fill > 0) out.push(this.block.subarray(0, this.fill));
    return out;
  }
}

/** Copy a file on disk into the blocks, checked against its listed size and sha256. */
function readInto(blocks: Blocks, source: FileSource): void {
  const reader = new SourceReader(source);
  try {
    for (let left = source.size; left > 0; ) {
      const room = blocks.room();
      const n = Math.min(room.length, left);
      reader.read(room, 0, n);
      blocks.advance(n);
      left -= n;
    }
    reader.finish();
  } finally {
    reader.close();
  }
}

interface Item {
  type: "0" | "5";
  mode: number;
  size: number;
  source?: string;
  data?: Buffer;
  mtime?: number;
}

/** The tar stream of `files` (read through `sourceOf`), every path prefixed by `prefix/`, directories synthesised. */
async function* tarBlocks(
  sourceOf: SourceOf,
  files: ManifestFile[],
  prefix: string,
  mtime: number,
  extra: { path: string; data: Buffer }[] = [],
  mtimes?: ReadonlyMap<string, number>,
): AsyncGenerator<Buffer> {
  const items = new Map<string, Item>();
  const addDirs = (path: string) => {
    for (let slash = path.indexOf("/"); slash > 0; slash = path.indexOf("/", slash + 1))
      items.set(path.slice(0, slash + 1), { type: "5", mode: 0o755, size: 0 });
  };
  for (const file of files) {
    const path = `${prefix}/${file.path}`;
    addDirs(path);
    items.set(path, {
      type: "0",
      mode: file.mode === "0755" ? 0o755 : 0o644,
      size: file.size,
      source: file.path,
      mtime: mtimes?.get(file.path),
    });
  }
  for (const file of extra) {
    const path = `${prefix}/${file.path}`;
    addDirs(path);
    items.set(path, { type: "0", mode: 0o644, size: file.data.length, data: file.data });
  }
  const blocks = new Blocks();
  for (const name of [...items.keys()].sort(compareStrings)) {
    const item = items.get(name)!;
    for (const block of headers(name, item.size, item.mode, item.type, item.mtime ?? mtime)) blocks.put(block);
    if (item.type === "5") continue;
    const source = item.data ?? sourceOf(item.source!);
    if (Buffer.isBuffer(source)) {
      if (source.length !== item.size)
        throw new PystoreError("INTERNAL", `${name}: ${source.length} bytes in memory, not the ${item.size} listed`);
      blocks.put(source);
    } else if (isFileSource(source)) {
      readInto(blocks, source);
    } else {
      for await (const chunk of streamedBytes(name, source, item.size)) {
        blocks.put(chunk);
        yield* blocks.take();
      }
    }
    blocks.zeros(paddingOf(item.size));
    yield* blocks.take();
  }
  blocks.zeros(1024);
  yield* blocks.end();
}

/** gzip writes the compressing OS into byte 9; pin it so archives match across machines. */
function fixGzipHeader(): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (seen <= 9 && seen + chunk.length > 9) {
        chunk = Buffer.from(chunk);
        chunk[9 - seen] = 3;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * The deterministic tar.gz of `files` and `extra`, as a stream. An error in any stage (a file vanishing
 * mid-read) destroys the stream, so whoever writes it removes its temp file instead of publishing it.
 */
export function tarGzStream(
  files: ManifestFile[],
  sourceOf: SourceOf,
  extra: { path: string; data: Buffer }[],
  opts: { prefix: string; mtime: number; mtimes?: ReadonlyMap<string, number> },
): Readable {
  const out = new PassThrough();
  pipeline(
    Readable.from(tarBlocks(sourceOf, files, opts.prefix, opts.mtime, extra, opts.mtimes), { highWaterMark: BLOCKS_AHEAD }),
    createGzip({ level: GZIP_LEVEL, chunkSize: GZIP_CHUNK }),
    fixGzipHeader(),
    out,
  ).catch((error) => out.destroy(error));
  return out;
}
