// `pystore store verify` names each orphan entry directory (one without a row, e.g. a crash's leftover)
// in its human output, as --json already lists them.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { wheelsDir } from "../../src/store/layout.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

let work: TempDir;
let store: string;
const ORPHANS = ["0000000000000000000000000000000a-ghost-1.0-py3-none-any", "0000000000000000000000000000000b-wraith-2.0-py3-none-any"];

const cli = (...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 30_000 });

beforeAll(async () => {
  work = await tempDir("verify-orphans");
  store = join(work.path, "store");
  const wheel = await buildWheel({ name: "alpha", version: "1.0" }, join(work.path, "wheels"));
  expect((await cli("store", "add", wheel.path)).code).toBe(0);
  for (const name of ORPHANS) await mkdir(join(wheelsDir(store), name));
});
afterAll(async () => work?.cleanup());

it("names every orphan directory in the human output (and still exits 0: nothing recorded is damaged)", async () => {
  const r = await cli("store", "verify");
  expect(r.code, r.stderr).toBe(0);
  for (const name of ORPHANS) expect(r.stdout).toContain(`orphan ${name}\n`);
  expect(r.stdout).toMatch(/all intact/);
  expect(r.stderr).toContain("2 entry directories without a row");
});

it("lists the same names in --json", async () => {
  const r = await cli("store", "verify", "--json");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).orphans).toEqual(ORPHANS);
});
