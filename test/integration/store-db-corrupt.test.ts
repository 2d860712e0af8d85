// A damaged store.db through the real CLI: not a database, truncated, or a pystore version row with the
// wrong tables. Each is refused at open (STORE_INDEX_DAMAGED, exit 7) naming the file with the recovery
// command; `store reindex` moves the bad file aside (never deletes it) and rebuilds the index.

import { existsSync, readdirSync } from "node:fs";
import { cp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { dbPath } from "../../src/store/layout.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS } from "../store/helpers.js";

let work: TempDir;
let wheels: BuiltWheel[];
let pristine: string;

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 60_000 });

async function copyOfPristine(name: string): Promise<string> {
  const store = join(work.path, name);
  await rm(store, { recursive: true, force: true });
  await cp(pristine, store, { recursive: true });
  return store;
}

beforeAll(async () => {
  work = await tempDir("db-corrupt");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  pristine = join(work.path, "pristine");
  expect((await cli(pristine, "store", "add", ...wheels.map((w) => w.path))).code).toBe(0);
  // Closed cleanly: no -wal file, so the database file alone is the whole index.
  expect(existsSync(`${dbPath(pristine)}-wal`)).toBe(false);
});
afterAll(async () => work?.cleanup());

const damages: { name: string; reason: RegExp; damage: (path: string) => Promise<void> }[] = [
  {
    name: "not a database",
    reason: /not an SQLite database/,
    damage: (path) => writeFile(path, "this is not a database, it is a text file that happens to be long enough\n".repeat(200)),
  },
  {
    name: "truncated",
    reason: /truncated/,
    damage: async (path) => truncate(path, 3 * 4096),
  },
  {
    name: "wrong schema",
    reason: /schema: .*dependencies/,
    damage: async (path) => {
      const db = new Database(path);
      db.exec("DROP TABLE dependencies");
      db.close();
    },
  },
];

describe("a damaged store.db", () => {
  for (const { name, reason, damage } of damages) {
    it(`${name}: refused at open with the file and the recovery command; reindex moves it aside and rebuilds`, async () => {
      const store = await copyOfPristine(`damaged-${name.replace(/ /g, "-")}`);
      await damage(dbPath(store));
      const damaged = await readFile(dbPath(store));
      const ls = await cli(store, "store", "ls");
      expect(ls.code, ls.stderr).toBe(7);
      expect(ls.stderr).toContain(dbPath(store));
      expect(ls.stderr).toMatch(reason);
      expect(ls.stderr).toMatch(/hint: .*pystore store reindex/);
      expect(ls.stderr).not.toMatch(/internal error/);
      const json = await cli(store, "store", "ls", "--json");
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: "STORE_INDEX_DAMAGED", details: { path: dbPath(store) } });
      // Refusing did not touch it.
      expect(await readFile(dbPath(store))).toEqual(damaged);

      const reindex = await cli(store, "store", "reindex", "--json");
      expect(reindex.code, reindex.stderr).toBe(0);
      const report = JSON.parse(reindex.stdout);
      expect(report).toMatchObject({ added: wheels.length, rebuilt: true, rootsLost: true });
      expect(report.databaseMovedTo).toMatch(/\/store\.db\.corrupt-\d{8}T\d{6}Z$/);
      expect(await readFile(report.databaseMovedTo)).toEqual(damaged);
      expect(readdirSync(store).filter((f) => f.startsWith("store.db.corrupt-"))).toHaveLength(1);
      const listed = JSON.parse((await cli(store, "store", "ls", "--json")).stdout) as { sha256: string }[];
      expect(listed.map((e) => e.sha256).sort()).toEqual(wheels.map((w) => w.sha256).sort());
      expect((await cli(store, "store", "verify")).code).toBe(0);
    });
  }

  it("the human reindex output names where the damaged file went", async () => {
    const store = await copyOfPristine("damaged-text");
    await writeFile(dbPath(store), Buffer.alloc(8192, 0x41));
    const r = await cli(store, "store", "reindex");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/moved the damaged database aside to .*store\.db\.corrupt-/);
    expect((await stat(dbPath(store))).size).toBeGreaterThan(0);
  });

  it("a database of a newer format is never reindexed over: STORE_FORMAT, untouched", async () => {
    const store = await copyOfPristine("newer-format");
    const db = new Database(dbPath(store));
    db.prepare("UPDATE meta SET value = '999' WHERE key = 'format_version'").run();
    db.close();
    const before = await readFile(dbPath(store));
    const r = await cli(store, "store", "reindex");
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/format version 999/);
    expect(await readFile(dbPath(store))).toEqual(before);
    expect(readdirSync(store).filter((f) => f.startsWith("store.db.corrupt-"))).toEqual([]);
  });
});
