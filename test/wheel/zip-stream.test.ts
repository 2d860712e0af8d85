// streamEntry (src/wheel/zip.ts): a member read in bounded pieces gives the bytes readEntrySync gives, and is
// refused for the same lies: a CRC that does not match, data that expands past its declared size.

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { wheelBytes } from "../../fixtures/wheels.js";
import { openWheel, readEntrySync, streamEntry, type ZipBytes, type ZipItem } from "../../src/wheel/zip.js";

// Compressible text plus incompressible bytes: several inflate output pieces and several 1 MiB input reads.
const BIG = Buffer.concat([Buffer.from("x = 1\n".repeat(400_000)), randomBytes(3 << 20)]);

async function opened(files: Record<string, Buffer>) {
  const data = await wheelBytes({ name: "big", version: "1.0", files });
  return { data, wheel: openWheel("big-1.0-py3-none-any.whl", "big-1.0-py3-none-any.whl", { data }) };
}

async function streamed(bytes: ZipBytes, item: ZipItem): Promise<Buffer> {
  const pieces: Buffer[] = [];
  await streamEntry(bytes, "big.whl", item, (piece) => pieces.push(Buffer.from(piece)));
  return Buffer.concat(pieces);
}

describe("streamEntry", () => {
  it("delivers a large deflated member byte for byte, as readEntrySync reads it", async () => {
    const { wheel } = await opened({ "big/data.bin": BIG, "big/__init__.py": Buffer.from("") });
    const item = wheel.byPath.get("big/data.bin")!;
    expect(item.member.method).toBe(8);
    const out = await streamed(wheel.bytes, item);
    expect(out.equals(BIG)).toBe(true);
    expect(out.equals(readEntrySync(wheel.bytes, "big.whl", item))).toBe(true);
  });

  it("refuses a member whose CRC-32 does not match its data", async () => {
    const { wheel } = await opened({ "big/data.bin": BIG });
    const item = wheel.byPath.get("big/data.bin")!;
    const lying = { ...item, member: { ...item.member, crc32: (item.member.crc32 ^ 1) >>> 0 } };
    await expect(streamed(wheel.bytes, lying)).rejects.toMatchObject({ code: "UNSAFE_WHEEL", message: expect.stringMatching(/CRC-32/) });
  });

  it("refuses a member that expands past the size its header declares, without producing more", async () => {
    const { wheel } = await opened({ "big/data.bin": BIG });
    const item = wheel.byPath.get("big/data.bin")!;
    const lying = { ...item, member: { ...item.member, uncompressedSize: 1 << 20 } };
    let produced = 0;
    await expect(
      streamEntry(wheel.bytes, "big.whl", lying, (piece) => {
        produced += piece.length;
      }),
    ).rejects.toMatchObject({ code: "UNSAFE_WHEEL", message: expect.stringMatching(/expands past the 1048576 bytes/) });
    expect(produced).toBeLessThanOrEqual(1 << 20);
  });

  it("refuses compressed bytes that end before the declared compressed size is consumed", async () => {
    const { wheel } = await opened({ "big/data.bin": BIG });
    const item = wheel.byPath.get("big/data.bin")!;
    const short = { ...item, member: { ...item.member, compressedSize: item.member.compressedSize - 100 } };
    await expect(streamed(wheel.bytes, short)).rejects.toMatchObject({ code: "UNSAFE_WHEEL" });
  });
});
