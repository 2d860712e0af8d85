// A store on a full filesystem, through the real CLI: `store add`, `store import` and `fetch` into a
// tiny tmpfs report a typed STORE_IO error (exit 7) naming the path and what was being written, never an
// internal error and never blaming a good archive; the store is left clean (no temp files, no rows).
// Needs `mount -t tmpfs` (root in a container that allows it); skipped with the reason otherwise.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

/** Room for the store's database and log, far too little for the big wheel. */
const DISK_SIZE = "1m";

const work = await tempDir("full-disk");
const mounts: string[] = [];

/** A fresh tmpfs of DISK_SIZE at `dir`; the reason it cannot be had otherwise. */
function mountTiny(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const run = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${DISK_SIZE}`, "tmpfs", dir], { encoding: "utf8" });
  if (run.error) return `mount is not available: ${run.error.message}`;
  if (run.status !== 0) return `mount -t tmpfs is not permitted here: ${run.stderr.trim()}`;
  mounts.push(dir);
  return undefined;
}

const skipReason = mountTiny(join(work.path, "probe"));

let wheels: { small: BuiltWheel; big: BuiltWheel };
let server: IndexServer | undefined;

beforeAll(async () => {
  if (skipReason) return;
  const [small, big] = await buildWheels(
    [
      { name: "smallpkg", version: "1.0" },
      // Random bytes do not compress: the wheel is as big as its data, and bigger than the disk.
      { name: "bigpkg", version: "1.0", files: { "bigpkg/__init__.py": "", "bigpkg/blob.bin": randomBytes(3 * 1024 * 1024) } },
    ],
    join(work.path, "wheels"),
  );
  wheels = { small, big };
});

afterAll(async () => {
  await server?.close();
  for (const dir of mounts.reverse()) spawnSync("umount", [dir]);
  await work.cleanup();
});

const cli = (store: string, args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 120_000 });

/** A new store on its own tiny tmpfs, already holding the small wheel (the database exists and has a row). */
async function storeOnTinyDisk(name: string): Promise<string> {
  const store = join(work.path, name);
  const reason = mountTiny(store);
  if (reason) throw new Error(reason);
  const added = await cli(store, ["store", "add", wheels.small.path]);
  expect(added.code, added.stderr).toBe(0);
  return store;
}

function expectDiskFullError(run: CliResult, path: string): void {
  expect(run.stderr).not.toMatch(/internal error|this is a bug| {4}at /);
  expect(run.stderr).not.toMatch(/not a readable tar archive|tampered/i);
  expect(run.code, run.stderr).toBe(7);
  expect(run.stderr).toMatch(/no space left|full/i);
  expect(run.stderr).toContain(path);
}

/** The store as it was: verify clean, only the small wheel stored, no temp debris, no orphan directory. */
async function expectUntouched(store: string): Promise<void> {
  expect(readdirSync(join(store, "tmp"))).toEqual([]);
  const verify = await cli(store, ["store", "verify", "--json"]);
  expect(verify.code, verify.stderr).toBe(0);
  const report = JSON.parse(verify.stdout) as { checked: number; problems: unknown[]; orphans: string[] };
  expect(report).toMatchObject({ checked: 1, problems: [], orphans: [] });
  const ls = JSON.parse((await cli(store, ["store", "ls", "--json"])).stdout) as { filename: string }[];
  expect(ls.map((e) => e.filename)).toEqual([wheels.small.filename]);
}

describe.skipIf(skipReason !== undefined)(`a store on a full disk${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  it("store add of a wheel bigger than the free space: STORE_IO naming the file, nothing left behind", async () => {
    const store = await storeOnTinyDisk("add");
    const run = await cli(store, ["store", "add", wheels.big.path]);
    expectDiskFullError(run, wheels.big.filename);
    await expectUntouched(store);
  });

  it("store import of a good closure archive bigger than the free space: STORE_IO, the archive is not blamed", async () => {
    const source = join(work.path, "export-source");
    expect((await cli(source, ["store", "add", wheels.big.path])).code).toBe(0);
    const archive = join(work.path, "closure.tar");
    const exported = await cli(source, ["store", "export", "bigpkg", "-o", archive]);
    expect(exported.code, exported.stderr).toBe(0);
    const store = await storeOnTinyDisk("import");
    const run = await cli(store, ["store", "import", archive]);
    expectDiskFullError(run, store);
    await expectUntouched(store);
    // The archive was fine all along: a store with room imports it.
    const roomy = await cli(join(work.path, "import-roomy"), ["store", "import", archive]);
    expect(roomy.code, roomy.stderr).toBe(0);
  });

  it("fetch from a local index of a wheel bigger than the free space: STORE_IO, nothing left behind", async () => {
    server = await startIndexServer({ wheels: [wheels.small, wheels.big] });
    const lock = join(work.path, "pylock.toml");
    const locked = await runCli(["lock", "bigpkg", "-o", lock, "--project", work.path, "--platform", "host", "--index-url", server.url], {
      cwd: work.path,
      env: { PYSTORE_STORE: join(work.path, "lock-store") },
      timeoutMs: 120_000,
    });
    expect(locked.code, locked.stderr).toBe(0);
    const store = await storeOnTinyDisk("fetch");
    const run = await cli(store, ["fetch", "-l", lock, "--index-url", server.url]);
    expectDiskFullError(run, store);
    await expectUntouched(store);
    expect(existsSync(join(store, "store.db"))).toBe(true);
  });
});
