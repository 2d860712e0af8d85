// gc reads the roots, and checks each one's file, before it takes the write lock (the checks read lock
// files and bundles). A `lock`, `fetch` or `bundle` in another process may register a root in that moment:
// what that root keeps must survive this gc, and a stale root it re-registered must not be dropped. The
// moment is made deterministic here: the other process (a second connection) acts right after gc's read.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { collectGarbage } from "../../src/store/gc.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS, withStoreAt } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("gc-roots-race");
  wheels = await buildWheels(SAMPLE_SPECS.slice(0, 2), join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

/** Run `other` (as another process would) right after gc has read the roots and checked them. */
function afterRootsRead(store: Store, other: () => void): void {
  const read = store.roots.listWithStatus.bind(store.roots);
  store.roots.listWithStatus = () => {
    const roots = read();
    other();
    return roots;
  };
}

it("keeps what a root registered after gc read the roots keeps", async () => {
  await withStoreAt(join(work.path, "store-new-root"), async (store) => {
    const [kept, unrooted] = [await store.addWheelFile(wheels[0].path), await store.addWheelFile(wheels[1].path)];
    const lock = join(work.path, "new-root.toml");
    writeFileSync(lock, `${kept.sha256}\n`);
    const other = await openStore({ dir: store.dir });
    try {
      afterRootsRead(store, () => other.roots.add("lock", lock, [kept.sha256], Date.now()));
      const result = collectGarbage(store, { graceMs: 0 });
      expect(result.removed.map((e) => e.sha256)).toEqual([unrooted.sha256]);
    } finally {
      other.close();
    }
    expect(store.get(kept.sha256)).toBeDefined();
    expect(store.roots.list().map((r) => r.path)).toEqual([lock]);
  });
});

it("does not drop a stale root that was registered again after gc read it, nor what it keeps", async () => {
  await withStoreAt(join(work.path, "store-re-registered"), async (store) => {
    const entry = await store.addWheelFile(wheels[0].path);
    // Registered, then its lock file deleted: stale when gc reads the roots.
    const lock = join(work.path, "re-registered.toml");
    store.roots.add("lock", lock, [entry.sha256], Date.now() - 60_000);
    const other = await openStore({ dir: store.dir });
    try {
      afterRootsRead(store, () => {
        // `pystore lock` writes the file again and registers its root (the same row, a new time).
        writeFileSync(lock, `${entry.sha256}\n`);
        other.roots.add("lock", lock, [entry.sha256], Date.now());
      });
      const result = collectGarbage(store, { graceMs: 0 });
      expect(result.removed).toEqual([]);
    } finally {
      other.close();
    }
    expect(store.get(entry.sha256)).toBeDefined();
    expect(store.roots.list().map((r) => [r.path, r.sha256s])).toEqual([[lock, [entry.sha256]]]);
  });
});

it("still drops a stale root nobody touched, and collects what only it kept", async () => {
  await withStoreAt(join(work.path, "store-stale"), async (store) => {
    const entry = await store.addWheelFile(wheels[0].path);
    store.roots.add("lock", join(work.path, "never-written.toml"), [entry.sha256], Date.now() - 60_000);
    const result = collectGarbage(store, { graceMs: 0 });
    expect(result.removed.map((e) => e.sha256)).toEqual([entry.sha256]);
    expect(store.roots.list()).toEqual([]);
  });
});
