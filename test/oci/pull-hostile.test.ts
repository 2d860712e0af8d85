// `store pull` admits wheels as a fetch does: a wheel whose bytes match the registry's digest but which fails
// the admission checks (a member that does not match RECORD) adds nothing, not even the good wheels pulled
// with it; a clean closure is linked into place read-only and committed.

import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, type TestRegistry } from "../../fixtures/registry.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { pullClosure } from "../../src/oci/pull.js";
import { pushClosure } from "../../src/oci/push.js";
import { parseReference } from "../../src/oci/reference.js";
import type { StoreEntry } from "../../src/store/entries.js";
import { openStore } from "../../src/store/store.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { failure, testClient } from "./helpers.js";

let work: TempDir;
let registry: TestRegistry;
let good: BuiltWheel[];
let hostile: BuiltWheel;
beforeAll(async () => {
  work = await tempDir("oci-pull-hostile");
  registry = await startRegistry({ dir: join(work.path, "registry") });
  good = [
    await buildWheel({ name: "alpha", version: "1.0" }, join(work.path, "wheels")),
    await buildWheel({ name: "beta", version: "2.0" }, join(work.path, "wheels")),
  ];
  hostile = await buildWheel(
    { name: "gamma", version: "3.0", files: { "gamma/__init__.py": "x = 1\n" }, omitRecord: true },
    join(work.path, "wheels"),
  );
});
afterAll(async () => {
  await registry?.close();
  await work?.cleanup();
});

/** What push reads of a store entry, for wheels that never entered a store (the hostile one could not). */
function asEntry(wheel: BuiltWheel): StoreEntry {
  const [name, version] = wheel.filename.split("-");
  return {
    filename: wheel.filename,
    path: wheel.path,
    sha256: wheel.sha256,
    size: wheel.size,
    name,
    version,
    tags: [],
    dependencies: [],
  } as unknown as StoreEntry;
}

async function push(repo: string, wheels: BuiltWheel[]) {
  const { client } = testClient();
  try {
    return await pushClosure(client, wheels.map(asEntry), { ref: parseReference(registry.ref(repo, "v1")) });
  } finally {
    await client.close();
  }
}

describe("store pull admits wheels as fetch does", () => {
  it("refuses a closure holding a wheel that fails vetting, and adds none of its wheels", async () => {
    await push("team/hostile", [good[0], hostile, good[1]]);
    const dir = join(work.path, "store-hostile");
    const store = await openStore({ dir });
    const { client } = testClient();
    try {
      const error = await failure(pullClosure(client, store, parseReference(registry.ref("team/hostile", "v1"))));
      expect(error.code).toBe("RECORD_MISMATCH");
      expect(error.message).toContain(hostile.filename);
      expect(store.list()).toEqual([]);
      expect(readdirSync(join(dir, "wheels"))).toEqual([]);
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      await client.close();
      store.close();
    }
  });

  it("links a clean closure's wheels into place, read-only, and records them", async () => {
    await push("team/clean", good);
    const dir = join(work.path, "store-clean");
    const store = await openStore({ dir });
    const { client } = testClient();
    try {
      const pulled = await pullClosure(client, store, parseReference(registry.ref("team/clean", "v1")));
      expect(pulled.added.map((e) => e.sha256).sort()).toEqual(good.map((w) => w.sha256).sort());
      for (const entry of store.list()) {
        const stat = lstatSync(entry.path);
        expect(stat.mode & 0o777).toBe(0o444);
        // The staged name is gone: only the store's link is left.
        expect(stat.nlink).toBe(1);
      }
      expect(store.list()).toHaveLength(2);
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      await client.close();
      store.close();
    }
  });
});
