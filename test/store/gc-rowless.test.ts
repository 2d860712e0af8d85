// collectGarbage and directories without a row: it deletes only what it doomed itself (gc_pending, and
// unchanged since) or what holds no wheel; a wheel nobody doomed is kept however old; lost roots keep
// every unrooted entry until accepted.

import { existsSync } from "node:fs";
import { mkdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { readMeta, ROOTS_LOST_AT, writeMeta } from "../../src/store/db.js";
import { collectGarbage } from "../../src/store/gc.js";
import { entryDir } from "../../src/store/layout.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS, withStoreAt } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("gc-rowless");
  wheels = await buildWheels(SAMPLE_SPECS.slice(0, 3), join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

const HOUR = 3600 * 1000;

const withStore = (name: string, fn: (store: Store) => Promise<void>) => withStoreAt(join(work.path, name), fn);

const pending = (store: Store) => store.db.prepare("SELECT entry_name FROM gc_pending ORDER BY entry_name").pluck().all();

describe("directories without a row", () => {
  it("a wheel whose row is gone is kept by gc, however old, and reported as unindexed", async () => {
    await withStore("unindexed", async (store) => {
      const entry = await store.addWheelFile(wheels[0].path);
      store.entries.delete(entry.sha256);
      const old = new Date(Date.now() - 30 * 24 * HOUR);
      await utimes(entryDir(store.dir, entry.entryName), old, old);
      const result = collectGarbage(store, { graceMs: 0, now: Date.now() + 24 * HOUR });
      expect(result.orphans).toEqual([]);
      expect(result.unindexed).toEqual([entryDir(store.dir, entry.entryName)]);
      expect(existsSync(entry.path)).toBe(true);
    });
  });

  it("a writer's wheel linked but not yet committed (younger than the grace period) is kept and not reported", async () => {
    await withStore("in-flight", async (store) => {
      const entry = await store.addWheelFile(wheels[1].path);
      // The state a concurrent `store add` is in between its link and its commit: a fresh file, no row.
      store.entries.delete(entry.sha256);
      const result = collectGarbage(store);
      expect(result.orphans).toEqual([]);
      expect(result.unindexed).toEqual([]);
      expect(existsSync(entry.path)).toBe(true);
      // Once older than the grace period, no writer is still committing it: reported, and still kept.
      const later = collectGarbage(store, { now: Date.now() + 2 * HOUR });
      expect(later.unindexed).toEqual([entryDir(store.dir, entry.entryName)]);
      expect(existsSync(entry.path)).toBe(true);
    });
  });

  it("what gc doomed and was killed before moving is removed by the next gc, whatever the grace", async () => {
    await withStore("doomed", async (store) => {
      const [a, b] = [await store.addWheelFile(wheels[0].path), await store.addWheelFile(wheels[1].path)];
      // Step 1 of a gc that is then killed: rows gone, names in gc_pending, directories still here.
      const doomedAt = Date.now() + 1000;
      for (const e of [a, b]) {
        store.entries.delete(e.sha256);
        store.db.prepare("INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?)").run(e.entryName, doomedAt);
      }
      const dry = collectGarbage(store, { dryRun: true });
      expect(dry.orphans).toEqual([a, b].map((e) => entryDir(store.dir, e.entryName)).sort());
      expect(pending(store)).toHaveLength(2);
      const done = collectGarbage(store);
      expect(done.orphans).toEqual(dry.orphans);
      expect(existsSync(entryDir(store.dir, a.entryName))).toBe(false);
      expect(pending(store)).toEqual([]);
    });
  });

  it("a doomed directory changed after gc doomed it (made again since) is not gc's to take", async () => {
    await withStore("changed", async (store) => {
      const e = await store.addWheelFile(wheels[2].path);
      store.entries.delete(e.sha256);
      store.db.prepare("INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?)").run(e.entryName, Date.now() - HOUR);
      const result = collectGarbage(store, { graceMs: 0 });
      expect(result.orphans).toEqual([]);
      expect(result.unindexed).toEqual([entryDir(store.dir, e.entryName)]);
    });
  });

  it("re-adding a doomed wheel takes it out of gc_pending; a directory with no wheel goes once old", async () => {
    await withStore("readd", async (store) => {
      const e = await store.addWheelFile(wheels[0].path);
      store.entries.delete(e.sha256);
      store.db.prepare("INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?)").run(e.entryName, Date.now() + 1000);
      await store.addWheelFile(wheels[0].path);
      expect(pending(store)).toEqual([]);
      const empty = join(store.dir, "wheels", "0000000000000000000000000000000a-ghost-1.0-py3-none-any");
      await mkdir(empty);
      expect(collectGarbage(store, { dryRun: true }).orphans).toEqual([]);
      expect(collectGarbage(store, { graceMs: 0, now: Date.now() + 1000 }).orphans).toEqual([empty]);
      expect(existsSync(empty)).toBe(false);
    });
  });

  it("after a rebuild lost the roots, gc deletes no unrooted entry until --accept-lost-roots", async () => {
    await withStore("roots-lost", async (store) => {
      for (const w of wheels) await store.addWheelFile(w.path);
      const lostAt = Date.now();
      store.db.transaction(() => writeMeta(store.db, ROOTS_LOST_AT, String(lostAt))).immediate();
      const later = Date.now() + 2 * HOUR;
      const kept = collectGarbage(store, { now: later });
      expect(kept).toMatchObject({ removed: [], keptRootsLost: wheels.length, keptYoung: 0, rootsLostAt: lostAt });
      const dry = collectGarbage(store, { now: later, acceptLostRoots: true, dryRun: true });
      expect(dry.removed).toHaveLength(wheels.length);
      expect(readMeta(store.db, ROOTS_LOST_AT)).toBe(String(lostAt));
      const accepted = collectGarbage(store, { now: later, acceptLostRoots: true });
      expect(accepted.removed).toHaveLength(wheels.length);
      expect(accepted.rootsLostAt).toBeUndefined();
      expect(readMeta(store.db, ROOTS_LOST_AT)).toBeUndefined();
    });
  });
});
