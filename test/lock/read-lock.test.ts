// readLockFile: the one reader of pylock.toml files for commands (missing → FILE_NOT_FOUND with a hint).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { readLockFile } from "../../src/lock/read-lock.js";

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
