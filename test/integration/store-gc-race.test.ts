// Writers racing `store gc --grace 0` through the real CLI: `store add` and `fetch` from a fixture index
// while gc runs back to back. gc may take an entry directory at any moment between a writer's link and
// its commit; the writer must write its file again (store-format/store-layout.md, steps 6 and 8), so every
// writer exits 0 and the store stays consistent. The gc loops also race each other: what one gc doomed is an
// orphan to the next, which may be counting its bytes when the first moves it away (made deterministic in
// test/store/gc-race-window.test.ts). Bounded: a fixed number of rounds, each with a timeout.

import { randomBytes } from "node:crypto";
import { copyFile, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

/** A CLI result with the command that produced it, so a failure names the call and shows its stderr. */
interface Ran extends CliResult {
  args: string[];
}

// Writers and gc run with --verbose: a failing call's stderr then carries the debug lines leading up to its error.
const cli = async (store: string, args: string[], verbose = true): Promise<Ran> => ({
  args,
  ...(await runCli(verbose ? ["--verbose", ...args] : args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 120_000 })),
});

beforeAll(async () => {
  work = await tempDir("gc-race");
  const specs = Array.from({ length: 6 }, (_, i) => ({
    name: `racepkg${i}`,
    version: `1.${i}`,
    // Random bytes (incompressible), big enough that writing a file takes a real share of a writer's run.
    files: { [`racepkg${i}/__init__.py`]: `X = ${i}\n`, [`racepkg${i}/data.bin`]: randomBytes(2_000_000 + i) },
  }));
  wheels = await buildWheels(specs, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

/** gc processes running back to back: enough that one often lands between a writer's link and its commit. */
const GC_LOOPS = 4;

/** Run `gc --grace 0` in GC_LOOPS loops until `writers` settle; returns every writer's and gc's result. */
async function race(store: string, writers: () => Promise<Ran[]>): Promise<{ written: Ran[]; gcs: Ran[] }> {
  const gcs: Ran[] = [];
  let done = false;
  const collectors = Array.from({ length: GC_LOOPS }, async () => {
    while (!done) gcs.push(await cli(store, ["store", "gc", "--grace", "0"]));
  });
  try {
    return { written: await writers(), gcs };
  } finally {
    done = true;
    await Promise.all(collectors);
  }
}

/** Every call exited 0 without an internal error or ENOENT; a failure names the call and its whole stderr. */
function expectAllSucceeded(results: Ran[]): void {
  for (const r of results) {
    const call = `pystore ${r.args.join(" ")} exited ${r.code}; its stderr:\n${r.stderr}`;
    expect(/internal error|ENOENT/.test(r.stderr), call).toBe(false);
    expect(r.code, call).toBe(0);
  }
}

async function expectVerifyClean(store: string): Promise<void> {
  const verify = await cli(store, ["store", "verify", "--json"], false);
  const call = `pystore store verify exited ${verify.code}; its stdout:\n${verify.stdout}\nits stderr:\n${verify.stderr}`;
  expect(/error/i.test(verify.stderr), call).toBe(false);
  expect(verify.code, call).toBe(0);
  expect(JSON.parse(verify.stdout).problems, call).toEqual([]);
}

describe("store gc --grace 0 racing writers", () => {
  it("store add: five writers, twelve rounds each, while gc runs back to back", async () => {
    const store = join(work.path, "add-store");
    const { written, gcs } = await race(store, () =>
      Promise.all(
        Array.from({ length: 5 }, async (_, w) => {
          const out: Ran[] = [];
          for (let round = 0; round < 12; round++) {
            // Each writer adds the wheels in its own order, so writers also race each other.
            const order = wheels.map((_, i) => wheels[(i + w + round) % wheels.length].path);
            out.push(await cli(store, ["store", "add", ...order]));
          }
          return out;
        }),
      ).then((all) => all.flat()),
    );
    // gc ran again and again while the writers wrote. Since gc marks what it deletes (gc_pending), a
    // writer's entry between its link and its commit is never taken, so no "(no row)" removal is
    // expected of this race any more; what must hold is below: every writer and every gc succeeded,
    // and the store verifies.
    expect(gcs.length).toBeGreaterThan(2);
    expectAllSucceeded(written);
    expectAllSucceeded(gcs);
    await expectVerifyClean(store);
  }, 240_000);

  describe("fetch from a local index", () => {
    let server: IndexServer;
    let lock: string;
    beforeAll(async () => {
      server = await startIndexServer({ wheels });
      lock = join(work.path, "pylock.toml");
      const locked = await runCli(
        [
          "lock",
          ...wheels.map((_, i) => `racepkg${i}`),
          "-o",
          lock,
          "--project",
          work.path,
          "--platform",
          "host",
          "--index-url",
          server.url,
        ],
        { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "lock-store") }, timeoutMs: 120_000 },
      );
      expect(locked.stderr).not.toContain("internal error");
      expect(locked.code).toBe(0);
      expect(await readFile(lock, "utf8")).toContain("racepkg5");
    }, 120_000);
    afterAll(() => server?.close());

    it("two fetchers, six rounds each, each round from a lock that is then deleted (its root goes stale)", async () => {
      const store = join(work.path, "fetch-store");
      const { written, gcs } = await race(store, () =>
        Promise.all(
          Array.from({ length: 2 }, async (_, w) => {
            const out: Ran[] = [];
            for (let round = 0; round < 6; round++) {
              // A lock that disappears after the fetch leaves a stale root: gc may take everything again.
              const copy = join(work.path, `pylock.${w}.${round}.toml`);
              await copyFile(lock, copy);
              out.push(await cli(store, ["fetch", "-l", copy, "--index-url", server.url]));
              await rm(copy);
            }
            return out;
          }),
        ).then((all) => all.flat()),
      );
      expect(gcs.length).toBeGreaterThan(2);
      expectAllSucceeded(written);
      expectAllSucceeded(gcs);
      await expectVerifyClean(store);
    }, 240_000);
  });
});
