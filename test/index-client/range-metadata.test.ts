// Reading METADATA from a zip's central directory with byte ranges (including zip64 archives).

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import yazl from "yazl";
import { PystoreError } from "../../src/errors.js";
import { readMetadataByRanges, readMetadataFromBuffer } from "../../src/index-client/range-metadata.js";
import { wheelBytes, metadataText } from "../../fixtures/wheels.js";

async function zip(
  entries: Record<string, string>,
  opts: { forceZip64Format?: boolean; compress?: boolean; comment?: string } = {},
): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries))
    z.addBuffer(Buffer.from(text), name, { forceZip64Format: opts.forceZip64Format, compress: opts.compress ?? true });
  z.end(opts.comment ? { comment: opts.comment } : {});
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function ranged(data: Buffer) {
  const reads: [number, number][] = [];
  const read = async (start: number, end: number) => {
    reads.push([start, end]);
    return data.subarray(start, end);
  };
  return { reads, read };
}

describe("readMetadataByRanges", () => {
  it("reads a real wheel's METADATA touching only the tail and the member", async () => {
    const spec = { name: "ranged", version: "3.1", requiresDist: ["dep>=1"], files: { "ranged/big.bin": randomBytes(300_000) } };
    const bytes = await wheelBytes(spec);
    const { reads, read } = ranged(bytes);
    expect(await readMetadataByRanges(bytes.length, read, "ranged.whl", "ranged-3.1-py3-none-any.whl")).toBe(metadataText(spec));
    const fetched = reads.reduce((n, [s, e]) => n + (e - s), 0);
    expect(bytes.length).toBeGreaterThan(300_000);
    expect(fetched).toBeLessThan(100_000);
  });

  it.each([
    ["deflated", {}],
    ["stored", { compress: false }],
    ["zip64", { forceZip64Format: true }],
    ["with a comment", { comment: "hello" }],
  ])("%s archives", async (_label, opts) => {
    const bytes = await zip(
      {
        "pkg/__init__.py": "",
        "pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
        "pkg-1.0.dist-info/RECORD": "",
      },
      opts,
    );
    expect(await readMetadataFromBuffer(bytes, "pkg.whl", "pkg-1.0-py3-none-any.whl")).toBe(
      "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
    );
  });

  it("follows the one .dist-info rule: exactly one, named like the wheel", async () => {
    const bytes = await zip({ "a-1.0.dist-info/METADATA": "Name: a\n", "b-2.0.dist-info/METADATA": "Name: b\n" });
    await expect(readMetadataFromBuffer(bytes, "b.whl", "b-2.0-py3-none-any.whl")).rejects.toMatchObject({
      code: "INVALID_METADATA",
      message: "b.whl has several .dist-info directories: a-1.0.dist-info, b-2.0.dist-info",
    });
    const other = await zip({ "a-1.0.dist-info/METADATA": "Name: a\n" });
    await expect(readMetadataFromBuffer(other, "c.whl", "c-1.0-py3-none-any.whl")).rejects.toMatchObject({
      code: "INVALID_METADATA",
      message: 'c.whl has no *.dist-info/METADATA at its root for "c" (found only a-1.0.dist-info)',
    });
  });

  it("refuses METADATA over the store's size limit, and a small deflate stream that expands past its declared size", async () => {
    const huge = "a".repeat(17 * 1024 * 1024);
    const big = await zip({ "pkg-1.0.dist-info/METADATA": huge });
    expect(big.length).toBeLessThan(100_000);
    await expect(readMetadataFromBuffer(big, "big.whl", "pkg-1.0-py3-none-any.whl")).rejects.toMatchObject({
      code: "INVALID_METADATA",
      message: expect.stringMatching(/too large to be metadata/),
    });
    // Both headers claim 64 bytes; the deflate stream would expand to 17 MiB.
    const lying = Buffer.from(big);
    const name = Buffer.from("pkg-1.0.dist-info/METADATA");
    const central = lying.lastIndexOf(name) - 46;
    const local = lying.indexOf(name) - 30;
    expect(lying.readUInt32LE(central)).toBe(0x02014b50);
    expect(lying.readUInt32LE(local)).toBe(0x04034b50);
    lying.writeUInt32LE(64, central + 24);
    if (lying.readUInt32LE(local + 22) !== 0) lying.writeUInt32LE(64, local + 22);
    const error = await readMetadataFromBuffer(lying, "lying.whl", "pkg-1.0-py3-none-any.whl").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect(error).toMatchObject({ code: "INVALID_METADATA", message: expect.stringMatching(/expands past the 64 bytes its header says/) });
  });

  it("rejects something that is not a zip, or a zip without METADATA", async () => {
    await expect(
      readMetadataFromBuffer(Buffer.from("<html>login</html>".repeat(3)), "x.whl", "x-1.0-py3-none-any.whl"),
    ).rejects.toMatchObject({
      code: "INVALID_INDEX_RESPONSE",
      message: "x.whl: not a readable wheel (no end-of-central-directory record)",
    });
    await expect(readMetadataFromBuffer(await zip({ "pkg/__init__.py": "" }), "y.whl", "y-1.0-py3-none-any.whl")).rejects.toMatchObject({
      message: 'y.whl has no *.dist-info/METADATA at its root for "y" (found none)',
    });
  });
});
