// The closure archive read one way before it is unpacked (store-format/closure-archive.md): every header
// of the tar walked in order, refusing what tar readers disagree on or what has no place in a closure:
// links, devices, set-id bits, a PAX size other than the header's, unsafe paths, bytes after the end,
// and an archive that is also a zip.

import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { PystoreError } from "../errors.js";
import { TAIL_BYTES, zipView } from "../wheel/zip-layout.js";
import { tarChecksumOk as checksumOk, tarField as field, tarOctal as octal, tarPaxRecords } from "../util/tar-header.js";

function tampered(archive: string, member: string, why: string): PystoreError {
  return new PystoreError("ARCHIVE_TAMPERED", `${archive}: member ${JSON.stringify(member)} ${why}; nothing was imported`, {
    hint: "the archive was modified or damaged after `pystore store export`; export it again",
    details: { archive, member, reason: why },
  });
}

const KINDS: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  "7": "a contiguous file",
  g: "a global PAX header",
  L: "a GNU long name",
  K: "a GNU long link name",
};

function checkPath(archive: string, path: string): void {
  const bad =
    path === "" ||
    path.startsWith("/") ||
    path.includes("\\") ||
    /[\u0000-\u001f\u007f]/.test(path) ||
    path.split("/").some((s) => s === "..");
  if (bad) throw tampered(archive, path, "has a path outside the archive's directory");
}

/** Blocks of the (possibly gzip-compressed, as older exports were read) tar, 512 bytes at a time. */
async function* blocks(path: string): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(2);
  const fh = await open(path, "r");
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path);
  const stream = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let p = 0;
    for (; p + 512 <= pending.length; p += 512) yield pending.subarray(p, p + 512);
    pending = pending.subarray(p);
  }
  if (pending.length > 0) yield pending;
}

async function startsWithGzip(fh: Awaited<ReturnType<typeof open>>): Promise<boolean> {
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** Walk every header of the closure at `path`; throws ARCHIVE_TAMPERED naming the first bad member. */
export async function scanClosureArchive(archive: string, path: string): Promise<void> {
  // A zip reader sees a zip in the file when the tail holds an end record: in a plain closure that is
  // the last wheel's own, inside its member; anywhere else, a zip reader would see other files.
  let view: { start: number; end: number } | undefined;
  let gzip = false;
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const tailStart = Math.max(0, size - TAIL_BYTES);
    const tail = Buffer.alloc(size - tailStart);
    await fh.read(tail, 0, tail.length, tailStart);
    gzip = tail.length >= 2 && size === tail.length ? tail[0] === 0x1f && tail[1] === 0x8b : await startsWithGzip(fh);
    const fetched = new Map<number, Buffer>();
    view = zipView((s, l) => {
      if (s >= tailStart) return tail.subarray(s - tailStart, s - tailStart + l);
      if (!fetched.has(s)) fetched.set(s, Buffer.alloc(l));
      return fetched.get(s)!;
    }, size);
    // Offsets before the tail: read them for real, then decide.
    for (const [s, b] of fetched) await fh.read(b, 0, b.length, s);
    if (fetched.size > 0)
      view = zipView((s, l) => (s >= tailStart ? tail.subarray(s - tailStart, s - tailStart + l) : fetched.get(s)!.subarray(0, l)), size);
  } finally {
    await fh.close();
  }
  if (view && gzip) throw tampered(archive, "(archive)", "is also a zip archive (a zip reader would see other files)");
  const dataRanges: [number, number][] = [];
  let offset = 0;
  let skip = 0;
  let pax: Map<string, string> | undefined;
  let collecting: { data: Buffer[]; remain: number } | undefined;
  let zeros = 0;
  for await (const block of blocks(path)) {
    offset += 512;
    if (block.length < 512) throw tampered(archive, "(archive)", "ends in the middle of a block");
    if (collecting) {
      collecting.data.push(block);
      collecting.remain -= 512;
      if (collecting.remain <= 0) {
        const data = Buffer.concat(collecting.data);
        pax = tarPaxRecords(data.subarray(0, data.length + collecting.remain), (why) => tampered(archive, "(PAX header)", why));
        collecting = undefined;
      }
      continue;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    if (block.every((b) => b === 0)) {
      zeros++;
      continue;
    }
    if (zeros >= 2) throw tampered(archive, "(archive)", "has data after the end of the archive");
    if (zeros > 0) throw tampered(archive, "(archive)", "has an empty block between members");
    if (!checksumOk(block)) throw tampered(archive, field(block, 0, 100), "has a damaged header (checksum)");
    const type = String.fromCharCode(block[156] || 0x30);
    const prefix = field(block, 345, 155);
    const name = pax?.get("path") ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    const size = octal(block, 124, 12);
    if (Number.isNaN(size)) throw tampered(archive, name, "has a size field tar readers read differently");
    if (type === "x") {
      if (pax) throw tampered(archive, name, "follows another PAX header");
      if (size === 0) pax = new Map();
      else collecting = { data: [], remain: size };
      continue;
    }
    if (KINDS[type]) throw tampered(archive, name, `is ${KINDS[type]}, not a regular file`);
    if (type !== "0" && type !== "5") throw tampered(archive, name, `has the unknown type ${JSON.stringify(type)}`);
    checkPath(archive, name);
    const mode = octal(block, 100, 8);
    if (mode & 0o7000) throw tampered(archive, name, `has set-id or sticky bits (mode ${mode.toString(8)})`);
    const paxSize = pax?.get("size");
    // A reader that ignores the PAX size (or one that ignores a zero header size) walks other members.
    if (paxSize !== undefined && Number(paxSize) !== size)
      throw tampered(archive, name, `has a PAX size of ${paxSize} but a header size of ${size}`);
    if (type === "5" && size !== 0) throw tampered(archive, name, "is a directory with data");
    pax = undefined;
    skip = Math.ceil(size / 512);
    if (type === "0") dataRanges.push([offset, offset + size]);
  }
  if (collecting || pax || skip > 0) throw tampered(archive, "(archive)", "ends in the middle of a member");
  if (view && !dataRanges.some(([start, end]) => start <= view.start && view.end <= end))
    throw tampered(archive, "(archive)", "is also a zip archive (a zip reader would see other files)");
}
