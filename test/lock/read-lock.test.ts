// readLockFile: the one reader of pylock.toml files for commands and the store's closure export
// (missing → FILE_NOT_FOUND with a hint).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { readLockFile } from "../../src/lock/read-lock.js";
import { closureEntriesForLock } from "../../src/app/export.js";
import { openStore } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-read-lock-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("readLockFile", () => {
  it("returns the parsed lock and its exact text", async () => {
    const text = 'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "alpha"\nversion = "1.0"\n';
    const path = join(dir, "ok.toml");
    await writeFile(path, text);
    const read = await readLockFile(path);
    expect(read.text).toBe(text);
    expect(read.lock.packages.map((p) => p.name)).toEqual(["alpha"]);
  });

  it("throws FILE_NOT_FOUND naming the path, with a hint to lock first", async () => {
    const path = join(dir, "missing.toml");
    const error = await readLockFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("FILE_NOT_FOUND");
    expect((error as PystoreError).message).toContain(path);
    expect((error as PystoreError).hint).toContain("pystore lock");
  });

  it("throws INVALID_LOCK for a malformed lock", async () => {
    const path = join(dir, "bad.toml");
    await writeFile(path, 'lock-version = "1.0"\n[[packages]]\nversion = "1"\n');
    const error = await readLockFile(path).catch((e: unknown) => e);
    expect((error as PystoreError).code).toBe("INVALID_LOCK");
  });
});

describe("closureEntriesForLock (store export -l)", () => {
  it("reads the lock through readLockFile and returns the stored entries it names", async () => {
    const stored = await buildWheel({ name: "alpha", version: "1.0" }, join(dir, "wheels"));
    const absent = await buildWheel({ name: "beta", version: "1.0" }, join(dir, "wheels"));
    const store = await openStore({ dir: join(dir, "store"), log: silentLogger });
    try {
      await store.addWheelFile(stored.path);
      const lockFor = (name: string, w: typeof stored) =>
        `lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "${name}"\nversion = "1.0"\nwheels = [{name = "${w.filename}", url = "https://i.test/${w.filename}", hashes = {sha256 = "${w.sha256}"}}]\n`;
      const good = join(dir, "closure-ok.toml");
      await writeFile(good, lockFor("alpha", stored));
      expect((await closureEntriesForLock(store, good)).map((e) => e.sha256)).toEqual([stored.sha256]);

      const missing = await closureEntriesForLock(store, join(dir, "no-lock.toml")).catch((e: unknown) => e);
      expect((missing as PystoreError).code).toBe("FILE_NOT_FOUND");
      expect((missing as PystoreError).hint).toContain("pystore lock");

      const unstored = join(dir, "closure-missing.toml");
      await writeFile(unstored, lockFor("beta", absent));
      const error = await closureEntriesForLock(store, unstored, "pylock.toml").catch((e: unknown) => e);
      expect((error as PystoreError).code).toBe("ENTRY_NOT_FOUND");
      expect((error as PystoreError).message).toContain(absent.filename);
      expect((error as PystoreError).hint).toBe("run `pystore fetch -l pylock.toml` first");
    } finally {
      store.close();
    }
  });
});
