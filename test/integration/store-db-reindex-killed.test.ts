// `store reindex` killed with -9 at moments spread over its run, on a store whose database was deleted:
// whatever it left, no wheel is lost, gc deletes nothing (the roots are marked lost before the first row
// is adopted), and running reindex again finishes the job.

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { dbPath, wheelsDir } from "../../src/store/layout.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: TempDir;
let wheels: BuiltWheel[];
let pristine: string;

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 60_000 });

beforeAll(async () => {
  work = await tempDir("reindex-killed");
  wheels = await buildWheels(
    Array.from({ length: 40 }, (_, i) => ({ name: `rk${i}`, version: "1.0", files: { [`rk${i}/data.bin`]: Buffer.alloc(50_000, i) } })),
    join(work.path, "wheels"),
  );
  pristine = join(work.path, "pristine");
  expect((await cli(pristine, "store", "add", ...wheels.map((w) => w.path))).code).toBe(0);
  await rm(dbPath(pristine));
}, 60_000);
afterAll(async () => work?.cleanup());

async function fresh(name: string): Promise<string> {
  const store = join(work.path, name);
  await rm(store, { recursive: true, force: true });
  await cp(pristine, store, { recursive: true });
  return store;
}

const stored = (store: string) => readdirSync(wheelsDir(store)).length;

it("killed anywhere in its run: no wheel lost, gc deletes nothing, a second run completes", async () => {
  const timed = await fresh("timed");
  const started = Date.now();
  expect((await cli(timed, "store", "reindex")).code).toBe(0);
  const span = Date.now() - started;
  for (const share of [0.3, 0.55, 0.8]) {
    const store = await fresh("killed");
    const child = spawn(process.execPath, [PYSTORE_BIN, "store", "reindex"], {
      env: { ...process.env, PYSTORE_STORE: store },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, span * share));
    child.kill("SIGKILL");
    await exited;
    expect(stored(store)).toBe(wheels.length);
    // Whatever was committed, gc with no grace at all keeps every wheel: rows are protected by the
    // lost-roots mark, row-less wheels by being wheels.
    const gc = await cli(store, "store", "gc", "--grace", "0", "--json");
    if (gc.code === 0) expect(JSON.parse(gc.stdout).removed).toEqual([]);
    else expect(JSON.parse(gc.stdout).error.code).toBe("STORE_INDEX_DAMAGED");
    expect(stored(store)).toBe(wheels.length);
    const again = await cli(store, "store", "reindex", "--json");
    expect(again.code, again.stderr).toBe(0);
    const listed = JSON.parse((await cli(store, "store", "ls", "--json")).stdout) as unknown[];
    expect(listed).toHaveLength(wheels.length);
    const after = await cli(store, "store", "gc", "--grace", "0", "--json");
    expect(JSON.parse(after.stdout)).toMatchObject({ removed: [], keptRootsLost: wheels.length });
  }
}, 120_000);
