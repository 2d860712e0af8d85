// Roots and gc at the library level: staleness rules, bundle manifests, grace periods, orphans.

import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { collectGarbage } from "../../src/store/gc.js";
import { staleness } from "../../src/store/roots.js";
import { openStore } from "../../src/store/store.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("roots");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

describe("root staleness", () => {
  it("a bundle directory is live while its manifest lists every hash", async () => {
    const bundle = join(work.path, "bundle");
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, "pystore-bundle.json"), JSON.stringify({ wheels: [{ sha256: "a".repeat(64) }] }));
    const root = { id: 1, kind: "bundle" as const, path: bundle, createdAt: 0, sha256s: ["a".repeat(64)] };
    expect(staleness(root)).toEqual({ stale: false });
    expect(staleness({ ...root, sha256s: ["a".repeat(64), "b".repeat(64)] })).toMatchObject({
      stale: true,
      reason: expect.stringContaining("1 of its 2"),
    });
    expect(staleness({ ...root, path: join(work.path, "gone") })).toEqual({ stale: true, reason: "path no longer exists" });
    // An archive bundle (tar.gz, pyz) is live while it exists.
    const archive = join(work.path, "app.tar.gz");
    await writeFile(archive, "x");
    expect(staleness({ ...root, path: archive })).toEqual({ stale: false });
  });

  it("re-registering a root replaces its members", async () => {
    const store = await openStore({ dir: join(work.path, "s-reroot") });
    try {
      const lock = join(work.path, "re-pylock.toml");
      await writeFile(lock, "");
      store.addRoot("lock", lock, ["B".repeat(64), "a".repeat(64)]);
      store.addRoot("lock", lock, ["c".repeat(64)]);
      const roots = store.roots.list();
      expect(roots).toHaveLength(1);
      expect(roots[0].sha256s).toEqual(["c".repeat(64)]);
    } finally {
      store.close();
    }
  });
});

describe("collectGarbage", () => {
  it("honours the grace period, keeps live roots, drops stale roots and old orphans", async () => {
    const dir = join(work.path, "s-gc");
    const store = await openStore({ dir });
    try {
      const entries = [];
      for (const w of wheels) entries.push(await store.addWheelFile(w.path));
      const lock = join(work.path, "gc-pylock.toml");
      await writeFile(lock, entries[0].sha256);
      store.addRoot("lock", lock, [entries[0].sha256]);
      store.addRoot("fetch", join(work.path, "deleted-pylock.toml"), [entries[1].sha256]);
      const orphan = join(dir, "wheels", "0000-orphan");
      await mkdir(orphan);

      const now = Date.now();
      expect(collectGarbage(store, { now }).removed).toEqual([]);
      const later = now + 2 * 3600 * 1000;
      const dry = collectGarbage(store, { now: later, dryRun: true });
      expect(dry.removed.map((e) => e.sha256).sort()).toEqual(
        entries
          .slice(1)
          .map((e) => e.sha256)
          .sort(),
      );
      expect(dry.orphans).toEqual([orphan]);
      expect(store.list()).toHaveLength(entries.length);

      const done = collectGarbage(store, { now: later });
      expect(done.freedBytes).toBe(entries.slice(1).reduce((s, e) => s + e.size, 0));
      expect(store.list().map((e) => e.sha256)).toEqual([entries[0].sha256]);
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(entries[0].path)).toBe(true);
      expect(store.roots.list().map((r) => r.kind)).toEqual(["lock"]);
      // Re-adding refreshes the grace period: it survives a gc "now".
      await store.addWheelFile(wheels[1].path);
      expect(collectGarbage(store).removed).toEqual([]);
    } finally {
      store.close();
    }
  });
});
