// Two gcs over the same doomed entries (store-format/store-layout.md, "Roots and garbage collection"): a gc
// whose step 1 ran after another's sees the other's doomed directories as orphans, and the other's step 2
// may move them into tmp/ at any moment of this one's run, outside any lock. The moment between this gc's
// lstat of such a directory and its readdir (where it counts the bytes it frees) is made deterministic here:
// readdirSync is wrapped so the other gc's rename lands exactly there.

import { copyFileSync, existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { collectGarbage } from "../../src/store/gc.js";
import { entryDir, tmpDir } from "../../src/store/layout.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS, withStoreAt } from "./helpers.js";

/** Called with the path of every readdirSync before it runs: where the test plays the other gc. */
const hook = vi.hoisted(() => ({ beforeReaddir: undefined as ((path: string) => void) | undefined }));

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const readdirSync = ((path: Parameters<typeof real.readdirSync>[0], ...rest: unknown[]) => {
    hook.beforeReaddir?.(String(path));
    return (real.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof real.readdirSync;
  return { ...real, default: { ...real, readdirSync }, readdirSync };
});

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("gc-race-window");
  wheels = await buildWheels(SAMPLE_SPECS.slice(0, 2), join(work.path, "wheels"));
});
afterAll(() => {
  hook.beforeReaddir = undefined;
  return work.cleanup();
});

it("a doomed directory another gc moves away while this gc counts its bytes is skipped, not an ENOENT", async () => {
  await withStoreAt(join(work.path, "store"), async (store) => {
    const [a, b] = [await store.addWheelFile(wheels[0].path), await store.addWheelFile(wheels[1].path)];
    // The other gc's step 1: rows gone, names in gc_pending, directories still here.
    const doomedAt = Date.now() + 1000;
    for (const e of [a, b]) {
      store.entries.delete(e.sha256);
      store.db.prepare("INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?)").run(e.entryName, doomedAt);
    }
    // The other gc's step 2, for `a`, landing after this gc's lstat of it and before its readdir.
    const dirA = entryDir(store.dir, a.entryName);
    let moved = false;
    hook.beforeReaddir = (path) => {
      if (path !== dirA || moved) return;
      moved = true;
      renameSync(dirA, join(tmpDir(store.dir), ".tmp-gc.other"));
    };
    try {
      const result = collectGarbage(store, { graceMs: 0 });
      expect(moved).toBe(true);
      // Only what this gc took counts as freed by it: `b`'s wheel, not the directory the other gc took.
      expect(result.freedBytes).toBe(b.size);
    } finally {
      hook.beforeReaddir = undefined;
    }
    expect(existsSync(dirA)).toBe(false);
    expect(existsSync(entryDir(store.dir, b.entryName))).toBe(false);
    expect(store.db.prepare("SELECT entry_name FROM gc_pending").all()).toEqual([]);
  });
});

it("an orphan another gc already took, and a writer made again since, is the writer's: this gc leaves it", async () => {
  await withStoreAt(join(work.path, "store-retaken"), async (store) => {
    const a = await store.addWheelFile(wheels[0].path);
    // Another gc's step 1 doomed `a`: no row, its name in gc_pending, its directory still here.
    store.entries.delete(a.sha256);
    store.db.prepare("INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?)").run(a.entryName, Date.now() + 1000);
    const dirA = entryDir(store.dir, a.entryName);
    const wheel = join(dirA, wheels[0].filename);
    let retaken = false;
    // While this gc counts what it frees (after its step 1, before its step 2), the other gc's step 2 moves
    // the directory aside and forgets its name, and a writer fetching the same wheel makes it again and
    // links its file (its row not committed yet).
    hook.beforeReaddir = (path) => {
      if (path !== dirA || retaken) return;
      retaken = true;
      renameSync(dirA, join(tmpDir(store.dir), ".tmp-gc.other"));
      store.db.prepare("DELETE FROM gc_pending WHERE entry_name = ?").run(a.entryName);
      mkdirSync(dirA);
      copyFileSync(wheels[0].path, wheel);
    };
    try {
      collectGarbage(store, { graceMs: 0 });
      expect(retaken).toBe(true);
    } finally {
      hook.beforeReaddir = undefined;
    }
    // The writer's file is where it linked it, for its commit to find.
    expect(existsSync(wheel)).toBe(true);
  });
});
