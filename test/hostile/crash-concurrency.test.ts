// Many pystore processes on one store at once, through the real CLI: four fetches of overlapping locks
// while `store gc --grace 0` runs back to back, two bundles racing for the same OUT, and bundles while gc
// runs. Every process exits 0 (or, for the loser of a race for OUT, with a typed error), the store
// verifies clean with each wheel stored once, and nothing is left in tmp/ or beside OUT.

import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { cli, crashFixture, expectVerifyClean, type Fixture, TARGET, tmpNames } from "./crash-kit.js";

let work: { path: string; cleanup: () => Promise<void> };
let fx: Fixture;
/** Four locks over overlapping subsets of the six wheels. */
const SUBSETS = [
  [0, 1, 2, 3],
  [2, 3, 4, 5],
  [0, 2, 4],
  [1, 3, 5, 0],
];
let locks: string[];

beforeAll(async () => {
  work = await tempDir("crash-concurrency");
  fx = await crashFixture(work.path);
  locks = await Promise.all(
    SUBSETS.map(async (subset, i) => {
      const dir = join(work.path, `project-${i}`);
      await mkdir(dir);
      const lock = join(dir, "pylock.toml");
      const run = await cli(dir, join(work.path, "lock-store"), [
        "lock",
        ...subset.map((k) => `crashpkg${k}`),
        "-o",
        lock,
        "--project",
        dir,
        ...TARGET,
        "--index-url",
        fx.server.url,
      ]);
      expect(run.code, run.stderr).toBe(0);
      return lock;
    }),
  );
}, 180_000);

afterAll(async () => {
  await fx?.server.close();
  await work?.cleanup();
});

function expectSucceeded(runs: CliResult[], what: string): void {
  for (const run of runs) {
    expect(run.stderr, what).not.toMatch(/internal error|this is a bug|ENOENT/);
    expect(run.code, `${what}: ${run.stderr}`).toBe(0);
  }
}

/** `store gc` (default: with --grace 0) back to back until `work` settles; returns work's result and every gc's. */
async function whileCollecting<T>(
  store: string,
  work: () => Promise<T>,
  gcArgs = ["--grace", "0"],
  startWhen: () => boolean = () => true,
): Promise<{ result: T; gcs: CliResult[] }> {
  const gcs: CliResult[] = [];
  let done = false;
  const collector = (async () => {
    while (!done && !startWhen()) await new Promise((r) => setTimeout(r, 10));
    while (!done) gcs.push(await cli(workDir(), store, ["store", "gc", ...gcArgs]));
  })();
  try {
    return { result: await work(), gcs };
  } finally {
    done = true;
    await collector;
  }
}

const workDir = () => work.path;

async function storedShas(store: string): Promise<string[]> {
  const ls = await cli(work.path, store, ["store", "ls", "--json"]);
  return (JSON.parse(ls.stdout) as { sha256: string }[]).map((e) => e.sha256).sort();
}

describe("processes sharing one store", () => {
  it("four fetches of overlapping locks at once, while gc --grace 0 runs: all succeed, each wheel once", async () => {
    const store = join(work.path, "fetch-store");
    const { result: fetches, gcs } = await whileCollecting(store, () =>
      Promise.all(locks.map((lock) => cli(work.path, store, ["fetch", "-l", lock, "--index-url", fx.server.url]))),
    );
    expectSucceeded(fetches, "fetch");
    expectSucceeded(gcs, "gc");
    expect(gcs.length).toBeGreaterThan(0);
    // gc may have collected what a fetch stored before its root was recorded; a second round restores all.
    expectSucceeded(await Promise.all(locks.map((lock) => cli(work.path, store, ["fetch", "-l", lock]))), "fetch again");
    expect(await storedShas(store)).toEqual(fx.wheels.map((w) => w.sha256).sort());
    // Each wheel stored once: one entry directory per wheel.
    expect(readdirSync(join(store, "wheels"))).toHaveLength(fx.wheels.length);
    expect(tmpNames(store)).toEqual([]);
    expect(await expectVerifyClean(work.path, store, "after the race")).toBe(fx.wheels.length);
  }, 180_000);

  it.each([
    ["dir", "app"],
    ["tar.gz", "app.tar.gz"],
  ])(
    "two %s bundles racing for one OUT: OUT is whole, nothing left beside it",
    async (format, name) => {
      const store = join(work.path, `race-${format}-store`);
      const outDir = join(work.path, `race-${format}`);
      const out = join(outDir, name);
      const args = (lock: string) => ["bundle", "-l", lock, ...TARGET, "--index-url", fx.server.url, "--format", format, "-o", out];
      const runs = await Promise.all([cli(work.path, store, args(locks[0])), cli(work.path, store, args(locks[1]))]);
      for (const run of runs) {
        expect(run.stderr).not.toMatch(/internal error|this is a bug/);
        // The loser of the rename may be refused (OUT appeared meanwhile), always as a typed error.
        expect([0, 3, 9], run.stderr).toContain(run.code);
      }
      expect(runs.some((r) => r.code === 0)).toBe(true);
      expect(readdirSync(outDir)).toEqual([name]);
      const verify = await cli(work.path, store, ["bundle", "verify", out]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      await expectVerifyClean(work.path, store, `two ${format} bundles`);
    },
    120_000,
  );

  it("bundles from old unrooted entries while gc runs back to back: each bundle succeeds and verifies", async () => {
    const store = join(work.path, "bundle-gc-store");
    expect((await cli(work.path, store, ["store", "add", ...fx.wheels.map((w) => w.path)])).code).toBe(0);
    // Every entry older than gc's grace period and rooted by nothing: garbage unless a bundle claims it.
    const db = new Database(join(store, "store.db"));
    db.prepare("UPDATE entries SET added_at = added_at - 2 * 3600 * 1000").run();
    db.close();
    const outDir = join(work.path, "bundle-gc");
    await mkdir(outDir);
    const outs = locks.slice(0, 3).map((_, i) => join(outDir, `app${i}.tar.gz`));
    // gc starts once every bundle has gathered (claimed) its entries: its staging directory appears beside
    // OUT before any tree is unpacked or streamed, and becomes OUT when it is done. From then on only the
    // bundles' claims keep the entries; a bundle still gathering could find its wheels collected.
    const gathered = () =>
      readdirSync(outDir).filter((name) => name.startsWith(".tmp-")).length + outs.filter(existsSync).length >= outs.length;
    const { result: bundles, gcs } = await whileCollecting(
      store,
      () =>
        Promise.all(
          outs.map((out, i) => cli(work.path, store, ["bundle", "-l", locks[i], ...TARGET, "--offline", "--format", "tar.gz", "-o", out])),
        ),
      [],
      gathered,
    );
    expect(gcs.length, "gc never ran while a bundle was under way").toBeGreaterThan(0);
    expectSucceeded(bundles, "bundle");
    expectSucceeded(gcs, "gc");
    for (const out of outs) expect((await cli(work.path, store, ["bundle", "verify", out])).code).toBe(0);
    expect(tmpNames(store)).toEqual([]);
    await expectVerifyClean(work.path, store, "bundles during gc");
  }, 180_000);

  it("bundles while gc --grace 0 collects everything unrooted: success, or a typed error naming the store, never a crash", async () => {
    const store = join(work.path, "bundle-gc0-store");
    const outs = locks.slice(0, 3).map((_, i) => join(work.path, "bundle-gc0", `app${i}.tar.gz`));
    const { result: bundles, gcs } = await whileCollecting(store, () =>
      Promise.all(
        outs.map((out, i) =>
          cli(work.path, store, ["bundle", "-l", locks[i], ...TARGET, "--index-url", fx.server.url, "--format", "tar.gz", "-o", out]),
        ),
      ),
    );
    expectSucceeded(gcs, "gc");
    for (const [i, run] of bundles.entries()) {
      expect(run.stderr).not.toMatch(/internal error|this is a bug/);
      // gc --grace 0 may take an entry between any two steps of a bundle that uses it (the file, the tree,
      // a tree member): a typed store (7) or integrity (6) error naming the store, never a crash.
      expect([0, 6, 7], run.stderr).toContain(run.code);
      if (run.code !== 0) expect(run.stderr).toContain(store);
      if (run.code === 0) expect((await cli(work.path, store, ["bundle", "verify", outs[i]])).code).toBe(0);
      else expect(existsSync(outs[i])).toBe(false);
    }
    expect(tmpNames(store)).toEqual([]);
    await expectVerifyClean(work.path, store, "bundles during gc --grace 0");
  }, 180_000);
});
