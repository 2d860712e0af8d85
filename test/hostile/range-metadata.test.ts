// The range-request METADATA reader (src/index-client/range-metadata.ts) on the hostile catalogue: every
// row whose defect lies in what it reads (end records, central directory, names, the .dist-info rule,
// METADATA's own header and data) is refused with the row's reason; bombs are refused before their
// bytes are fetched or inflated.

import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readMetadataByRanges, readMetadataFromBuffer } from "../../src/index-client/range-metadata.js";
import { ACCEPTED_WHEELS, FILENAME, HOSTILE_WHEELS, hostileWheel, metadataFor } from "../../fixtures/hostile-wheels.js";
import { refusal } from "./helpers.js";

/** Rows whose defect the range reader sees (the rest lie in members it never reads: fetch refuses those). */
const VISIBLE = new Set([
  "central-without-local",
  "gap-before-central",
  "prefix-adjusted",
  "overlapping",
  "two-end-records",
  "prefix",
  "suffix",
  "zip64-confusion",
  "zip64-missing",
  "comment-hides-archive",
  "comment-signature",
  "duplicate-extra",
  "unicode-path-extra",
  "encrypted",
  "method-bzip2",
  "too-many-entries",
  "no-dist-info",
  "two-dist-info",
  "dist-info-name",
  "dist-info-version",
]);
const rows = HOSTILE_WHEELS.filter((r) => ["escape", "names", "symlinks"].includes(r.cls) || VISIBLE.has(r.id));

function counted(data: Buffer) {
  let fetched = 0;
  const read = async (start: number, end: number) => {
    fetched += end - start;
    return data.subarray(start, end);
  };
  return { read, fetched: () => fetched };
}

describe("range reads refuse what they can see", () => {
  it.each(rows.map((r) => [`${r.cls}: ${r.id}`, r] as const))("%s", async (_label, row) => {
    const error = await refusal(() => readMetadataFromBuffer(row.bytes(), row.filename, row.filename));
    expect(error.message).toMatch(row.reason);
  });

  it.each(ACCEPTED_WHEELS.map((w) => [w.id, w] as const))("accepts %s", async (_label, w) => {
    expect(await readMetadataFromBuffer(w.bytes(), FILENAME, FILENAME)).toBe(metadataFor());
  });
});

describe("range-read bombs", () => {
  const MiB = 1024 * 1024;

  it("a METADATA that claims 2 GiB of compressed data is refused before any of it is fetched", async () => {
    const wheel = hostileWheel({
      entries: (e) =>
        e.map((x) =>
          String(x.name).endsWith("/METADATA")
            ? { ...x, central: { compressedSize: 0x7fffffff }, local: { compressedSize: 0x7fffffff } }
            : x,
        ),
    });
    const { read, fetched } = counted(wheel);
    const error = await refusal(() => readMetadataByRanges(wheel.length, read, FILENAME, FILENAME));
    expect(error).toMatchObject({ code: "INVALID_METADATA", message: expect.stringMatching(/too large to be metadata/) });
    expect(fetched()).toBeLessThanOrEqual(wheel.length);
  });

  it("a deflate stream that expands past its declared size stops at that size", async () => {
    const data = Buffer.alloc(64 * MiB, 0x61);
    const wheel = hostileWheel({
      entries: (e) =>
        e.map((x) =>
          String(x.name).endsWith("/METADATA")
            ? { ...x, data, compressed: deflateRawSync(data), central: { size: 100 }, local: { size: 100 } }
            : x,
        ),
    });
    expect(wheel.length).toBeLessThan(MiB);
    const before = process.memoryUsage().arrayBuffers;
    const error = await refusal(() => readMetadataFromBuffer(wheel, FILENAME, FILENAME));
    expect(error).toMatchObject({ code: "INVALID_METADATA", message: expect.stringMatching(/expands past the 100 bytes its header says/) });
    // Nothing near the 64 MiB the stream would have produced was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MiB);
  });

  it("a central directory claiming more than the limit is refused before it is fetched", async () => {
    const wheel = hostileWheel();
    // Claim a 100 MiB directory in a file that is not even that large: refused from the end records.
    const lying = Buffer.from(wheel);
    lying.writeUInt32LE(100 * MiB, lying.length - 22 + 12);
    const { read, fetched } = counted(lying);
    await refusal(() => readMetadataByRanges(lying.length, read, FILENAME, FILENAME));
    expect(fetched()).toBeLessThanOrEqual(lying.length);
  });
});
