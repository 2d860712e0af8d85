// Store.claimAll: a bundle's entries read and touched in one IMMEDIATE transaction, with claim()'s
// guarantee for each against a concurrent gc (src/store/gc.ts, step 1).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { collectGarbage } from "../../src/store/gc.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS, withStoreAt } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("claim-all");
  wheels = await buildWheels(SAMPLE_SPECS.slice(0, 3), join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

const HOUR = 3600 * 1000;
const MISSING = "0".repeat(64);

const withStore = (name: string, fn: (store: Store) => Promise<void>) => withStoreAt(join(work.path, name), fn);

/** Make every entry look committed two hours ago: unrooted and past an hour's grace, gc's to take. */
const ageAll = (store: Store) => store.db.prepare("UPDATE entries SET added_at = ?").run(Date.now() - 2 * HOUR);

describe("Store.claimAll", () => {
  it("returns each entry in request order, undefined for one not stored, in one transaction", async () => {
    await withStore("order", async (store) => {
      const [a, b] = [await store.addWheelFile(wheels[0].path), await store.addWheelFile(wheels[1].path)];
      const transactions = vi.spyOn(store.db, "transaction");
      const claimed = store.claimAll([b.sha256, MISSING, a.sha256]);
      expect(claimed.map((e) => e?.filename)).toEqual([wheels[1].filename, undefined, wheels[0].filename]);
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(store.claimAll([])).toEqual([]);
    });
  });

  it("touches each claimed entry, so gc's grace period keeps it while an unclaimed one of the same age goes", async () => {
    await withStore("grace", async (store) => {
      const entries = [];
      for (const w of wheels) entries.push(await store.addWheelFile(w.path));
      ageAll(store);
      const before = Date.now();
      const claimed = store.claimAll([entries[0].sha256, entries[2].sha256]);
      for (const entry of claimed) expect(entry!.addedAt).toBeGreaterThanOrEqual(before);
      const result = collectGarbage(store, { graceMs: HOUR });
      expect(result.removed.map((e) => e.sha256)).toEqual([entries[1].sha256]);
      expect(existsSync(entries[0].path)).toBe(true);
      expect(existsSync(entries[2].path)).toBe(true);
      expect(store.get(entries[1].sha256)).toBeUndefined();
    });
  });

  it("reports an entry gc deleted before the claim as missing, and claims the rest", async () => {
    await withStore("after-gc", async (store) => {
      const gone = await store.addWheelFile(wheels[0].path);
      ageAll(store);
      expect(collectGarbage(store, { graceMs: HOUR }).removed.map((e) => e.sha256)).toEqual([gone.sha256]);
      const kept = await store.addWheelFile(wheels[1].path);
      const claimed = store.claimAll([gone.sha256, kept.sha256]);
      expect(claimed[0]).toBeUndefined();
      expect(claimed[1]?.sha256).toBe(kept.sha256);
    });
  });

  it("claim() is claimAll of one", async () => {
    await withStore("single", async (store) => {
      const entry = await store.addWheelFile(wheels[0].path);
      ageAll(store);
      const before = Date.now();
      expect(store.claim(entry.sha256)?.addedAt).toBeGreaterThanOrEqual(before);
      expect(store.claim(MISSING)).toBeUndefined();
    });
  });
});
