// Full, inode-starved and read-only filesystems under every write path, through the real CLI: a small
// tmpfs as the output directory (bundle dir, tar.gz, pyz; lock -o; store export -o) and, separately, as the
// store (unpacking trees for a bundle; store import; store export's staging). The free space is set so the
// write fails at several points of each command. Every failure is a typed IO (exit 3) or STORE_IO (exit 7)
// error naming the path and the cause in words, never an internal error; the output directory holds
// nothing new, an older bundle at OUT survives, the store verifies clean and its tmp/ is empty.
// Needs `mount -t tmpfs` (root in a container that allows it); skipped with the reason otherwise.
// PYSTORE_SLOW_TESTS=1 sweeps many more free-space levels.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer } from "../../fixtures/index-server.js";
import { lockFor } from "../../fixtures/projects.js";
import { prng } from "../../fixtures/prng.js";
import { type BuiltWheel, buildWheel } from "../../fixtures/wheels.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const SLOW = process.env.PYSTORE_SLOW_TESTS === "1";
/** Fractions of what a command needs that are left free: nothing, a little, about half, almost all. */
const LEVELS = SLOW ? Array.from({ length: 16 }, (_, i) => i / 16) : [0, 0.3, 0.9];
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
const FILLER = "filler";
const DISK = "4m";
/**
 * Room kept free for the store's SQLite database (its WAL grows on every commit) in the store's own tests,
 * so the write that fails is the one under test; a database that cannot grow is its own case below.
 */
const DB_ROOM = 256 * 1024;

const work = await tempDir("disk-full");
const mounts: string[] = [];

function mount(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const run = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (run.error) return `mount is not available: ${run.error.message}`;
  if (run.status !== 0) return `mount -t tmpfs is not permitted here (needs root): ${run.stderr.trim()}`;
  mounts.push(dir);
  return undefined;
}

const skipReason = mount(join(work.path, "probe"), "size=64k");

let lock: string;
let closure: string;
let built: BuiltWheel[];
/** A store outside any small disk, holding both wheels. */
const roomyStore = join(work.path, "roomy-store");

beforeAll(async () => {
  if (skipReason) return;
  // Seeded bytes that do not compress, so archives are as big as their contents.
  const random = prng(20261124);
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const files: Record<string, Buffer | string> = { "many/__init__.py": "def main():\n    return 0\n", "many/blob.bin": noise(300_000) };
  for (let i = 0; i < 40; i++) files[`many/sub${i % 5}/m${i}.py`] = `X = ${i}\n`.repeat(50);
  const many = await buildWheel(
    { name: "many", version: "1.0", files, entryPoints: { console_scripts: { many: "many:main" } } },
    join(work.path, "wheels"),
  );
  const other = await buildWheel(
    { name: "other", version: "2.0", files: { "other/__init__.py": "", "other/data.bin": noise(100_000) } },
    join(work.path, "wheels"),
  );
  built = [many, other];
  lock = join(work.path, "pylock.toml");
  writeFileSync(
    lock,
    lockFor([
      { wheel: many, path: `wheels/${many.filename}` },
      { wheel: other, path: `wheels/${other.filename}` },
    ]),
  );
  expect((await cli(roomyStore, ["store", "add", many.path, other.path])).code).toBe(0);
  closure = join(work.path, "closure.tar");
  expect((await cli(roomyStore, ["store", "export", "many", "other", "-o", closure])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  for (const dir of mounts.reverse()) spawnSync("umount", [dir]);
  await work.cleanup();
});

const cli = (store: string, args: string[]) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "0" }, timeoutMs: 120_000 });

/** Leave exactly `free` bytes available on the tmpfs at `dir`, filling the rest (everything else removed). */
function leaveFree(dir: string, free: number): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  const fs = statfsSync(dir);
  const available = fs.bavail * fs.bsize;
  writeFileSync(join(dir, FILLER), Buffer.alloc(Math.max(0, available - free)));
}

/** Bytes a command took on the tmpfs at `dir` when it had room. */
function usedBy(dir: string, run: () => Promise<CliResult>): Promise<number> {
  leaveFree(dir, Number.MAX_SAFE_INTEGER);
  const before = statfsSync(dir);
  return run().then((result) => {
    expect(result.code, result.stderr).toBe(0);
    const after = statfsSync(dir);
    return (before.bavail - after.bavail) * after.bsize;
  });
}

function expectTyped(run: CliResult, exit: 3 | 7, path: string, cause = /no space left on the filesystem \(ENOSPC\)/): void {
  expect(run.stderr, "an untyped failure").not.toMatch(/internal error|this is a bug| {4}at /);
  expect(run.code, run.stderr).toBe(exit);
  expect(run.stderr).toMatch(cause);
  expect(run.stderr).toContain(path);
  expect(run.stderr).toMatch(/^hint: /m);
}

/** The store verifies clean, holds exactly `count` wheels, and nothing is left in its tmp/. */
async function expectStoreClean(store: string, count: number): Promise<void> {
  const verify = await cli(store, ["store", "verify", "--json"]);
  expect(verify.code, verify.stderr).toBe(0);
  expect(JSON.parse(verify.stdout)).toMatchObject({ checked: count, problems: [], orphans: [] });
  expect(readdirSync(join(store, "tmp"))).toEqual([]);
}

const only = (dir: string, ...names: string[]) => expect(readdirSync(dir).sort()).toEqual([FILLER, ...names].sort());

describe.skipIf(skipReason !== undefined)(`full output directories${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const out = join(work.path, "out");
  beforeAll(() => {
    const reason = mount(out, `size=${DISK}`);
    if (reason) throw new Error(reason);
  });

  it.each([
    ["dir", "app"],
    ["tar.gz", "app.tar.gz"],
    ["pyz", "app.pyz"],
  ])("bundle --format %s: IO naming OUT at every fill level, nothing left beside it", async (format, name) => {
    const target = join(out, name);
    const args = ["bundle", "-l", lock, ...TARGET, "--format", format, "-o", target];
    const need = await usedBy(out, () => cli(roomyStore, args));
    for (const level of LEVELS) {
      leaveFree(out, Math.floor(need * level));
      const run = await cli(roomyStore, args);
      expectTyped(run, 3, target);
      only(out);
    }
    await expectStoreClean(roomyStore, 2);
  });

  it("bundle over an older bundle on a full disk: the older one stays in place, whole", async () => {
    const target = join(out, "app");
    const args = ["bundle", "-l", lock, ...TARGET, "--format", "dir", "-o", target];
    leaveFree(out, Number.MAX_SAFE_INTEGER);
    expect((await cli(roomyStore, args)).code).toBe(0);
    // Room for the old bundle only: the new staging tree cannot fit beside it.
    writeFileSync(join(out, FILLER), Buffer.alloc(Math.max(0, statfsSync(out).bavail * statfsSync(out).bsize - 64 * 1024)));
    const run = await cli(roomyStore, args);
    expectTyped(run, 3, target);
    only(out, "app");
    const verify = await cli(roomyStore, ["bundle", "verify", target]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("a filesystem out of inodes: the dir bundle is IO too (ENOSPC from mkdir and open)", async () => {
    const starved = join(work.path, "starved");
    for (const inodes of SLOW ? [2, 3, 5, 8, 13, 21, 34, 55] : [3, 21]) {
      const reason = mount(starved, `size=${DISK},nr_inodes=${inodes}`);
      if (reason) throw new Error(reason);
      const target = join(starved, "app");
      const run = await cli(roomyStore, ["bundle", "-l", lock, ...TARGET, "--format", "dir", "-o", target]);
      expectTyped(run, 3, target);
      expect(readdirSync(starved)).toEqual([]);
      spawnSync("umount", [starved]);
      mounts.pop();
    }
  });

  it("lock -o and store export -o: IO naming the file, nothing left beside it", async () => {
    const exported = join(out, "closure.tar");
    const exportArgs = ["store", "export", "many", "other", "-o", exported];
    const need = await usedBy(out, () => cli(roomyStore, exportArgs));
    for (const level of LEVELS) {
      leaveFree(out, Math.floor(need * level));
      expectTyped(await cli(roomyStore, exportArgs), 3, "closure.tar");
      only(out);
    }
    const server = await startIndexServer({ wheels: built });
    try {
      leaveFree(out, 0);
      const locked = join(out, "pylock.toml");
      const run = await cli(roomyStore, ["lock", "many", ...TARGET, "--index-url", server.url, "-o", locked, "--project", work.path]);
      expectTyped(run, 3, "pylock.toml");
      only(out);
    } finally {
      await server.close();
    }
    await expectStoreClean(roomyStore, 2);
  });

  it("a read-only output directory: IO saying so in words", async () => {
    leaveFree(out, Number.MAX_SAFE_INTEGER);
    rmSync(join(out, FILLER));
    spawnSync("mount", ["-o", "remount,ro", out]);
    try {
      for (const [format, name] of [
        ["dir", "app"],
        ["pyz", "app.pyz"],
      ]) {
        const target = join(out, name);
        const run = await cli(roomyStore, ["bundle", "-l", lock, ...TARGET, "--format", format, "-o", target]);
        expectTyped(run, 3, target, /read-only/);
      }
      expect(readdirSync(out)).toEqual([]);
    } finally {
      spawnSync("mount", ["-o", "remount,rw", out]);
    }
  });
});

describe.skipIf(skipReason !== undefined)(`a full store${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const disk = join(work.path, "store-disk");
  const store = join(disk, "store");
  beforeAll(() => {
    const reason = mount(disk, `size=${DISK}`);
    if (reason) throw new Error(reason);
  });

  /** A copy of the roomy store's wheels (no unpacked trees yet) on the small disk, `free` bytes left over. */
  async function storeWithWheels(free: number): Promise<void> {
    leaveFree(disk, Number.MAX_SAFE_INTEGER);
    rmSync(join(disk, FILLER));
    const imported = await cli(store, ["store", "import", closure]);
    expect(imported.code, imported.stderr).toBe(0);
    const fs = statfsSync(disk);
    writeFileSync(join(disk, FILLER), Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - free)));
  }

  it("bundle that must unpack trees into a full store: STORE_IO naming the store, no tree, no output", async () => {
    const outDir = join(work.path, "full-store-out");
    const args = ["bundle", "-l", lock, ...TARGET, "--format", "tar.gz", "-o", join(outDir, "app.tar.gz")];
    await storeWithWheels(Number.MAX_SAFE_INTEGER);
    const before = statfsSync(disk).bavail * statfsSync(disk).bsize;
    expect((await cli(store, args)).code).toBe(0);
    const need = before - statfsSync(disk).bavail * statfsSync(disk).bsize;
    for (const free of LEVELS.map((l) => DB_ROOM + Math.floor(need * l)).filter((f) => f < need - 16 * 1024)) {
      await storeWithWheels(free);
      rmSync(outDir, { recursive: true, force: true });
      const run = await cli(store, args);
      expectTyped(run, 7, store);
      expect(run.stderr).toMatch(/unpacked tree of (many|other)/);
      expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
      await expectStoreClean(store, 2);
      const verify = JSON.parse((await cli(store, ["store", "verify", "--json"])).stdout) as { treesChecked: number };
      expect(verify.treesChecked).toBeLessThan(2);
    }
  });

  it("store import into a store with little room, at every fill level: STORE_IO, nothing imported", async () => {
    leaveFree(disk, Number.MAX_SAFE_INTEGER);
    rmSync(join(disk, FILLER));
    // An empty store (database and directories) first, then what the import takes on top of it.
    expect((await cli(store, ["store", "ls"])).code).toBe(0);
    const before = statfsSync(disk).bavail * statfsSync(disk).bsize;
    expect((await cli(store, ["store", "import", closure])).code).toBe(0);
    const need = before - statfsSync(disk).bavail * statfsSync(disk).bsize;
    for (const free of LEVELS.map((l) => DB_ROOM + Math.floor(need * l)).filter((f) => f < need - 16 * 1024)) {
      for (const name of readdirSync(disk)) rmSync(join(disk, name), { recursive: true, force: true });
      expect((await cli(store, ["store", "ls"])).code).toBe(0);
      const fs = statfsSync(disk);
      writeFileSync(join(disk, FILLER), Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - free)));
      const run = await cli(store, ["store", "import", closure]);
      expectTyped(run, 7, store);
      expect(run.stderr).not.toMatch(/tampered|not a readable tar/i);
      await expectStoreClean(store, 0);
    }
  });

  it("a store whose database cannot grow: still a typed STORE_IO naming it, and usable once there is room", async () => {
    await storeWithWheels(0);
    const run = await cli(store, ["bundle", "-l", lock, ...TARGET, "--format", "tar.gz", "-o", join(work.path, "db-full", "app.tar.gz")]);
    expect(run.stderr, "an untyped failure").not.toMatch(/internal error|this is a bug| {4}at /);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toContain(store);
    rmSync(join(disk, FILLER));
    await expectStoreClean(store, 2);
  });
});
