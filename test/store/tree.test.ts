// Unpacked trees (src/store/tree.ts, tree-verify.ts): extraction by the write protocol, reuse, races,
// refusal of a wheel whose RECORD lies, verification and the importer's fallback.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { FileImporter, linkModeFromEnv } from "../../src/install/importer.js";
import { PystoreError } from "../../src/errors.js";
import { openStore, type Store } from "../../src/store/store.js";
import { TREE_INDEX, ensureTree, treeDir } from "../../src/store/tree.js";
import { checkTree } from "../../src/store/tree-verify.js";
import { verifyStore } from "../../src/store/verify.js";
import { silentLogger, type Logger } from "../../src/util/log.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
let store: Store;

beforeAll(async () => {
  dir = await tempDir("store-tree");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterAll(async () => {
  store?.close();
  await dir?.cleanup();
});

const SPEC = {
  name: "treepkg",
  version: "1.0",
  files: {
    "treepkg/__init__.py": "VALUE = 1\n",
    "treepkg/data/blob.bin": Buffer.from([0, 1, 2, 255]),
    "treepkg-1.0.data/scripts/tool": "#!python\nprint('x')\n",
  },
  modes: { "treepkg-1.0.data/scripts/tool": 0o755 },
};

describe("unpacked trees", () => {
  it("extracts once, read-only, with an index matching the wheel's bytes; later calls reuse it", async () => {
    const wheel = await buildWheel(SPEC, join(dir.path, "w1"));
    const entry = await store.addWheelFile(wheel.path);
    const first = await ensureTree(store.dir, entry);
    expect(first.created).toBe(true);
    const second = await ensureTree(store.dir, entry);
    expect(second.created).toBe(false);
    expect(statSync(join(second.tree.dir, TREE_INDEX)).ino).toBe(statSync(join(first.tree.dir, TREE_INDEX)).ino);
    const init = first.tree.index.files.find((f) => f.path === "treepkg/__init__.py")!;
    const bytes = await readFile(join(first.tree.filesDir, init.path));
    expect(bytes.toString()).toBe("VALUE = 1\n");
    expect(init.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(statSync(join(first.tree.filesDir, init.path)).mode & 0o777).toBe(0o444);
    expect(statSync(join(first.tree.filesDir, "treepkg-1.0.data/scripts/tool")).mode & 0o777).toBe(0o555);
    expect(statSync(join(first.tree.filesDir, "treepkg")).mode & 0o777).toBe(0o555);
    expect(first.tree.index.files.map((f) => f.path)).toContain("treepkg-1.0.dist-info/RECORD");
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
    // Nothing is left in tmp/ by a successful extraction.
    expect(readdirSync(join(store.dir, "tmp"))).toEqual([]);
  });

  it("concurrent creators: one rename wins, every caller gets the same complete tree", async () => {
    const wheel = await buildWheel(
      { ...SPEC, version: "2.0", files: { "treepkg/__init__.py": "VALUE = 2\n" }, modes: {} },
      join(dir.path, "w2"),
    );
    const entry = await store.addWheelFile(wheel.path);
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureTree(store.dir, entry)));
    expect(results.filter((r) => r.created).length).toBeLessThanOrEqual(1);
    expect(new Set(results.map((r) => statSync(join(r.tree.dir, TREE_INDEX)).ino)).size).toBe(1);
    expect(readdirSync(join(store.dir, "tmp"))).toEqual([]);
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });

  it("stores a wheel whose RECORD does not match a member (admission leaves members to their readers), then refuses to make its tree, leaving no debris", async () => {
    const wheel = await buildWheel(
      { name: "liar", version: "1.0", files: { "liar/__init__.py": "x = 1\n" }, corruptRecordFor: ["liar/__init__.py"] },
      join(dir.path, "w3"),
    );
    const entry = await store.addWheelFile(wheel.path);
    const error = await ensureTree(store.dir, entry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("RECORD_MISMATCH");
    expect((error as PystoreError).message).toContain("liar/__init__.py");
    expect(existsSync(treeDir(store.dir, entry.entryName))).toBe(false);
    expect(readdirSync(join(store.dir, "tmp"))).toEqual([]);
  });

  it("store verify reports an edited tree file and --repair re-extracts it from the wheel", async () => {
    const wheel = await buildWheel({ ...SPEC, version: "3.0" }, join(dir.path, "w4"));
    const entry = await store.addWheelFile(wheel.path);
    const { tree } = await ensureTree(store.dir, entry);
    const path = join(tree.filesDir, "treepkg/__init__.py");
    // What an in-place edit through a bundle's hardlink does (root ignores 0444; others chmod first).
    await chmod(path, 0o644);
    await writeFile(path, "VALUE = 'edited'\n");
    const check = await checkTree(store.dir, entry);
    expect(check.status).toBe("corrupted");
    expect(check.reason).toContain("treepkg/__init__.py");
    const report = await verifyStore(store);
    const problem = report.problems.find((p) => p.entry.sha256 === entry.sha256)!;
    expect(problem).toMatchObject({ what: "tree", status: "corrupted", repaired: false });
    const repaired = await verifyStore(store, { repair: true });
    expect(repaired.problems.find((p) => p.entry.sha256 === entry.sha256)).toMatchObject({ what: "tree", repaired: true });
    expect(await readFile(join(treeDir(store.dir, entry.entryName), "files/treepkg/__init__.py"), "utf8")).toBe("VALUE = 1\n");
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });

  it("a tree without its index (not made by pystore) is damage that ensureTree replaces", async () => {
    const wheel = await buildWheel({ ...SPEC, version: "4.0" }, join(dir.path, "w5"));
    const entry = await store.addWheelFile(wheel.path);
    const { tree } = await ensureTree(store.dir, entry);
    await chmod(tree.dir, 0o755);
    await writeFile(join(tree.dir, TREE_INDEX), "{not json", { mode: 0o644 }).catch(async () => {
      await chmod(join(tree.dir, TREE_INDEX), 0o644);
      await writeFile(join(tree.dir, TREE_INDEX), "{not json");
    });
    expect((await checkTree(store.dir, entry)).status).toBe("corrupted");
    const again = await ensureTree(store.dir, entry);
    expect(again.created).toBe(true);
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });
});

describe("FileImporter", () => {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };

  it("hardlinks by default on one filesystem, copies (separate inode, bundle's mode) when asked", async () => {
    const src = join(dir.path, "src.txt");
    await writeFile(src, "bytes\n", { mode: 0o444 });
    const linker = new FileImporter(log);
    linker.importFile(src, join(dir.path, "linked.txt"), 0o644);
    expect(linker.mode).toBe("hardlink");
    expect(statSync(join(dir.path, "linked.txt")).ino).toBe(statSync(src).ino);
    const copier = new FileImporter(log, "copy");
    copier.importFile(src, join(dir.path, "copied.txt"), 0o755);
    const copied = statSync(join(dir.path, "copied.txt"));
    expect(copied.ino).not.toBe(statSync(src).ino);
    expect(copied.nlink).toBe(1);
    expect(copied.mode & 0o777).toBe(0o755);
    expect(await readFile(join(dir.path, "copied.txt"), "utf8")).toBe("bytes\n");
    // Never replaces an existing file.
    expect(() => copier.importFile(src, join(dir.path, "copied.txt"), 0o644)).toThrow();
    expect(warnings).toEqual([]);
  });

  it("reads PYSTORE_LINK_MODE and refuses unknown values", () => {
    expect(linkModeFromEnv({})).toBeUndefined();
    expect(linkModeFromEnv({ PYSTORE_LINK_MODE: "clone" })).toBe("clone");
    expect(() => linkModeFromEnv({ PYSTORE_LINK_MODE: "symlink" })).toThrow(/symlink/);
  });
});
