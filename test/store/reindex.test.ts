// reindexEntries and reindexStore at the library level: rows made to match wheels/ (missing files,
// damaged files, row-less wheels, misnamed and foreign directories), and what a rebuild records.

import { existsSync, readdirSync } from "node:fs";
import { chmod, cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { readMeta, ROOTS_LOST_AT } from "../../src/store/db.js";
import { dbPath, entryDir } from "../../src/store/layout.js";
import { QUARANTINE_DIR, reindexEntries, reindexStore, stamp } from "../../src/store/reindex.js";
import { openStore, type StoreEntry } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let pristine: string;
let entries: StoreEntry[];

beforeAll(async () => {
  work = await tempDir("reindex");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  pristine = join(work.path, "pristine");
  const store = await openStore({ dir: pristine });
  try {
    entries = [];
    for (const w of wheels) entries.push(await store.addWheelFile(w.path, { originUrl: `https://example.org/${w.filename}` }));
  } finally {
    store.close();
  }
});
afterAll(() => work.cleanup());

async function copy(name: string): Promise<string> {
  const dir = join(work.path, name);
  await rm(dir, { recursive: true, force: true });
  await cp(pristine, dir, { recursive: true });
  return dir;
}

const byName = (name: string) => entries.find((e) => e.name === name)!;
const inStore = (dir: string, e: StoreEntry) => join(entryDir(dir, e.entryName), e.filename);

describe("reindexEntries on an intact database", () => {
  it("removes rows of missing files, keeps damaged rows for repair, adopts row-less wheels", async () => {
    const dir = await copy("resync");
    const [alpha, beta2, gamma] = [byName("alpha"), entries.find((e) => e.version === "2.1")!, byName("gamma")];
    await rm(entryDir(dir, alpha.entryName), { recursive: true });
    await chmod(inStore(dir, beta2), 0o644);
    await writeFile(inStore(dir, beta2), "not the wheel");
    const db = new Database(dbPath(dir));
    db.prepare("DELETE FROM entries WHERE sha256 = ?").run(gamma.sha256);
    db.close();
    const store = await openStore({ dir });
    try {
      const r = await reindexEntries(store);
      expect(r.rowsRemoved.map((e) => e.sha256)).toEqual([alpha.sha256]);
      expect(r.damaged.map((d) => d.entry.sha256)).toEqual([beta2.sha256]);
      expect(r.damaged[0].found).toMatchObject({ size: "not the wheel".length });
      expect(r.added.map((e) => e.sha256)).toEqual([gamma.sha256]);
      expect(r.alreadyIndexed).toBe(entries.length - 3);
      expect(r.quarantined).toEqual([]);
      expect(r.scanned).toBe(entries.length - 1);
      // The adopted row carries what the wheel says; the origin was only in the lost row.
      const adopted = store.get(gamma.sha256)!;
      const { originUrl: _origin, path: _path, addedAt: _added, ...facts } = gamma;
      expect(adopted).toEqual({ ...facts, path: inStore(dir, gamma), addedAt: adopted.addedAt });
      expect(adopted.addedAt).toBeGreaterThan(gamma.addedAt - 1);
      // The damaged row stays (verify --repair re-fetches it from its origin); the missing one is gone.
      expect(store.get(beta2.sha256)?.originUrl).toBe(`https://example.org/${beta2.filename}`);
      expect(store.get(alpha.sha256)).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it("quarantines directories whose wheel does not match their name, and foreign ones; ignores empty ones", async () => {
    const dir = await copy("quarantine");
    const [beta1, zope] = [entries.find((e) => e.version === "1.0" && e.name === "beta")!, byName("zope-interface")];
    const db = new Database(dbPath(dir));
    db.prepare("DELETE FROM entries").run();
    db.close();
    // A real wheel under another wheel's name: its bytes are fine, its directory's digest is not.
    await chmod(inStore(dir, beta1), 0o644);
    await writeFile(inStore(dir, beta1), await readFile(wheels[0].path));
    // A directory that is no entry name at all, holding a wheel; and an empty entry directory.
    await mkdir(join(dir, "wheels", "not-an-entry"));
    await writeFile(join(dir, "wheels", "not-an-entry", "x-1.0-py3-none-any.whl"), "x");
    const empty = "0000000000000000000000000000000a-ghost-1.0-py3-none-any";
    await mkdir(join(dir, "wheels", empty));
    const now = Date.UTC(2026, 10, 24, 10, 15, 0);
    const store = await openStore({ dir });
    try {
      const r = await reindexEntries(store, { now });
      expect(r.quarantined.map((q) => q.entryName).sort()).toEqual([beta1.entryName, "not-an-entry"].sort());
      const moved = r.quarantined.find((q) => q.entryName === beta1.entryName)!;
      expect(moved.path).toBe(join(dir, QUARANTINE_DIR, `${beta1.entryName}.20261124T101500Z`));
      expect(moved.reason).toMatch(/does not match the digest/);
      expect(r.quarantined.find((q) => q.entryName === "not-an-entry")!.reason).toBe("not an entry name");
      expect(await readFile(join(moved.path, beta1.filename))).toEqual(await readFile(wheels[0].path));
      expect(existsSync(entryDir(dir, beta1.entryName))).toBe(false);
      expect(existsSync(entryDir(dir, empty))).toBe(true);
      expect(r.added.map((e) => e.sha256).sort()).toEqual(
        entries
          .filter((e) => e !== beta1)
          .map((e) => e.sha256)
          .sort(),
      );
      expect(store.get(zope.sha256)?.entryName).toBe(zope.entryName);
    } finally {
      store.close();
    }
  });

  it("a wheel renamed into another project's directory (digest right, name wrong) is quarantined", async () => {
    const dir = await copy("renamed");
    const alpha = byName("alpha");
    const db = new Database(dbPath(dir));
    db.prepare("DELETE FROM entries WHERE sha256 = ?").run(alpha.sha256);
    db.close();
    // Same digest, other name: the directory claims a different project than the wheel inside.
    const liar = alpha.entryName.replace("-alpha-", "-omega-");
    await rename(entryDir(dir, alpha.entryName), entryDir(dir, liar));
    const store = await openStore({ dir });
    try {
      const r = await reindexEntries(store);
      expect(r.quarantined.map((q) => [q.entryName, q.reason])).toEqual([[liar, `${alpha.filename} belongs in ${alpha.entryName}`]]);
      expect(r.added).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe("reindexStore", () => {
  it("rebuilds a missing database, records that the roots were lost, and clears gc_pending of what it adopts", async () => {
    const dir = await copy("rebuild");
    await rm(dbPath(dir));
    const now = Date.now();
    const r = await reindexStore(dir, silentLogger, now);
    expect(r).toMatchObject({ rebuilt: true, rootsLost: true, alreadyIndexed: 0 });
    expect(r.databaseMovedTo).toBeUndefined();
    expect(r.added).toHaveLength(entries.length);
    const store = await openStore({ dir });
    try {
      expect(readMeta(store.db, ROOTS_LOST_AT)).toBe(String(now));
      expect(store.list().every((e) => e.addedAt >= now)).toBe(true);
    } finally {
      store.close();
    }
    // Nothing to re-add: not a rebuild, and the loss recorded earlier stays until gc accepts it.
    const again = await reindexStore(dir, silentLogger);
    expect(again).toMatchObject({ rebuilt: false, rootsLost: false, alreadyIndexed: entries.length });
  });

  it("a store with no wheels and no database: a new database, nothing lost", async () => {
    const dir = join(work.path, "empty-rebuild");
    const r = await reindexStore(dir, silentLogger);
    expect(r).toMatchObject({ rebuilt: true, rootsLost: false, scanned: 0 });
  });

  it("moves a stray -wal of a deleted database aside instead of replaying it into the new one", async () => {
    const dir = await copy("stray-wal");
    await rm(dbPath(dir));
    await writeFile(`${dbPath(dir)}-wal`, Buffer.alloc(4096, 7));
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const r = await reindexStore(dir, silentLogger, now);
    expect(r.databaseMovedTo).toBe(`${dbPath(dir)}.corrupt-${stamp(now)}`);
    expect(readdirSync(dir).filter((f) => f.startsWith("store.db.corrupt-"))).toEqual([`store.db.corrupt-${stamp(now)}-wal`]);
    expect(r.added).toHaveLength(entries.length);
  });
});
