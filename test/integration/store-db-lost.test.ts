// A store whose store.db was deleted, through the real CLI: every command refuses it at open with
// STORE_INDEX_DAMAGED and the recovery command (never an empty store), `store reindex` rebuilds the index
// from the wheel files, and gc keeps every wheel while the roots lost with the old database are missing.

import { existsSync, readdirSync } from "node:fs";
import { chmod, cp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { dbPath, wheelsDir } from "../../src/store/layout.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS } from "../store/helpers.js";

let work: TempDir;
let wheels: BuiltWheel[];
/** A store holding every sample wheel, with its `store ls --json` before anything was lost. */
let pristine: string;
let listedBefore: Record<string, unknown>[];

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 60_000 });

/**
 * The facts read out of the wheels themselves; origin and index are not in the wheel, so a rebuild cannot
 * know them, and the path differs only by the store's directory.
 */
const facts = (entries: Record<string, unknown>[]) => entries.map(({ originUrl: _o, index: _i, path: _p, ...rest }) => rest);

async function copyOfPristine(name: string): Promise<string> {
  const store = join(work.path, name);
  await rm(store, { recursive: true, force: true });
  await cp(pristine, store, { recursive: true });
  return store;
}

const wheelFiles = (store: string) =>
  readdirSync(wheelsDir(store))
    .flatMap((dir) => readdirSync(join(wheelsDir(store), dir)).filter((f) => f.endsWith(".whl")))
    .sort();

beforeAll(async () => {
  work = await tempDir("db-lost");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  pristine = join(work.path, "pristine");
  const added = await cli(pristine, "store", "add", ...wheels.map((w) => w.path));
  expect(added.code, added.stderr).toBe(0);
  const ls = await cli(pristine, "store", "ls", "--json");
  listedBefore = JSON.parse(ls.stdout);
  expect(listedBefore).toHaveLength(wheels.length);
});
afterAll(async () => work?.cleanup());

describe("store.db deleted", () => {
  it("every store command refuses the store at open, names store.db and says `pystore store reindex`", async () => {
    const store = await copyOfPristine("lost-refused");
    await rm(dbPath(store));
    for (const args of [
      ["store", "ls"],
      ["store", "verify"],
      ["store", "gc", "--grace", "0"],
      ["store", "info", "alpha"],
      ["store", "add", wheels[1].path],
    ]) {
      const r = await cli(store, ...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(7);
      expect(r.stderr).toContain(dbPath(store));
      expect(r.stderr).toMatch(/is missing/);
      expect(r.stderr).toMatch(/hint: .*pystore store reindex/);
      // Refused means refused: no empty database was created in its place.
      expect(existsSync(dbPath(store))).toBe(false);
    }
    const json = await cli(store, "store", "ls", "--json");
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: "STORE_INDEX_DAMAGED",
      details: { path: dbPath(store), reason: "missing" },
    });
    expect(wheelFiles(store)).toEqual(wheels.map((w) => w.filename).sort());
  });

  it("`store reindex` re-creates every row from the wheel files (tags, metadata, dependencies) and reports counts", async () => {
    const store = await copyOfPristine("lost-reindex");
    await rm(dbPath(store));
    const r = await cli(store, "store", "reindex", "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      added: wheels.length,
      alreadyIndexed: 0,
      damaged: [],
      databaseMovedTo: null,
      quarantined: [],
      rebuilt: true,
      rootsLost: true,
      rowsRemoved: [],
      scanned: wheels.length,
    });
    const ls = await cli(store, "store", "ls", "--json");
    expect(ls.code).toBe(0);
    expect(facts(JSON.parse(ls.stdout))).toEqual(facts(listedBefore));
    const verify = await cli(store, "store", "verify", "--json");
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ checked: wheels.length, problems: [], orphans: [] });
    // A second run finds everything indexed and changes nothing.
    const again = await cli(store, "store", "reindex", "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, alreadyIndexed: wheels.length, rebuilt: false, rootsLost: false });
  });

  it("the human report says what was lost with the database and how gc treats the wheels", async () => {
    const store = await copyOfPristine("lost-text");
    await rm(dbPath(store));
    const r = await cli(store, "store", "reindex");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `re-indexed ${wheels.length} wheels: ${wheels.length} added, 0 already indexed, 0 rows removed, 0 quarantined`,
    );
    expect(r.stderr).toMatch(/roots .* lost/);
    expect(r.stderr).toContain("--accept-lost-roots");
  });

  it("after a rebuild, gc keeps every wheel (even --grace 0) until the lost roots are accepted", async () => {
    const store = await copyOfPristine("lost-gc");
    await rm(dbPath(store));
    expect((await cli(store, "store", "reindex")).code).toBe(0);
    const gc = await cli(store, "store", "gc", "--grace", "0", "--json");
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ removed: [], keptRootsLost: wheels.length, kept: wheels.length });
    expect(JSON.parse(gc.stdout).rootsLostAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const text = await cli(store, "store", "gc", "--grace", "0");
    expect(text.stdout).toMatch(/removed 0 wheel/);
    expect(text.stderr).toContain("--accept-lost-roots");
    expect(wheelFiles(store)).toEqual(wheels.map((w) => w.filename).sort());
    const roots = await cli(store, "store", "roots");
    expect(roots.code).toBe(0);
    expect(roots.stderr).toContain("roots were lost when its database was rebuilt");
    // Accepting the loss makes gc an ordinary gc again: nothing roots these wheels, so they go.
    const accepted = await cli(store, "store", "gc", "--grace", "0", "--accept-lost-roots", "--json");
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout).removed).toHaveLength(wheels.length);
    expect(JSON.parse(accepted.stdout).rootsLostAt).toBeNull();
    expect((await cli(store, "store", "roots")).stderr).not.toContain("roots were lost");
  });

  it("a store with no wheels and no database is a new store: it just works", async () => {
    const store = join(work.path, "fresh");
    expect((await cli(store, "store", "ls")).code).toBe(0);
    await rm(dbPath(store));
    const ls = await cli(store, "store", "ls", "--json");
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
  });
});

describe("wheel files whose bytes do not match their names", () => {
  it("reindex moves them to quarantine/ (never deletes them), reports them and exits 6", async () => {
    const store = await copyOfPristine("lost-quarantine");
    await rm(dbPath(store));
    const victim = listedBefore.find((e) => e.name === "beta") as { path: string; entryName: string };
    const path = join(store, "wheels", victim.entryName, victim.path.split("/").pop()!);
    await chmod(path, 0o644);
    const bytes = await readFile(path);
    bytes[bytes.length - 30] ^= 0xff;
    await writeFile(path, bytes);
    const r = await cli(store, "store", "reindex", "--json");
    expect(r.code, r.stderr).toBe(6);
    const report = JSON.parse(r.stdout);
    expect(report.added).toBe(wheels.length - 1);
    expect(report.quarantined).toHaveLength(1);
    expect(report.quarantined[0].entryName).toBe(victim.entryName);
    expect(report.quarantined[0].path.startsWith(join(store, "quarantine", victim.entryName))).toBe(true);
    expect(report.error.code).toBe("STORE_CORRUPTED");
    // The bytes are kept, out of wheels/, exactly as found.
    const moved = join(report.quarantined[0].path, path.split("/").pop()!);
    expect(await readFile(moved)).toEqual(bytes);
    expect(existsSync(join(store, "wheels", victim.entryName))).toBe(false);
    expect((await cli(store, "store", "verify")).code).toBe(0);
  });
});

describe("a wheel file without a row in an intact database", () => {
  it("gc keeps it however old it is and says to reindex; verify lists it; reindex adopts it", async () => {
    const store = await copyOfPristine("unindexed");
    const victim = listedBefore.find((e) => e.name === "gamma") as { sha256: string; entryName: string };
    const db = new Database(dbPath(store));
    db.prepare("DELETE FROM entries WHERE sha256 = ?").run(victim.sha256);
    db.close();
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    await utimes(join(store, "wheels", victim.entryName), old, old);
    const gc = await cli(store, "store", "gc", "--grace", "0", "--json");
    expect(gc.code, gc.stderr).toBe(0);
    const report = JSON.parse(gc.stdout);
    expect(report.orphans).toEqual([]);
    expect(report.unindexed).toEqual([join(store, "wheels", victim.entryName)]);
    expect(existsSync(join(store, "wheels", victim.entryName))).toBe(true);
    const text = await cli(store, "store", "gc", "--grace", "0", "--dry-run");
    expect(text.stderr).toMatch(/1 stored wheel without a row.*pystore store reindex/);

    const verify = await cli(store, "store", "verify", "--json");
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ orphans: [victim.entryName], unindexed: [victim.entryName], mismatched: [] });
    const reindex = await cli(store, "store", "reindex", "--json");
    expect(reindex.code, reindex.stderr).toBe(0);
    // The database was intact: only the missing row comes back, and the roots were never lost.
    expect(JSON.parse(reindex.stdout)).toMatchObject({ added: 1, alreadyIndexed: 0, rebuilt: false, rootsLost: false });
    expect((await cli(store, "store", "info", victim.sha256)).code).toBe(0);
  });

  it("verify --repair indexes it as its reindex step", async () => {
    const store = await copyOfPristine("repair-reindex");
    const victim = listedBefore.find((e) => e.name === "alpha") as { sha256: string; entryName: string };
    const db = new Database(dbPath(store));
    db.prepare("DELETE FROM entries WHERE sha256 = ?").run(victim.sha256);
    db.close();
    const r = await cli(store, "store", "verify", "--repair", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).steps.reindex).toMatchObject({ added: 1 });
    expect(JSON.parse((await cli(store, "store", "ls", "--json")).stdout)).toHaveLength(wheels.length);
  });
});
