// verifyStored, whose stream checker loads at first use: intact bytes pass; a changed, truncated or
// missing file is STORE_CORRUPTED naming what was found.

import { createHash } from "node:crypto";
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { verifyStored } from "../../src/store/content.js";
import { openStore, type StoreEntry } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("lazy-verify");
  wheels = await buildWheels(SAMPLE_SPECS.slice(0, 1), join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

async function stored(name: string): Promise<StoreEntry> {
  const store = await openStore({ dir: join(work.path, name) });
  try {
    return await store.addWheelFile(wheels[0].path);
  } finally {
    store.close();
  }
}

const check = (e: StoreEntry) => verifyStored(e.path, e.sha256, e.size, e.filename);

async function overwrite(entry: StoreEntry, bytes: Buffer): Promise<void> {
  await chmod(entry.path, 0o644);
  await writeFile(entry.path, bytes);
}

describe("verifyStored", () => {
  it("passes intact bytes", async () => {
    await expect(check(await stored("intact"))).resolves.toBeUndefined();
  });

  it("names the sha256 it found when the bytes changed", async () => {
    const entry = await stored("changed");
    const bytes = Buffer.from(wheels[0].bytes);
    bytes[bytes.length - 1] ^= 0xff;
    await overwrite(entry, bytes);
    const found = createHash("sha256").update(bytes).digest("hex");
    await expect(check(entry)).rejects.toMatchObject({ code: "STORE_CORRUPTED", details: { expected: entry.sha256, found } });
  });

  it("names the size it found when the file is truncated", async () => {
    const entry = await stored("truncated");
    await overwrite(entry, wheels[0].bytes.subarray(0, 10));
    await expect(check(entry)).rejects.toMatchObject({ code: "STORE_CORRUPTED", details: { found: "10 bytes" } });
  });

  it("says the file is missing", async () => {
    const entry = await stored("missing");
    await rm(entry.path, { force: true });
    await expect(check(entry)).rejects.toMatchObject({
      code: "STORE_CORRUPTED",
      message: expect.stringContaining("the stored file is missing"),
    });
  });
});
