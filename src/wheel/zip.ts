// Reading a wheel's members: inflated within their declared sizes and checked against their CRC, whole,
// streamed or in reused pieces. The directory they come from is read and checked by ./zip-directory.ts
// (re-exported here: every wheel reader imports both from this module).

import { readSync } from "node:fs";
import { crc32, createInflateRaw, inflateRawSync } from "node:zlib";
import { byteReader, type ZipBytes, type ZipItem } from "./zip-directory.js";
import { structureError } from "./zip-layout.js";

export {
  byteReader,
  type CheckedEntries,
  openWheel,
  type OpenedWheel,
  readCheckedEntries,
  type ZipBytes,
  type ZipItem,
  type ZipReadOptions,
} from "./zip-directory.js";

/** Members declared up to this size are inflated into one buffer of that size. */
const INFLATE_WHOLE_BYTES = 64 * 1024 * 1024;
/** Larger members are inflated in pieces of this size (zlib's smallest chunk is 64 bytes). */
const INFLATE_PIECE_BYTES = 1024 * 1024;
const MIN_CHUNK = 64;

/**
 * One entry's bytes, read and inflated synchronously: one slice (or pread) and one inflate per file. The
 * inflate never produces more than the declared size (a lying directory cannot make it allocate more),
 * must consume exactly the declared compressed bytes, and the result must match the CRC.
 */
export function readEntrySync(bytes: ZipBytes, archive: string, item: ZipItem): Buffer {
  const { member, dataOffset } = item;
  const name = item.info.name;
  const raw = byteReader(bytes)(dataOffset, member.compressedSize);
  if (raw.length !== member.compressedSize) throw structureError(archive, "file data overflows the archive", name);
  let data: Buffer;
  if (member.method === 0) {
    data = raw;
  } else {
    let consumed: number;
    try {
      // One output buffer of the declared size (+1, so a stream that runs past it is caught in the same
      // pass) instead of 16 KiB pieces concatenated afterwards. A lying header can make it allocate at most
      // INFLATE_WHOLE_BYTES this way; members declared larger grow piece by piece as they really inflate.
      const chunkSize =
        member.uncompressedSize < INFLATE_WHOLE_BYTES ? Math.max(MIN_CHUNK, member.uncompressedSize + 1) : INFLATE_PIECE_BYTES;
      const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, member.uncompressedSize), chunkSize, info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      data = out.buffer;
      consumed = out.engine.bytesWritten;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
        throw structureError(archive, `expands past the ${member.uncompressedSize} bytes its header says`, name);
      throw structureError(archive, `cannot inflate: ${(cause as Error).message}`, name);
    }
    // Bytes after the end of the deflate stream are where a streaming reader and this one would part.
    if (consumed !== raw.length) throw structureError(archive, `${raw.length - consumed} bytes follow its compressed data`, name);
  }
  if (data.length !== member.uncompressedSize)
    throw structureError(archive, `expands to ${data.length} bytes, not the ${member.uncompressedSize} its header says`, name);
  if (crc32(data) >>> 0 !== member.crc32) throw structureError(archive, "CRC-32 does not match its data", name);
  return data;
}

/** Compressed bytes are read this many at a time when an entry is streamed. */
const STREAM_CHUNK = 1 << 20;

/**
 * One entry's bytes in bounded pieces, for members too large to hold whole: `sink` gets each piece of the
 * inflated data in order. The same checks as readEntrySync: never more than the declared size, exactly
 * the declared compressed bytes consumed, and the CRC. A failed check throws after the pieces so far
 * were delivered, so the caller must discard them.
 */
export async function streamEntry(bytes: ZipBytes, archive: string, item: ZipItem, sink: (piece: Buffer) => void): Promise<void> {
  const { member, dataOffset } = item;
  const name = item.info.name;
  const read = byteReader(bytes);
  let produced = 0;
  let crc = 0;
  const take = (piece: Buffer) => {
    produced += piece.length;
    if (produced > member.uncompressedSize)
      throw structureError(archive, `expands past the ${member.uncompressedSize} bytes its header says`, name);
    crc = crc32(piece, crc);
    sink(piece);
  };
  const compressed = function* () {
    for (let offset = 0; offset < member.compressedSize; ) {
      const piece = read(dataOffset + offset, Math.min(STREAM_CHUNK, member.compressedSize - offset));
      if (piece.length === 0) throw structureError(archive, "file data overflows the archive", name);
      offset += piece.length;
      yield piece;
    }
  };
  if (member.method === 0) {
    for (const piece of compressed()) take(piece);
  } else {
    // Pieces of up to STREAM_CHUNK, not zlib's default 16 KiB: each piece is a round trip through the
    // thread pool, and a 25 MB library in 16 KiB steps spent more time waiting than inflating.
    const inflater = createInflateRaw({ chunkSize: STREAM_CHUNK });
    let failure: unknown;
    inflater.on("data", (piece: Buffer) => {
      if (failure !== undefined) return;
      try {
        take(piece);
      } catch (error) {
        failure = error;
        inflater.destroy();
      }
    });
    const ended = new Promise<void>((resolve, reject) => {
      inflater.once("end", resolve);
      inflater.once("close", () => (failure !== undefined ? reject(failure) : resolve()));
      inflater.once("error", (cause) => {
        failure ??= structureError(archive, `cannot inflate: ${cause.message}`, name);
        reject(failure);
      });
    });
    // Awaited below; marked handled now, so a failure while input is still being fed is not "unhandled".
    ended.catch(() => {});
    try {
      for (const piece of compressed()) {
        if (failure !== undefined || inflater.destroyed) break;
        // A destroyed inflater never drains: its close ends the wait too.
        if (!inflater.write(piece))
          await new Promise((resolve) => {
            inflater.once("drain", resolve);
            inflater.once("close", resolve);
          });
      }
      inflater.end();
      await ended;
    } catch (error) {
      inflater.destroy();
      throw failure ?? error;
    }
    if (failure !== undefined) throw failure;
    // Bytes after the end of the deflate stream are where a streaming reader and this one would part.
    if (inflater.bytesWritten !== member.compressedSize)
      throw structureError(archive, `${member.compressedSize - inflater.bytesWritten} bytes follow its compressed data`, name);
  }
  if (produced !== member.uncompressedSize)
    throw structureError(archive, `expands to ${produced} bytes, not the ${member.uncompressedSize} its header says`, name);
  if (crc >>> 0 !== member.crc32) throw structureError(archive, "CRC-32 does not match its data", name);
}

/** A member declaring up to this many bytes reaches readEntryPieces' sink as one piece. */
export const WHOLE_PIECE_BYTES = 4 << 20;
/** Compressed bytes are read from a file this many at a time by readEntryPieces. */
const INPUT_PIECE_BYTES = 1 << 20;
const Z_NO_FLUSH = 0;
const Z_FINISH = 4;

/**
 * Node's inflate binding driven directly: zlib.inflateRawSync builds a stream, a native z_stream and an
 * output buffer for every call, and each member's garbage then costs page faults, scavenges and malloc
 * arenas that keep growing (tens of MB of peak RSS per unpacking thread). This is the binding that
 * inflateRawSync itself drives (node's lib/zlib.js processChunkSync: writeSync, the two-word write state,
 * onerror), one per thread, reset between members. Where a Node version lacks that shape, readEntryPieces
 * falls back to readEntrySync.
 */
interface ZlibBinding {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string) => void;
}
interface RawInflater {
  /** Kept referenced: the binding belongs to it. */
  stream: object;
  binding: ZlibBinding;
  /** [output bytes left, input bytes left] after each writeSync. */
  state: Uint32Array;
  failure?: string;
}

let inflater: RawInflater | undefined;
let bindingMissing = false;

function rawInflater(): RawInflater | undefined {
  if (inflater || bindingMissing) return inflater;
  const stream = createInflateRaw() as unknown as { _handle?: Partial<ZlibBinding>; _writeState?: unknown };
  const binding = stream._handle;
  const state = stream._writeState;
  if (
    typeof binding?.writeSync !== "function" ||
    typeof binding.reset !== "function" ||
    !(state instanceof Uint32Array) ||
    state.length !== 2
  ) {
    bindingMissing = true;
    return undefined;
  }
  const made: RawInflater = { stream, binding: binding as ZlibBinding, state };
  // Called synchronously from writeSync on a zlib error; the stream never hears of it.
  made.binding.onerror = (message) => {
    made.failure = message;
  };
  inflater = made;
  return made;
}

/** Whether readEntryPieces inflates in bounded pieces here (else a large member is read whole). */
export function readsInPieces(): boolean {
  return rawInflater() !== undefined;
}

/**
 * This thread's scratch buffers, allocated once at their full size and reused member after member: pages
 * never written cost nothing, and a buffer that is never freed never raises glibc's mmap threshold, which
 * would leave later large buffers in malloc arenas that keep their memory.
 */
let outScratch: Buffer | undefined;
let inScratch: Buffer | undefined;

/** The member's compressed bytes in order, each piece with whether it is the last. */
function* compressedPieces(bytes: ZipBytes, archive: string, item: ZipItem, into: () => Buffer): Generator<[Buffer, boolean]> {
  const { member, dataOffset } = item;
  if ("buffer" in bytes) {
    const raw = bytes.buffer.subarray(Math.max(0, dataOffset), Math.max(0, dataOffset + member.compressedSize));
    if (raw.length !== member.compressedSize) throw structureError(archive, "file data overflows the archive", item.info.name);
    yield [raw, true];
    return;
  }
  if (member.compressedSize === 0) yield [Buffer.alloc(0), true];
  for (let offset = 0; offset < member.compressedSize; ) {
    const buffer = into();
    const want = Math.min(buffer.length, member.compressedSize - offset);
    let done = 0;
    while (done < want) {
      const n = readSync(bytes.fd, buffer, done, want - done, dataOffset + offset + done);
      if (n === 0) throw structureError(archive, "file data overflows the archive", item.info.name);
      done += n;
    }
    offset += done;
    yield [buffer.subarray(0, done), offset === member.compressedSize];
  }
}

/**
 * One entry's bytes through `sink`, synchronously, from buffers this thread reuses: a piece is valid until
 * the next read on this thread, and the checks (those of readEntrySync: never more than the declared size,
 * exactly the declared compressed bytes consumed, the CRC) are complete only when this returns, so what
 * the sink did with the pieces of a failed member must be discarded. A sound member declaring up to
 * WHOLE_PIECE_BYTES arrives as exactly one piece (none when empty).
 */
export function readEntryPieces(bytes: ZipBytes, archive: string, item: ZipItem, sink: (piece: Buffer) => void): void {
  const { member } = item;
  const name = item.info.name;
  const declared = member.uncompressedSize;
  const engine = member.method === 0 ? undefined : rawInflater();
  engine?.binding.reset();
  if (member.method !== 0 && (!engine || engine.failure !== undefined)) {
    // No binding here (or one that would not reset): the member whole, as readEntrySync reads it.
    if (engine) inflater = undefined;
    const data = readEntrySync(bytes, archive, item);
    if (data.length > 0) sink(data);
    return;
  }
  // Never offered more output than one byte past the declared size, as readEntrySync's maxOutputLength.
  const cap = Math.max(1, declared) + 1;
  outScratch ??= Buffer.allocUnsafe(WHOLE_PIECE_BYTES + 1);
  // Room for the whole member and the byte that would show it runs past its declared size.
  const out = outScratch.subarray(0, Math.min(cap, outScratch.length));
  let produced = 0;
  let consumed = 0;
  let crc = 0;
  if (!engine) {
    // Stored: read straight into the output buffer when the bytes come from the file.
    for (const [piece] of compressedPieces(bytes, archive, item, () => out)) {
      consumed += piece.length;
      produced += piece.length;
      crc = crc32(piece, crc);
      if (piece.length > 0) sink(piece);
    }
  } else {
    const input = () => {
      inScratch ??= Buffer.allocUnsafe(INPUT_PIECE_BYTES);
      return inScratch;
    };
    // Output collects in `out` across input pieces, and goes to the sink when it is full or the stream ends.
    let filled = 0;
    pieces: for (const [piece, last] of compressedPieces(bytes, archive, item, input)) {
      let offset = 0;
      for (;;) {
        const room = Math.min(out.length - filled, cap - produced);
        engine.binding.writeSync(last ? Z_FINISH : Z_NO_FLUSH, piece, offset, piece.length - offset, out, filled, room);
        if (engine.failure !== undefined) {
          // A stream left in an error state is not reused.
          inflater = undefined;
          engine.binding.close();
          throw structureError(archive, `cannot inflate: ${engine.failure}`, name);
        }
        const [outLeft, inLeft] = engine.state;
        const used = piece.length - offset - inLeft;
        offset += used;
        consumed += used;
        const have = room - outLeft;
        if (have > 0) {
          produced += have;
          if (produced > Math.max(1, declared)) throw structureError(archive, `expands past the ${declared} bytes its header says`, name);
          crc = crc32(out.subarray(filled, filled + have), crc);
          filled += have;
          if (filled === out.length) {
            sink(out);
            filled = 0;
          }
        }
        // Room used up: more may follow from the same input.
        if (outLeft === 0) continue;
        // Room left under Z_FINISH without an error: the stream ended. Room left with input unread (or no
        // progress at all): it ended before its compressed bytes did.
        if (last || inLeft > 0 || (used === 0 && have === 0)) break pieces;
        break;
      }
    }
    if (filled > 0) sink(out.subarray(0, filled));
  }
  // Bytes after the end of the deflate stream are where a streaming reader and this one would part.
  if (consumed !== member.compressedSize)
    throw structureError(archive, `${member.compressedSize - consumed} bytes follow its compressed data`, name);
  if (produced !== declared) throw structureError(archive, `expands to ${produced} bytes, not the ${declared} its header says`, name);
  if (crc >>> 0 !== member.crc32) throw structureError(archive, "CRC-32 does not match its data", name);
}
