// installTrees (src/bundle/install-trees.ts) into a staged tree: what the plan reads from a tree that was
// already in the store (WHEEL, entry_points.txt) is checked against the tree's index, and what it links is
// checked by the linking job; either damage is re-extracted from the verified wheel, warned about once, and
// the staged files, manifest rows and entry points are the wheel's.

import { statSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { installTrees } from "../../src/bundle/install-trees.js";
import { stagedTree } from "../../src/bundle/contents.js";
import { FileImporter } from "../../src/install/importer.js";
import type { StoreEntry } from "../../src/store/entries.js";
import { openStore, type Store } from "../../src/store/store.js";
import { ensureTree } from "../../src/store/tree.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
let store: Store;

beforeEach(async () => {
  dir = await tempDir("install-trees");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterEach(async () => {
  store?.close();
  await dir?.cleanup();
});

async function entry(): Promise<StoreEntry> {
  const wheel = await buildWheel(
    {
      name: "tool",
      version: "1.0",
      files: { "tool/__init__.py": "def main():\n    return 0\n", "tool/data/x.txt": "x\n" },
      entryPoints: { console_scripts: { tool: "tool:main" } },
    },
    join(dir.path, "w"),
  );
  return store.addWheelFile(wheel.path);
}

/** Edit `path` in the entry's tree (made read-only at extraction) to `text`. */
async function damage(e: StoreEntry, path: string, text: string): Promise<void> {
  const { tree } = await ensureTree(store.dir, e);
  const file = join(tree.filesDir, path);
  await chmod(join(file, ".."), 0o755);
  await chmod(file, 0o644);
  await writeFile(file, text);
}

async function install(e: StoreEntry) {
  const staging = join(dir.path, `staging-${Math.random().toString(16).slice(2)}`);
  await mkdir(staging);
  const importer = new FileImporter({ info() {}, warn() {}, debug() {} });
  const contents = stagedTree(staging, importer);
  const warnings: string[] = [];
  const installed = await installTrees({
    storeDir: store.dir,
    entries: [e],
    destination: contents.destination,
    staged: { writer: contents.writer!, importer },
    log: { info() {}, warn: (m) => warnings.push(m), debug() {} },
  });
  return { staging, installed, warnings, files: await contents.files() };
}

it("a clean tree: linked files share the tree's inodes, rows carry the index's hashes", async () => {
  const e = await entry();
  const clean = await install(e);
  expect(clean.warnings).toEqual([]);
  expect(clean.installed[0].entryPoints.map((p) => p.name)).toEqual(["tool"]);
  const { tree } = await ensureTree(store.dir, e);
  expect(statSync(join(clean.staging, "site-packages/tool/__init__.py")).ino).toBe(statSync(join(tree.filesDir, "tool/__init__.py")).ino);
  const row = clean.files.find((f) => f.path === "site-packages/tool/__init__.py");
  expect(row?.sha256).toBe(tree.index.files.find((f) => f.path === "tool/__init__.py")?.sha256);
});

it("entry_points.txt changed in the tree: the plan reads the wheel's, after re-extracting", async () => {
  const e = await entry();
  await damage(e, "tool-1.0.dist-info/entry_points.txt", "[console_scripts]\nevil = os:system\n");
  const result = await install(e);
  expect(result.warnings).toHaveLength(1);
  expect(result.warnings[0]).toMatch(/tool-1\.0\.dist-info\/entry_points\.txt had changed; re-extracted/);
  expect(result.installed[0].entryPoints.map((p) => p.name)).toEqual(["tool"]);
  // Planned once: no row or claim of the first attempt is left over to clash with the second.
  expect(result.files.filter((f) => f.path.endsWith("/RECORD"))).toHaveLength(1);
});

it("a linked file changed in the tree: the staged file is the wheel's, after re-extracting", async () => {
  const e = await entry();
  await damage(e, "tool/data/x.txt", "y\n");
  const result = await install(e);
  expect(result.warnings).toHaveLength(1);
  expect(result.warnings[0]).toMatch(/tool\/data\/x\.txt had changed; re-extracted/);
  expect(await readFile(join(result.staging, "site-packages/tool/data/x.txt"), "utf8")).toBe("x\n");
});
