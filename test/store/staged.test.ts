// stageBody (src/store/staged.ts): a download written once into staging and hashed as it is written, kept
// in memory too when its size is known and small, and nothing left behind when the bytes are not the
// promised ones.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KEEP_IN_MEMORY_BYTES, stageBody } from "../../src/store/staged.js";
import { refusal } from "../helpers/refusal.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir("staged");
});
afterEach(async () => {
  await dir.cleanup();
});

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** `bytes` as a body arriving in chunks of `size`. */
async function* chunked(bytes: Buffer, size = 7_000): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

function payload(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}

describe("stageBody", () => {
  it.each([
    ["known and small: kept in memory for admission as well", true, 100_000],
    ["unknown: gathered while it stays under the limit", false, 100_000],
    ["known and empty", true, 0],
  ])("%s", async (_label, sizeKnown, length) => {
    const bytes = payload(length);
    const path = join(dir.path, "a.whl");
    const staged = await stageBody(chunked(bytes), path, { sha256: sha(bytes), ...(sizeKnown ? { size: length } : {}) });
    await staged.synced;
    expect(staged).toMatchObject({ path, sha256: sha(bytes), size: length, created: true });
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // Kept in memory for admission: small enough either way.
    expect(staged.bytes?.equals(bytes)).toBe(true);
  });

  it("streams a known size past the in-memory limit, and keeps no copy", async () => {
    const bytes = payload(KEEP_IN_MEMORY_BYTES + 1);
    const path = join(dir.path, "big.whl");
    const staged = await stageBody(chunked(bytes, 1 << 20), path, { sha256: sha(bytes), size: bytes.length });
    await staged.synced;
    expect(staged.sha256).toBe(sha(bytes));
    expect(staged.bytes).toBeUndefined();
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it.each([
    ["more bytes than the size promised", 100_000, 90_000],
    ["fewer bytes than the size promised", 90_000, 100_000],
  ])("refuses %s, and leaves no file", async (_label, sent, promised) => {
    const bytes = payload(sent);
    const path = join(dir.path, "short.whl");
    const error = await refusal(() => stageBody(chunked(bytes), path, { size: promised, label: "short.whl" }));
    expect(error.code).toBe("SIZE_MISMATCH");
    expect(error.message).toBe(`short.whl: expected ${promised} bytes, got ${sent}`);
    expect(existsSync(path)).toBe(false);
  });

  it.each([true, false])("refuses bytes with another sha256 (size known: %s), and leaves no file", async (sizeKnown) => {
    const bytes = payload(50_000);
    const other = sha(payload(10));
    const path = join(dir.path, "lying.whl");
    const error = await refusal(() => stageBody(chunked(bytes), path, { sha256: other, ...(sizeKnown ? { size: bytes.length } : {}) }));
    expect(error.code).toBe("HASH_MISMATCH");
    expect(error.message).toContain(`got ${sha(bytes)}`);
    expect(existsSync(path)).toBe(false);
  });
});
