// Deterministic tar.gz bundles: a small ustar writer (PAX records for long names), sorted entries, one
// mtime, uid/gid 0, modes 0755/0644, and a gzip header with no timestamp and a fixed OS byte.

import { PassThrough, Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import type { ManifestFile } from "./manifest.js";
import { tarOctalField as octal, tarPaxRecord as paxRecord } from "../util/tar-header.js";

/** zlib's default level: most of level 9's size at a fraction of its time; part of the archive's bytes. */
const GZIP_LEVEL = 6;

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

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
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
    padding(pax.length),
    header(short, size, mode, type, mtime),
  ];
}

/** A listed file's bytes, read from wherever they are (a store tree, the project, memory). */
export type OpenFile = (path: string) => Readable;

/** The tar stream of `files` (read through `open`), every path prefixed by `prefix/`, directories synthesised. */
async function* tarEntries(
  open: OpenFile,
  files: ManifestFile[],
  prefix: string,
  mtime: number,
  extra: { path: string; data: Buffer }[] = [],
  mtimes?: ReadonlyMap<string, number>,
): AsyncGenerator<Buffer> {
  const items = new Map<string, { type: "0" | "5"; mode: number; size: number; source?: string; data?: Buffer; mtime?: number }>();
  const addDirs = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) items.set(`${parts.slice(0, i).join("/")}/`, { type: "5", mode: 0o755, size: 0 });
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
  const names = [...items.keys()].sort(compareStrings);
  for (const name of names) {
    const item = items.get(name)!;
    yield* headers(name, item.size, item.mode, item.type, item.mtime ?? mtime);
    if (item.type === "5") continue;
    let written = 0;
    if (item.data) {
      written = item.data.length;
      yield item.data;
    } else {
      for await (const chunk of open(item.source!)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (written !== item.size) {
      // Files are read from the store's trees: a size that differs from the verified index means the
      // store's copy was edited (through a hardlinked bundle), not a race in this process.
      throw new PystoreError(
        "BUNDLE_FAILED",
        `${name}: ${written} bytes, not the ${item.size} recorded for it; the file changed before it was archived`,
        {
          hint: "if it came from the store, run `pystore store verify --repair` and bundle again",
        },
      );
    }
    yield padding(item.size);
  }
  yield Buffer.alloc(1024);
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
  open: OpenFile,
  extra: { path: string; data: Buffer }[],
  opts: { prefix: string; mtime: number; mtimes?: ReadonlyMap<string, number> },
): Readable {
  const out = new PassThrough();
  pipeline(
    Readable.from(tarEntries(open, files, opts.prefix, opts.mtime, extra, opts.mtimes)),
    // Level 6 rather than 9: on a 6.7 MB bundle tar, 4.4x faster for 1.4 % more bytes.
    createGzip({ level: GZIP_LEVEL }),
    fixGzipHeader(),
    out,
  ).catch((error) => out.destroy(error));
  return out;
}
