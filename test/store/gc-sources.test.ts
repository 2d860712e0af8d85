// gc over sources/ and build-logs/: an sdist stays while a stored wheel was built from it (its builds row)
// or a live root names it, or while it is young; its build logs go with it; a dry run only reports.

import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { collectGarbage } from "../../src/store/gc.js";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheel: BuiltWheel;

beforeAll(async () => {
  work = await tempDir("gc-sources");
  wheel = await buildWheel({ name: "built-from-sdist", version: "1.0" }, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

const BUILT = "a".repeat(64);
const ORPHAN = "b".repeat(64);
const ROOTED = "c".repeat(64);
const HOUR_AGO = new Date(Date.now() - 3600_000);

/** sources/<sha>/<name> and its build log, both an hour old. */
function source(store: string, sha: string, name: string): { dir: string; log: string } {
  const dir = join(store, "sources", sha);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `sdist ${name}`);
  mkdirSync(join(store, "build-logs"), { recursive: true });
  const log = join(store, "build-logs", `${sha.slice(0, 16)}-${name}.log`);
  writeFileSync(log, "log");
  for (const path of [join(dir, name), dir, log]) utimesSync(path, HOUR_AGO, HOUR_AGO);
  return { dir, log };
}

it("keeps the sdist a stored wheel was built from and a rooted one, removes the rest with their logs", async () => {
  const dir = join(work.path, "store");
  const store = await openStore({ dir });
  try {
    const entry = await store.addWheelFile(wheel.path);
    store.db
      .prepare("INSERT INTO builds (build_key, sha256, sdist_sha256, derivation, target, built_at) VALUES (?, ?, ?, '{}', 't', 0)")
      .run("key", entry.sha256, BUILT);
    const lock = join(work.path, "pylock.toml");
    writeFileSync(lock, `${entry.sha256}\n${ROOTED}\n`);
    store.addRoot("lock", lock, [entry.sha256, ROOTED]);
    const built = source(dir, BUILT, "built-from-sdist-1.0.tar.gz");
    const orphan = source(dir, ORPHAN, "orphan-2.0.tar.gz");
    const rooted = source(dir, ROOTED, "rooted-3.0.tar.gz");
    const young = join(dir, "sources", "d".repeat(64));
    mkdirSync(young);

    const dry = collectGarbage(store, { graceMs: 60_000, dryRun: true });
    expect(dry.sources.removed).toEqual([orphan.dir]);
    expect(dry.sources.logsRemoved).toEqual([orphan.log]);
    expect(existsSync(orphan.dir)).toBe(true);

    const result = collectGarbage(store, { graceMs: 60_000 });
    expect(result.sources).toMatchObject({ removed: [orphan.dir], logsRemoved: [orphan.log], kept: 3 });
    expect(result.sources.freedBytes).toBeGreaterThan(0);
    expect([existsSync(orphan.dir), existsSync(orphan.log)]).toEqual([false, false]);
    for (const path of [built.dir, built.log, rooted.dir, rooted.log, young]) expect(existsSync(path), path).toBe(true);

    // The lock is gone: its wheel is collected, the builds row goes with it (cascade), and so do both sdists.
    await rm(lock);
    store.db.prepare("UPDATE entries SET added_at = added_at - 3600 * 1000").run();
    const after = collectGarbage(store, { graceMs: 60_000 });
    expect(after.removed.map((e) => e.sha256)).toEqual([entry.sha256]);
    expect(after.sources.removed.sort()).toEqual([built.dir, rooted.dir].sort());
    expect(existsSync(built.log)).toBe(false);
    expect(existsSync(young)).toBe(true);
  } finally {
    store.close();
  }
});
