// `store gc` killed with -9 at each of its steps, and at random moments in a loop: the store stays
// consistent (every row has its intact file, `store verify` is clean), debris goes on the next open,
// and the next gc finishes the job.

import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

const cli = (store: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, ...env }, timeoutMs: 120_000 });

beforeAll(async () => {
  work = await tempDir("gc-crash");
  const specs = Array.from({ length: 8 }, (_, i) => ({
    name: `gcpkg${i}`,
    version: `1.${i}`,
    files: { [`gcpkg${i}/__init__.py`]: `X = ${i}\n`, [`gcpkg${i}/data.bin`]: Buffer.alloc(100_000 + i, i) },
  }));
  wheels = await buildWheels(specs, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

/** A store holding every wheel, all older than gc's grace period and rooted by nothing. */
async function agedStore(name: string): Promise<string> {
  const store = join(work.path, name);
  expect((await cli(store, ["store", "add", ...wheels.map((w) => w.path)])).code).toBe(0);
  const db = new Database(join(store, "store.db"));
  db.prepare("UPDATE entries SET added_at = added_at - 2 * 3600 * 1000").run();
  db.close();
  return store;
}

/** Every row's file is present and intact, and nothing is reported broken. */
async function expectConsistent(store: string): Promise<{ entries: number; orphans: string[] }> {
  const verify = await cli(store, ["store", "verify", "--json"]);
  expect(verify.stderr).not.toMatch(/error/i);
  expect(verify.code).toBe(0);
  const report = JSON.parse(verify.stdout) as { checked: number; problems: unknown[]; orphans: string[] };
  expect(report.problems).toEqual([]);
  return { entries: report.checked, orphans: report.orphans };
}

const tmpNames = (store: string) => (existsSync(join(store, "tmp")) ? readdirSync(join(store, "tmp")) : []);

describe("kill -9 during store gc", () => {
  for (const point of ["gc-after-commit", "gc-after-move", "gc-during-delete"] as const) {
    it(`at ${point}: the store is consistent, and re-adding and the next gc work`, async () => {
      const store = await agedStore(`step-${point}`);
      const crashed = await cli(store, ["store", "gc"], { PYSTORE_TEST_CRASH_AT: point });
      expect(crashed.code).toBe(128);
      const after = await expectConsistent(store);
      // Rows went first: whatever is still on disk is an orphan, never a row without its file.
      expect(after.entries).toBe(0);
      expect(tmpNames(store)).toEqual([]);
      // Re-adding a wheel whose directory survived as an orphan adopts or rewrites it.
      const readd = await cli(store, ["store", "add", wheels[0].path, wheels[7].path]);
      expect(readd.stderr).toBe("");
      expect(readd.code).toBe(0);
      expect((await expectConsistent(store)).entries).toBe(2);
      const gc = await cli(store, ["store", "gc", "--grace", "0", "--json"]);
      expect(gc.code).toBe(0);
      const final = await expectConsistent(store);
      expect(final).toEqual({ entries: 0, orphans: [] });
      expect(readdirSync(join(store, "wheels"))).toEqual([]);
    });
  }

  it("killed at random moments of its run, eight times over: never a row without its file", async () => {
    // Many entries, so that deleting them is a real share of gc's run time, not a blink after start-up.
    const many = await buildWheels(
      Array.from({ length: 150 }, (_, i) => ({ name: `many${i}`, version: "1.0" })),
      join(work.path, "many-wheels"),
    );
    const pristine = join(work.path, "random-pristine");
    expect((await cli(pristine, ["store", "add", ...many.map((w) => w.path)])).code).toBe(0);
    const db = new Database(join(pristine, "store.db"));
    db.prepare("UPDATE entries SET added_at = added_at - 2 * 3600 * 1000").run();
    db.close();
    const fresh = async (name: string) => {
      const store = join(work.path, name);
      await rm(store, { recursive: true, force: true });
      await cp(pristine, store, { recursive: true });
      return store;
    };
    // How long one whole gc takes here; the kills are spread over that span.
    const timed = await fresh("random-timed");
    const started = Date.now();
    expect((await cli(timed, ["store", "gc"])).code).toBe(0);
    const span = Date.now() - started;
    let interrupted = 0;
    for (let round = 0; round < 8; round++) {
      const store = await fresh("random-round");
      const child = spawn(process.execPath, [PYSTORE_BIN, "store", "gc"], {
        env: { ...process.env, PYSTORE_STORE: store },
        stdio: "ignore",
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // A fixed spread from a third of the span to its end, so every run kills at the same moments.
      await new Promise((resolve) => setTimeout(resolve, span * (0.35 + (0.65 * ((round * 3) % 8)) / 8)));
      child.kill("SIGKILL");
      if ((await exited) === null) interrupted++;
      await expectConsistent(store);
      // The copies' directories are new, so orphans need --grace 0 to count as old enough.
      const gc = await cli(store, ["store", "gc", "--grace", "0"]);
      expect(gc.code).toBe(0);
      expect(await expectConsistent(store)).toEqual({ entries: 0, orphans: [] });
    }
    // The kills did land while gc was running, not only after it had finished.
    expect(interrupted).toBeGreaterThan(0);
  });

  it("a dry run reports exactly what the real run then frees: entries, orphans and their bytes", async () => {
    const store = await agedStore("dry-run");
    // Leave orphans behind (rows gone, directories intact), then put two entries back.
    expect((await cli(store, ["store", "gc"], { PYSTORE_TEST_CRASH_AT: "gc-after-commit" })).code).toBe(128);
    expect((await cli(store, ["store", "add", wheels[0].path, wheels[1].path])).code).toBe(0);
    const pick = (stdout: string) => {
      const r = JSON.parse(stdout) as { freedBytes: number; orphans: string[]; removed: { sha256: string }[] };
      return { freedBytes: r.freedBytes, orphans: r.orphans, removed: r.removed.map((e) => e.sha256) };
    };
    const dry = await cli(store, ["store", "gc", "--grace", "0", "--dry-run", "--json"]);
    const real = await cli(store, ["store", "gc", "--grace", "0", "--json"]);
    expect(dry.code).toBe(0);
    expect(real.code).toBe(0);
    expect(pick(dry.stdout).orphans).toHaveLength(wheels.length - 2);
    expect(pick(dry.stdout).freedBytes).toBeGreaterThan(wheels.slice(2).reduce((sum, w) => sum + w.size, 0));
    expect(pick(dry.stdout)).toEqual(pick(real.stdout));
  });
});
