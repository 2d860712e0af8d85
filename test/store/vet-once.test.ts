// A wheel entering the store is vetted (archive + metadata) and hashed once before it is written, however
// the caller batches it (checkWheelFile then addWheelFile), and `store export` verifies by streaming.

import { chmod, copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import * as hashing from "../../src/util/hash-file.js";
import { exportClosure } from "../../src/store/export.js";
import { openStore } from "../../src/store/store.js";
import * as wheelInfo from "../../src/store/wheel-info.js";
import { tempDir } from "../helpers/temp.js";

vi.mock("../../src/util/hash-file.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/util/hash-file.js")>();
  return { ...real, hashFile: vi.fn(real.hashFile) };
});
vi.mock("../../src/store/wheel-info.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/store/wheel-info.js")>();
  return { ...real, readWheelInfo: vi.fn(real.readWheelInfo) };
});

let work: { path: string; cleanup: () => Promise<void> };
let one: BuiltWheel;
let other: BuiltWheel;
let n = 0;
beforeAll(async () => {
  work = await tempDir("vet-once");
  one = await buildWheel({ name: "once", version: "1.0" }, join(work.path, "a"));
  other = await buildWheel({ name: "once", version: "1.0", files: { "once/__init__.py": "changed = True\n" } }, join(work.path, "b"));
});
afterAll(() => work.cleanup());
beforeEach(() => {
  vi.mocked(hashing.hashFile).mockClear();
  vi.mocked(wheelInfo.readWheelInfo).mockClear();
});

describe("vetting on the way in", () => {
  it("checkWheelFile then addWheelFile reads the archive once and hashes the source once before writing", async () => {
    const store = await openStore({ dir: join(work.path, `s${n++}`) });
    try {
      await store.checkWheelFile(one.path, { expectedSha256: one.sha256 });
      const entry = await store.addWheelFile(one.path, { expectedSha256: one.sha256 });
      expect(entry.sha256).toBe(one.sha256);
      expect(wheelInfo.readWheelInfo).toHaveBeenCalledTimes(1);
      expect(hashing.hashFile).toHaveBeenCalledTimes(1);
    } finally {
      store.close();
    }
  });

  it("vets again when the file changed after it was checked, and stores what is there now", async () => {
    const store = await openStore({ dir: join(work.path, `s${n++}`) });
    try {
      const path = join(work.path, `moving-${n}`, one.filename);
      await buildWheel({ name: "once", version: "1.0" }, join(work.path, `moving-${n}`));
      await store.checkWheelFile(path);
      await chmod(path, 0o644);
      await copyFile(other.path, path);
      const entry = await store.addWheelFile(path);
      expect(entry.sha256).toBe(other.sha256);
      expect(wheelInfo.readWheelInfo).toHaveBeenCalledTimes(2);
    } finally {
      store.close();
    }
  });

  it("does not reuse a check made with another expected hash", async () => {
    const store = await openStore({ dir: join(work.path, `s${n++}`) });
    try {
      await store.checkWheelFile(one.path);
      await expect(store.addWheelFile(one.path, { expectedSha256: "0".repeat(64) })).rejects.toMatchObject({ code: "HASH_MISMATCH" });
    } finally {
      store.close();
    }
  });
});

describe("store export", () => {
  it("refuses an entry whose stored bytes were altered, without reading it whole", async () => {
    const store = await openStore({ dir: join(work.path, `s${n++}`) });
    try {
      const entry = await store.addWheelFile(one.path);
      await chmod(entry.path, 0o644);
      await writeFile(entry.path, Buffer.concat([one.bytes.subarray(0, one.size - 1), Buffer.from("!")]));
      await expect(exportClosure(store, [entry], join(work.path, "out.tar"))).rejects.toMatchObject({
        code: "STORE_CORRUPTED",
        message: expect.stringMatching(/no longer matches its recorded sha256/),
      });
      await writeFile(entry.path, one.bytes.subarray(0, 10));
      await expect(exportClosure(store, [entry], join(work.path, "out.tar"))).rejects.toMatchObject({
        code: "STORE_CORRUPTED",
        message: expect.stringMatching(/found 10 bytes/),
      });
    } finally {
      store.close();
    }
  });
});
