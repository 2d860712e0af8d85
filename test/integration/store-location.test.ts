// Store directories that cannot hold a store, through the real CLI: each fails fast with STORE_IO (exit 7),
// naming the path and with a hint, instead of spinning (Node 20's recursive mkdir loops under /proc).

import { existsSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { openStore } from "../../src/store/store.js";
import { runCli, type CliOptions } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: TempDir;
let wheel: BuiltWheel;

// Each run is bounded: a regression to the endless mkdir shows up as a kill (exit 128), not a hung suite.
const cli = (store: string, args: string[], opts: CliOptions = {}) =>
  runCli(args, { cwd: work.path, timeoutMs: 30_000, ...opts, env: { PYSTORE_STORE: store, ...opts.env } });

function expectStoreIo(run: { code: number; stdout: string; stderr: string }, path: string, problem: RegExp): void {
  expect(run.code).toBe(7);
  expect(run.stdout).toBe("");
  expect(run.stderr).toContain(`error: cannot use ${JSON.stringify(path)} as the store: `);
  expect(run.stderr).toMatch(problem);
  expect(run.stderr).toMatch(/^hint: point --store or \$PYSTORE_STORE at a writable directory/m);
}

beforeAll(async () => {
  work = await tempDir("store-location");
  [wheel] = await buildWheels([{ name: "located", version: "1.0" }], join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

describe("unusable store directories", () => {
  it("a path under /proc fails at once instead of spinning", async () => {
    for (const path of ["/proc/pystore-nope", "/proc/pystore-nope/deeper"]) {
      const run = await cli(path, ["store", "ls"]);
      expectStoreIo(run, path, /cannot create \/proc\/pystore-nope: ENOENT/);
    }
    expect(existsSync("/proc/pystore-nope")).toBe(false);
  });

  it("an export destination under /proc fails at once too", async () => {
    const store = join(work.path, "s-export");
    expect((await cli(store, ["store", "add", wheel.path])).code).toBe(0);
    const run = await cli(store, ["store", "export", "located", "-o", "/proc/pystore-nope/closure.tar"]);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain(
      "error: cannot write the closure archive /proc/pystore-nope/closure.tar: cannot create /proc/pystore-nope: ENOENT",
    );
    expect(run.stderr).toMatch(/^hint: choose an -o path in a writable directory$/m);
  });

  it("a store path that is a file, or lies under one", async () => {
    const file = join(work.path, "a-file");
    await writeFile(file, "not a directory\n");
    expectStoreIo(await cli(file, ["store", "ls"]), file, new RegExp(`${file} exists and is not a directory`));
    const under = join(file, "store");
    expectStoreIo(await cli(under, ["store", "add", wheel.path]), under, new RegExp(`${file} exists and is not a directory`));
  });

  it("a store directory whose files are not directories: the library refuses it too", async () => {
    const dir = join(work.path, "wheels-is-a-file");
    await mkdir(dir);
    await openStore({ dir }).then((s) => s.close());
    await rm(join(dir, "wheels"), { recursive: true });
    await writeFile(join(dir, "wheels"), "");
    await expect(openStore({ dir })).rejects.toMatchObject({
      code: "STORE_IO",
      message: expect.stringContaining(`${join(dir, "wheels")} exists and is not a directory`),
    });
  });

  // Root may write anywhere, so as root the CLI runs as `nobody` through setpriv (util-linux) for this test.
  const root = process.getuid?.() === 0;
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
  const asUser: string[] | undefined = !root ? [] : setpriv ? [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] : undefined;
  it.skipIf(asUser === undefined)("an unwritable directory, existing or to be created", async () => {
    const parent = join(work.path, "locked");
    await mkdir(join(parent, "existing"), { recursive: true });
    await chmod(work.path, 0o755);
    await chmod(join(parent, "existing"), 0o555);
    await chmod(parent, 0o555);
    try {
      const opts: CliOptions = { wrapper: asUser, env: { HOME: parent } };
      const existing = join(parent, "existing");
      expectStoreIo(await cli(existing, ["store", "ls"], opts), existing, new RegExp(`${existing} is not writable: EACCES`));
      const missing = join(parent, "new");
      expectStoreIo(await cli(missing, ["store", "add", wheel.path], opts), missing, new RegExp(`cannot create ${missing}: EACCES`));
      expect(existsSync(missing)).toBe(false);
    } finally {
      await chmod(parent, 0o755);
      await chmod(join(parent, "existing"), 0o755);
    }
  });
});

describe("store help", () => {
  it("describes the store command instead of pointing back at its own help", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    // commander wraps descriptions to the terminal width: compare with whitespace collapsed.
    const flat = (text: string) => text.replace(/\s+/g, " ");
    expect(run.stdout).not.toContain("see `pystore store --help`");
    expect(flat(run.stdout)).toMatch(
      / store manage the local wheel store \(by sha256\): add, list, verify and repair, gc, export and import air-gap closures /,
    );
    const sub = await runCli(["store", "--help"]);
    expect(flat(sub.stdout)).toContain("manage the local wheel store (by sha256)");
  });
});
