// src/util/dirs.ts: creating user-chosen directories level by level, with typed failures instead of hangs.

import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDirectory } from "../../src/util/dirs.js";

const fail = (problem: string, cause?: unknown) => Object.assign(new Error(`custom: ${problem}`), { cause });

describe("ensureDirectory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pystore-dirs-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates every missing level and accepts an existing directory", async () => {
    const deep = join(dir, "a", "b", "c");
    await ensureDirectory(deep, fail);
    expect((await stat(deep)).isDirectory()).toBe(true);
    await ensureDirectory(deep, fail);
  });

  it("lets concurrent callers create the same tree", async () => {
    const deep = join(dir, "p", "q", "r");
    await Promise.all(Array.from({ length: 6 }, () => ensureDirectory(deep, fail)));
    expect((await stat(deep)).isDirectory()).toBe(true);
  });

  it("reports a file in the way through the caller's error", async () => {
    await writeFile(join(dir, "f"), "");
    await expect(ensureDirectory(join(dir, "f", "sub"), fail)).rejects.toThrow(`custom: ${join(dir, "f")} exists and is not a directory`);
    await expect(ensureDirectory(join(dir, "f"), fail)).rejects.toThrow(/custom: .* exists and is not a directory/);
  });

  // /proc answers ENOENT to mkdir: the case Node 20's recursive mkdir never returns from. Linux only.
  it.runIf(process.platform === "linux")("gives up under /proc with the errno as the cause", async () => {
    const error = await ensureDirectory("/proc/pystore-nope/x", fail).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^custom: cannot create \/proc\/pystore-nope: /);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});
