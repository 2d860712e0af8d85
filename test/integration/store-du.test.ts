// `store du` through the real CLI accounts for every file under the store: pool files that no tree uses
// (kept by a bundle's hard links, or waiting for gc), the database and stray files, each inode once,
// against an independent walk of the store.

import { linkSync, lstatSync, readdirSync, renameSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildStandalonePython, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
let wheel: BuiltWheel;
let lockPath: string;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

beforeAll(async () => {
  work = await tempDir("store-du");
  const project = join(work.path, "locks");
  wheel = await buildWheel(
    {
      name: "dulib",
      version: "1.0",
      files: {
        "dulib/__init__.py": "from .core import answer\n",
        "dulib/core.py": `def answer():\n    return 42\n${"# padding\n".repeat(300)}`,
        "dulib/empty.txt": "",
        "dulib/data.bin": Buffer.alloc(20_000, 7),
      },
    },
    project,
  );
  await writeTree(project, { "pylock.toml": lockFor([{ wheel, path: wheel.filename }]) });
  lockPath = join(project, "pylock.toml");
});
afterAll(async () => {
  await work?.cleanup();
});

const cli = (store: string, args: string[]) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "", PYSTORE_LINK_MODE: "" } });

interface Du {
  bytes: number;
  databaseBytes: number;
  entries: number;
  other: { path: string; files: number; bytes: number }[];
  poolNoTree: { bytes: number; files: number; gcBytes: number; gcFiles: number; linkedBytes: number; linkedFiles: number };
  pythonBytes: number;
  treeBytes: number;
  trees: number;
  wheelBytes: number;
}

async function du(store: string): Promise<Du> {
  const r = await cli(store, ["store", "du", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Du;
}

/** What `du -s --apparent-size --bytes` counts, less directories: every file and symlink, each inode once. */
function independentCount(dir: string, seen = new Set<number>()): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const info = lstatSync(join(dir, name));
    if (info.isDirectory()) bytes += independentCount(join(dir, name), seen);
    else if (!seen.has(info.ino)) {
      seen.add(info.ino);
      bytes += info.size;
    }
  }
  return bytes;
}

/** Every file under files/ (the pool), with its link count. */
function poolFiles(store: string): { size: number; nlink: number }[] {
  const root = join(store, "files");
  return readdirSync(root).flatMap((fan) => readdirSync(join(root, fan)).map((name) => lstatSync(join(root, fan, name))));
}

/** Each part once: the total is their sum and what an independent walk of the store finds. */
function expectWhole(usage: Du, store: string): void {
  expect(usage.bytes).toBe(independentCount(store));
  const other = usage.other.reduce((sum, o) => sum + o.bytes, 0);
  expect(usage.poolNoTree.bytes).toBe(usage.poolNoTree.gcBytes + usage.poolNoTree.linkedBytes);
  expect(usage.bytes).toBe(usage.wheelBytes + usage.treeBytes + usage.poolNoTree.bytes + usage.pythonBytes + usage.databaseBytes + other);
}

describe("store du accounts for every file under the store", () => {
  it("pool files a bundle keeps after gc removed their tree, then ones only the pool holds, each inode once", async () => {
    const store = join(work.path, "store");
    const out = join(work.path, "out");
    const built = await cli(store, ["bundle", "-l", lockPath, ...TARGET, "-o", out]);
    expect(built.code, built.stderr).toBe(0);

    // A tree in use: every pool file is one of its files.
    const fresh = await du(store);
    expectWhole(fresh, store);
    expect(fresh).toMatchObject({ entries: 1, trees: 1, pythonBytes: 0 });
    expect(fresh.poolNoTree).toEqual({ bytes: 0, files: 0, gcBytes: 0, gcFiles: 0, linkedBytes: 0, linkedFiles: 0 });
    const dbFiles = ["store.db", "store.db-wal", "store.db-shm"].map((name) => lstatSync(join(store, name), { throwIfNoEntry: false }));
    expect(fresh.databaseBytes).toBe(dbFiles.reduce((sum, info) => sum + (info?.size ?? 0), 0));

    // A stray file in tmp/ counts as other; a second name for a tree file does not count it again.
    await writeFile(join(store, "tmp", "stray"), "x".repeat(1000));
    const [fan] = readdirSync(join(store, "files"));
    const [pooled] = readdirSync(join(store, "files", fan));
    linkSync(join(store, "files", fan, pooled), join(store, "tmp", "second-name"));
    const withStray = await du(store);
    expectWhole(withStray, store);
    expect(withStray.other).toEqual([{ bytes: 1000, files: 1, path: "tmp" }]);
    expect(withStray.bytes).toBe(fresh.bytes + 1000);
    await rm(join(store, "tmp", "stray"));
    await rm(join(store, "tmp", "second-name"));

    // The bundle moves: its root is stale, gc removes the entry and its tree, the bundle's links keep the bytes.
    const moved = join(work.path, "moved");
    renameSync(out, moved);
    const gc = await cli(store, ["store", "gc", "--grace", "0"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain("removed 1 wheel(s) and 1 unpacked tree(s)");
    const kept = poolFiles(store);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((f) => f.nlink === 2)).toBe(true);
    const keptBytes = kept.reduce((sum, f) => sum + f.size, 0);
    const outside = await du(store);
    expect(outside.bytes).toBe(independentCount(store));
    expect(outside).toMatchObject({ entries: 0, trees: 0, treeBytes: 0, wheelBytes: 0 });
    expect(outside.poolNoTree).toEqual({
      bytes: keptBytes,
      files: kept.length,
      gcBytes: 0,
      gcFiles: 0,
      linkedBytes: keptBytes,
      linkedFiles: kept.length,
    });
    expectWhole(outside, store);
    const text = (await cli(store, ["store", "du"])).stdout;
    expect(text).toContain(`pool files no tree uses: ${kept.length} file(s)`);
    expect(text).toMatch(/linked from outside the trees, e\.g\. by bundles \(gc cannot free them while those links exist\)/);

    // The bundle is gone: link count 1, what the next gc removes.
    await rm(moved, { recursive: true, force: true });
    const orphaned = await du(store);
    expect(orphaned.bytes).toBe(independentCount(store));
    expect(orphaned.poolNoTree).toEqual({
      bytes: keptBytes,
      files: kept.length,
      gcBytes: keptBytes,
      gcFiles: kept.length,
      linkedBytes: 0,
      linkedFiles: 0,
    });
    expectWhole(orphaned, store);
    expect((await cli(store, ["store", "du"])).stdout).toContain(
      `pool files no tree uses: ${kept.length} file(s), ${(keptBytes / 1024).toFixed(1)} KiB that only the pool holds (the next gc removes them)`,
    );

    expect((await cli(store, ["store", "gc", "--grace", "0"])).code).toBe(0);
    const swept = await du(store);
    expect(swept.poolNoTree.files).toBe(0);
    expectWhole(swept, store);
  });

  it.skipIf(standaloneUnavailable() !== undefined)(
    "an interpreter counts at its files on disk, symlinks and entry.json included",
    async () => {
      const store = join(work.path, "store-python");
      const source = join(work.path, "standalone");
      buildStandalonePython(source);
      const added = await cli(store, ["python", "add", source]);
      expect(added.code, added.stderr).toBe(0);
      const usage = await du(store);
      expectWhole(usage, store);
      expect(usage.pythonBytes).toBe(independentCount(join(store, "pythons")));
      expect((await cli(store, ["store", "du"])).stdout).toMatch(/, 1 interpreter\(s\) \(/);
    },
  );
});
