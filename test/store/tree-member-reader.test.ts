// The reader the tree unpack inflates members with (readEntryPieces, src/wheel/zip.ts): for every member of
// every wheel, sound or lying, from memory or from a file, it gives what readEntrySync gives, the same
// bytes or the same refusal; a member of up to WHOLE_PIECE_BYTES arrives as one piece, a larger one in
// bounded pieces.

import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUZZ_TIMEOUT, fuzzParams } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import {
  openWheel,
  readEntryPieces,
  readEntrySync,
  readsInPieces,
  WHOLE_PIECE_BYTES,
  type ZipBytes,
  type ZipItem,
} from "../../src/wheel/zip.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const ARCHIVE = "pieces-1.0-py3-none-any.whl";
let work: TempDir;
let files = 0;

/** A zip of `members` (name → bytes, stored when the name ends in ".stored"), as the readers see it. */
async function zipOf(members: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(members))
    zip.addBuffer(data, name, { mtime: new Date(2020, 0, 1), compress: !name.endsWith(".stored") });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Not zeros: large members stay under any compression-ratio limit and take several inflate calls. */
function noise(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let at = 0, i = 0; at < bytes; at += 32, i++) createHash("sha256").update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

type Outcome = { bytes: string; pieces: number } | { code: string; message: string };

function outcome(read: () => Buffer | Buffer[]): Outcome {
  try {
    const got = read();
    const pieces = Array.isArray(got) ? got : [got];
    return { bytes: createHash("sha256").update(Buffer.concat(pieces)).digest("hex"), pieces: pieces.length };
  } catch (error) {
    if (!(error instanceof PystoreError)) throw error;
    return { code: error.code, message: error.message };
  }
}

/** Pieces copied as they come: each is valid only until the next read. */
function pieces(bytes: ZipBytes, item: ZipItem): Buffer[] {
  const out: Buffer[] = [];
  readEntryPieces(bytes, ARCHIVE, item, (piece) => out.push(Buffer.from(piece)));
  return out;
}

/** The same member read both ways, from memory and from a file: the outcomes agree. */
function expectSameReads(data: Buffer, edit: (item: ZipItem) => ZipItem = (item) => item): Outcome[] {
  const path = join(work.path, `w${files++}.whl`);
  writeFileSync(path, data);
  const fd = openSync(path, "r");
  const seen: Outcome[] = [];
  try {
    const opened = openWheel(path, ARCHIVE, { data });
    for (const bytes of [opened.bytes, { fd, size: data.length }] as ZipBytes[]) {
      for (const original of opened.byPath.values()) {
        const item = edit(original);
        const expected = outcome(() => readEntrySync(bytes, ARCHIVE, item));
        const got = outcome(() => pieces(bytes, item));
        if ("bytes" in expected && "bytes" in got) {
          expect(got.bytes).toBe(expected.bytes);
          // Empty members come as no piece at all.
          if (item.member.uncompressedSize <= WHOLE_PIECE_BYTES) expect(got.pieces).toBeLessThanOrEqual(1);
        } else {
          expect(got).toEqual(expected);
        }
        seen.push(got);
      }
    }
  } finally {
    closeSync(fd);
  }
  return seen;
}

let small: Buffer;
let large: Buffer;

beforeAll(async () => {
  work = await tempDir("tree-member-reader");
  small = await zipOf({
    "pkg/__init__.py": Buffer.from("x = 1\n".repeat(300)),
    "pkg/empty.py": Buffer.alloc(0),
    "pkg/data.stored": noise(70_000, 1),
    "pkg/blob.bin": randomBytes(3000),
    "pkg/text.txt": noise(200_000, 2),
  });
  // Deflated and stored members above WHOLE_PIECE_BYTES, and one just under it.
  large = await zipOf({
    "pkg/big.so": Buffer.concat([Buffer.from("# pad\n".repeat(200_000)), noise(WHOLE_PIECE_BYTES, 3)]),
    "pkg/big.stored": noise(WHOLE_PIECE_BYTES + 100_000, 4),
    "pkg/edge.bin": noise(WHOLE_PIECE_BYTES, 5),
  });
});
afterAll(() => work?.cleanup());

describe("readEntryPieces", () => {
  it("inflates here in bounded pieces (Node's binding has the shape it relies on)", () => {
    expect(readsInPieces()).toBe(true);
  });

  it("gives every member of a sound wheel byte for byte, a small one as one piece", () => {
    const seen = expectSameReads(small);
    expect(seen.every((o) => "bytes" in o)).toBe(true);
  });

  it("gives large members in several pieces, byte for byte, from memory and from a file", () => {
    const seen = expectSameReads(large);
    expect(seen.every((o) => "bytes" in o)).toBe(true);
    // Both large members from the file and the deflated one from memory; a stored member held in memory is
    // handed over as it lies in the wheel.
    expect(seen.filter((o) => "pieces" in o && o.pieces > 1)).toHaveLength(3);
  });

  it("refuses what readEntrySync refuses, with the same words: lies about sizes and CRCs", () => {
    const lies: ((item: ZipItem) => ZipItem)[] = [
      (i) => ({ ...i, member: { ...i.member, crc32: (i.member.crc32 ^ 1) >>> 0 } }),
      (i) => ({ ...i, member: { ...i.member, uncompressedSize: Math.max(0, i.member.uncompressedSize - 1) } }),
      (i) => ({ ...i, member: { ...i.member, uncompressedSize: i.member.uncompressedSize + 1 } }),
      (i) => ({ ...i, member: { ...i.member, uncompressedSize: 0 } }),
      (i) => ({ ...i, member: { ...i.member, uncompressedSize: 1 } }),
      (i) => ({ ...i, member: { ...i.member, compressedSize: Math.max(0, i.member.compressedSize - 3) } }),
    ];
    for (const [n, lie] of lies.entries()) {
      // Large members (slow to read twice) for the first two lies only.
      const seen = [...expectSameReads(small, lie), ...(n < 2 ? expectSameReads(large, lie) : [])];
      expect(seen.some((o) => "code" in o)).toBe(true);
    }
  });

  it("refuses a member that would expand past its declared size without producing more than that", () => {
    const opened = openWheel("/nonexistent", ARCHIVE, { data: large });
    const item = opened.byPath.get("pkg/big.so")!;
    const lying = { ...item, member: { ...item.member, uncompressedSize: 1 << 20 } };
    let produced = 0;
    expect(() => readEntryPieces(opened.bytes, ARCHIVE, lying, (piece) => (produced += piece.length))).toThrow(
      /expands past the 1048576 bytes/,
    );
    expect(produced).toBeLessThanOrEqual(1 << 20);
  });

  it("agrees with readEntrySync on members whose compressed bytes were flipped or cut", { timeout: FUZZ_TIMEOUT }, () => {
    const opened = openWheel("/nonexistent", ARCHIVE, { data: small });
    const members = [...opened.byPath.values()];
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.record({ at: fc.nat(), bit: fc.nat(7) }), { minLength: 1, maxLength: 3 }),
        fc.nat(8),
        (which, flips, cut) => {
          const target = members[which % members.length];
          const data = Buffer.from(small);
          for (const flip of flips) data[target.dataOffset + (flip.at % Math.max(1, target.member.compressedSize))] ^= 1 << flip.bit;
          const seen = expectSameReads(data, (item) =>
            item.path === target.path && cut > 0
              ? { ...item, member: { ...item.member, compressedSize: Math.max(0, item.member.compressedSize - cut) } }
              : item,
          );
          refused += seen.filter((o) => "code" in o).length;
        },
      ),
      fuzzParams(150),
    );
    expect(refused).toBeGreaterThan(0);
  });
});
