// src/util/atomic-write.ts: hash- and size-checked writes via temp files, no-overwrite, concurrent writers, cleanup.

import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { writeFileAtomic, writeStreamAtomic } from "../../src/util/atomic-write.js";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

describe("atomic writes", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pystore-atomic-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes, hashes and leaves no temp file", async () => {
    const written = await writeFileAtomic(join(dir, "a.txt"), "hello");
    expect(written).toMatchObject({ sha256: sha("hello"), size: 5, created: true });
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("hello");
    expect(await readdir(dir)).toEqual(["a.txt"]);
  });

  it("refuses bytes whose hash differs and keeps the old file", async () => {
    await writeFile(join(dir, "a.txt"), "old");
    const attempt = writeFileAtomic(join(dir, "a.txt"), "new", { expected: { sha256: sha("other"), label: "a.txt" } });
    await expect(attempt).rejects.toMatchObject({ code: "HASH_MISMATCH" });
    await expect(attempt).rejects.toBeInstanceOf(PystoreError);
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["a.txt"]);
  });

  it("reports a size mismatch as such, before comparing hashes", async () => {
    await expect(writeFileAtomic(join(dir, "b"), "abc", { expected: { size: 4, sha256: sha("abcd") } })).rejects.toMatchObject({
      code: "SIZE_MISMATCH",
      details: { expected: 4, found: 3 },
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it("with noOverwrite keeps the first writer's file and reports created=false", async () => {
    const first = await writeFileAtomic(join(dir, "c"), "same", { noOverwrite: true });
    const second = await writeFileAtomic(join(dir, "c"), "same", { noOverwrite: true });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(await readdir(dir)).toEqual(["c"]);
  });

  it("removes the temp file when the source stream fails midway", async () => {
    async function* failing() {
      yield Buffer.from("partial");
      throw new Error("connection reset");
    }
    await expect(writeStreamAtomic(failing(), join(dir, "d"))).rejects.toThrow("connection reset");
    expect(await readdir(dir)).toEqual([]);
  });

  it("lets many concurrent no-overwrite writers of the same content all succeed", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => writeFileAtomic(join(dir, "e"), "payload", { noOverwrite: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await readdir(dir)).toEqual(["e"]);
  });

  it("creates missing parent directories of the destination", async () => {
    const written = await writeFileAtomic(join(dir, "x", "y", "f.txt"), "deep");
    expect(written.created).toBe(true);
    expect(await readFile(join(dir, "x", "y", "f.txt"), "utf8")).toBe("deep");
  });

  it("fails with IO naming the path when the destination's directory cannot be created", async () => {
    await writeFile(join(dir, "plain"), "a file, not a directory");
    const underFile = writeFileAtomic(join(dir, "plain", "sub", "out.txt"), "x");
    await expect(underFile).rejects.toBeInstanceOf(PystoreError);
    await expect(underFile).rejects.toMatchObject({ code: "IO", message: expect.stringContaining(join(dir, "plain")) });
    expect(await readdir(dir)).toEqual(["plain"]);
  });

  // Node 20's recursive mkdir spins forever under /proc (mkdir answers ENOENT there); Linux only.
  it.runIf(process.platform === "linux")("fails fast under /proc instead of looping in mkdir", async () => {
    const attempt = writeFileAtomic("/proc/pystore-nope/deeper/pylock.toml", "x");
    await expect(attempt).rejects.toMatchObject({ code: "IO", message: expect.stringContaining("/proc/pystore-nope") });
  });
});
