// The worker thread's script as `npm run build` bundles it (dist/bundled/tree-worker.js): one
// self-contained file, doing the same work as tsc's copy; and the rule in src/util/shipped.ts that picks
// it when the CLI runs bundled, tsc's copy otherwise.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { openStore, type Store } from "../../src/store/store.js";
import { treePool } from "../../src/store/tree-pool.js";
import { workerScript } from "../../src/util/shipped.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const BUNDLED = new URL("../../dist/bundled/", import.meta.url);
const built = existsSync(fileURLToPath(new URL("main.js", BUNDLED)));

let dir: TempDir;
let store: Store;

beforeEach(async () => {
  dir = await tempDir("bundled-workers");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterEach(async () => {
  store?.close();
  await dir?.cleanup();
});

async function wheel(name: string) {
  return buildWheel(
    { name, version: "1.0", files: { [`${name}/__init__.py`]: "X = 1\n", [`${name}/data.txt`]: name.repeat(500) } },
    join(dir.path, "w"),
  );
}

describe.runIf(built)("bundled worker scripts", () => {
  it("are one file each, importing no other module of the bundle", () => {
    for (const name of ["tree-worker"]) {
      const text = readFileSync(new URL(`${name}.js`, BUNDLED), "utf8");
      expect(text).toContain(`src/store/${name}.ts`);
      expect(text.match(/(?:from|import\()\s*["']\.{1,2}\//g) ?? []).toEqual([]);
    }
  });

  it("make trees on worker threads", async () => {
    const entries = [await store.addWheelFile((await wheel("one")).path), await store.addWheelFile((await wheel("two")).path)];
    const pool = treePool(store.dir, entries, { threads: 2, worker: new URL("tree-worker.js", BUNDLED) });
    try {
      for (const entry of entries) {
        const { tree, created } = await pool.intact(entry);
        expect(created).toBe(true);
        expect(tree.index.files.map((f) => f.path)).toContain(`${entry.name}/data.txt`);
      }
    } finally {
      await pool.close();
    }
  });
});

describe("workerScript", () => {
  it("names tsc's copy outside the bundle (here src/store/, which holds none: the pools work in-thread)", () => {
    expect(fileURLToPath(workerScript("tree-worker"))).toBe(fileURLToPath(new URL("../../src/store/tree-worker.js", import.meta.url)));
  });

  it.runIf(built)("names the bundled worker from a file of the bundle, tsc's from dist/", async () => {
    const chunk = readdirSync(BUNDLED)
      .filter((name) => name.endsWith(".js") && name !== "tree-worker.js")
      .find((name) => /function workerScript\(/.test(readFileSync(new URL(name, BUNDLED), "utf8")));
    expect(chunk).toBeDefined();
    const bundled = await import(new URL(chunk!, BUNDLED).href);
    const fromBundle = Object.values(bundled).find((f) => typeof f === "function" && f.name === "workerScript") as typeof workerScript;
    expect(fileURLToPath(fromBundle("tree-worker"))).toBe(fileURLToPath(new URL("tree-worker.js", BUNDLED)));
    const tsc = (await import(new URL("../../dist/util/shipped.js", import.meta.url).href)) as { workerScript: typeof workerScript };
    expect(fileURLToPath(tsc.workerScript("tree-worker"))).toBe(fileURLToPath(new URL("../../dist/store/tree-worker.js", import.meta.url)));
  });
});
