// An interpreter tree's identity (src/store/python-tree.ts): the canonical tar is a real tar that GNU tar
// reads and unpacks to a tree with the same digest; times and modes are part of it, directory times not.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalTar, listPythonTree, pythonTreeDigest } from "../../src/store/python-tree.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
beforeAll(async () => {
  work = await tempDir("python-tree");
});
afterAll(async () => {
  await work?.cleanup();
});

/** A small tree: a binary, a symlink to it, a module with a long path (PAX), fixed file times. */
function makeTree(base: string): void {
  const long = `python/lib/python3.11/${"deep/".repeat(20)}mod.py`;
  mkdirSync(join(base, long, ".."), { recursive: true });
  mkdirSync(join(base, "python/bin"), { recursive: true });
  writeFileSync(join(base, "python/bin/python3.11"), "#!/bin/sh\necho hi\n");
  chmodSync(join(base, "python/bin/python3.11"), 0o755);
  symlinkSync("python3.11", join(base, "python/bin/python3"));
  writeFileSync(join(base, long), "x = 1\n");
  for (const path of ["python/bin/python3.11", long]) utimesSync(join(base, path), 1_600_000_000, 1_600_000_000);
}

describe("the canonical tar of an interpreter tree", () => {
  it("is read by GNU tar as sorted ustar/PAX members, and unpacks to a tree with the same digest", () => {
    const a = join(work.path, "a");
    makeTree(a);
    const digest = pythonTreeDigest(a);
    const tarPath = join(work.path, "a.tar");
    writeFileSync(tarPath, Buffer.concat([...canonicalTar(digest.listing, (p) => readFileSync(join(a, p)))]));
    expect(readFileSync(tarPath).length).toBe(digest.size);
    const listed = spawnSync("tar", ["--numeric-owner", "-tvf", tarPath], { encoding: "utf8" });
    expect(listed.status).toBe(0);
    const lines = listed.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 .* python\/$/);
    expect(lines.find((l) => l.endsWith("python/bin/python3 -> python3.11"))).toMatch(/^lrwxrwxrwx 0\/0/);
    expect(lines.find((l) => l.includes("python/bin/python3.11") && !l.includes("->"))).toMatch(/^-rwxr-xr-x 0\/0 .* 2020-09-13/);
    expect(lines.some((l) => l.endsWith(`${"deep/".repeat(20)}mod.py`))).toBe(true);

    const b = join(work.path, "b");
    mkdirSync(b);
    expect(spawnSync("tar", ["-xf", tarPath, "-C", b]).status).toBe(0);
    expect(pythonTreeDigest(b).sha256).toBe(digest.sha256);
  });

  it("changes with a file's time or mode, not with a directory's time", () => {
    const c = join(work.path, "c");
    makeTree(c);
    const before = pythonTreeDigest(c).sha256;
    utimesSync(join(c, "python/bin"), 0, 0);
    expect(pythonTreeDigest(c).sha256).toBe(before);
    utimesSync(join(c, "python/bin/python3.11"), 1_600_000_001, 1_600_000_001);
    const touched = pythonTreeDigest(c).sha256;
    expect(touched).not.toBe(before);
    chmodSync(join(c, "python/bin/python3.11"), 0o644);
    expect(pythonTreeDigest(c).sha256).not.toBe(touched);
  });

  it("refuses symlinks that leave the tree or lead nowhere", () => {
    const d = join(work.path, "d");
    makeTree(d);
    symlinkSync("../../../etc/passwd", join(d, "python/bin/escape"));
    expect(() => listPythonTree(d, "the tree")).toThrow(/python\/bin\/escape is a symlink to "..\/..\/..\/etc\/passwd"/);
    const e = join(work.path, "e");
    makeTree(e);
    symlinkSync("missing", join(e, "python/bin/dangling"));
    expect(() => listPythonTree(e)).toThrow(/dangling/);
  });
});
