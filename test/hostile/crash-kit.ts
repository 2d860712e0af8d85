// Shared by the crash-*.test.ts files: fixture wheels served by a loopback index and locked, and a loop
// that kills a command with SIGKILL after a seeded random delay, checks the store, runs the command
// again and compares its result with an uninterrupted run's.

import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { prng } from "../../fixtures/prng.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { type CliResult, PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { buildWheels } from "../store/helpers.js";

export const SLOW = process.env.PYSTORE_SLOW_TESTS === "1";
/** Kills per command: a few in `npm test`, at least fifty in the slow tier. */
export const ITERATIONS = SLOW ? 50 : 3;
export const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

/** PYSTORE_CRASH_SEED reproduces a run; otherwise a new seed each run, printed so a failure can be replayed. */
export function crashSeed(label: string): number {
  const given = process.env.PYSTORE_CRASH_SEED;
  const seed = given !== undefined && given !== "" ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0;
  console.log(`${label}: kill delays from seed ${seed} (replay with PYSTORE_CRASH_SEED=${seed})`);
  return seed;
}

export interface Fixture {
  wheels: BuiltWheel[];
  server: IndexServer;
  /** A lock naming every wheel by its URL on `server`. */
  lock: string;
}

/** Six wheels with some bulk (writes span many chunks, so kills land mid-write), served and locked. */
export async function crashFixture(dir: string, names = 6): Promise<Fixture> {
  const random = prng(42);
  const wheels = await buildWheels(
    Array.from({ length: names }, (_, i) => {
      const files: Record<string, string | Buffer> = { [`crashpkg${i}/__init__.py`]: `X = ${i}\n` };
      for (let f = 0; f < 12; f++) files[`crashpkg${i}/mod${f}.py`] = `Y = ${f}\n`.repeat(40);
      files[`crashpkg${i}/data.bin`] = Buffer.from(Array.from({ length: 150_000 + i }, () => Math.floor(random() * 256)));
      return { name: `crashpkg${i}`, version: `1.${i}`, files, entryPoints: { console_scripts: { [`crash${i}`]: `crashpkg${i}:X` } } };
    }),
    join(dir, "wheels"),
  );
  const server = await startIndexServer({ wheels });
  const lock = join(dir, "pylock.toml");
  const locked = await runCli(
    ["lock", ...wheels.map((_, i) => `crashpkg${i}`), "-o", lock, "--project", dir, ...TARGET, "--index-url", server.url],
    { cwd: dir, env: { PYSTORE_STORE: join(dir, "lock-store") }, timeoutMs: 120_000 },
  );
  expect(locked.code, locked.stderr).toBe(0);
  return { wheels, server, lock };
}

export const cli = (cwd: string, store: string, args: string[]) =>
  runCli(args, { cwd, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "0" }, timeoutMs: 180_000 });

export const tmpNames = (store: string) => (existsSync(join(store, "tmp")) ? readdirSync(join(store, "tmp")) : []);

/** `store verify` is clean: exit 0, no problem, no orphan. Returns how many wheels it checked. */
export async function expectVerifyClean(cwd: string, store: string, context: string): Promise<number> {
  const verify = await cli(cwd, store, ["store", "verify", "--json"]);
  expect(verify.stderr, context).not.toMatch(/internal error|this is a bug/);
  expect(verify.code, `${context}: ${verify.stdout}${verify.stderr}`).toBe(0);
  const report = JSON.parse(verify.stdout) as { checked: number; problems: unknown[]; orphans: string[] };
  expect(report.problems, context).toEqual([]);
  return report.checked;
}

export interface CrashCase {
  /** Shown in messages. */
  name: string;
  cwd: string;
  store: string;
  args: string[];
  /** Bring the state an iteration starts from (a fresh store, a store to collect, …). */
  prepare(): Promise<void>;
  /** What a finished run produced, compared between the uninterrupted run and every rerun. */
  result(run: CliResult): Promise<string>;
  /** After a kill: what must hold of the output before any rerun (e.g. OUT is whole when present). */
  afterKill?(context: string): Promise<void>;
  /** After the rerun: no debris beside the output, etc. */
  settled?(context: string): Promise<void>;
}

/** Run `args` and SIGKILL it after `delayMs`; true when it was still running then (the kill landed). */
function killAfter(c: CrashCase, delayMs: number): Promise<boolean> {
  const child = spawn(process.execPath, [PYSTORE_BIN, ...c.args], {
    cwd: c.cwd,
    env: { ...process.env, NO_COLOR: "1", PYSTORE_STORE: c.store, SOURCE_DATE_EPOCH: "0" },
    stdio: "ignore",
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === "SIGKILL");
    });
  });
}

/**
 * `iterations` times: prepare, kill the command after a random share of an uninterrupted run's duration,
 * check the store, run it again, and expect the uninterrupted run's result. Every other iteration skips
 * the check before the rerun, so the rerun itself must clean up what the kill left.
 */
export async function crashLoop(c: CrashCase, iterations: number, seed: number): Promise<void> {
  const random = prng(seed);
  await c.prepare();
  const started = Date.now();
  const reference = await cli(c.cwd, c.store, c.args);
  const span = Date.now() - started;
  expect(reference.code, `${c.name}: ${reference.stderr}`).toBe(0);
  const expected = await c.result(reference);
  let landed = 0;
  for (let i = 0; i < iterations; i++) {
    await c.prepare();
    // Up to the whole run: start-up, reading, downloads, writes and the final renames all get hit.
    const delay = Math.floor(random() * span);
    const context = `${c.name}, seed ${seed}, iteration ${i}, killed after ${delay} ms of ~${span} ms`;
    if (await killAfter(c, delay)) landed++;
    await c.afterKill?.(context);
    if (i % 2 === 0) {
      await expectVerifyClean(c.cwd, c.store, `${context} (before the rerun)`);
    }
    const rerun = await cli(c.cwd, c.store, c.args);
    expect(rerun.stderr, context).not.toMatch(/internal error|this is a bug/);
    expect(rerun.code, `${context}: ${rerun.stderr}`).toBe(0);
    expect(await c.result(rerun), context).toBe(expected);
    expect(tmpNames(c.store), context).toEqual([]);
    await c.settled?.(context);
    await expectVerifyClean(c.cwd, c.store, `${context} (after the rerun)`);
  }
  // The kills did land while the command was running, not only after it had finished.
  expect(landed, `${c.name}, seed ${seed}`).toBeGreaterThan(0);
}
