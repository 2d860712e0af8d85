// Unpacked trees through the real CLI: bundles hardlink from them (or copy), concurrent bundles share one,
// store verify/--repair, gc and du see them, and kill -9 mid-extraction leaves no half tree.

import { readdirSync, statSync } from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GREETLIB, lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
let greet: BuiltWheel;
let lockPath: string;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
const GREET_INIT = "site-packages/greetlib/__init__.py";

beforeAll(async () => {
  work = await tempDir("store-trees");
  const project = join(work.path, "locks");
  greet = await buildWheel(GREETLIB, project);
  await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, path: greet.filename }]) });
  lockPath = join(project, "pylock.toml");
});
afterAll(async () => {
  await work?.cleanup();
});

let n = 0;
const storeFor = (label: string) => join(work.path, `store-${label}`);
const cli = (store: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "", PYSTORE_LINK_MODE: "", ...env } });
const bundle = (store: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const out = join(work.path, `out-${n++}`);
  return cli(store, ["bundle", "-l", lockPath, ...TARGET, "-o", out, ...extra], env).then((r) => ({ ...r, out }));
};
/** The only entry's tree in `store`. */
function treeOf(store: string): string {
  const [entry] = readdirSync(join(store, "wheels"));
  return join(store, "wheels", entry, "tree");
}
const tmpEntries = (store: string) => readdirSync(join(store, "tmp"));

describe("unpacked trees in bundles", () => {
  it("the first bundle extracts the tree, later ones reuse it; bundle files are hardlinks of the store's", async () => {
    const store = storeFor("link");
    const first = await bundle(store);
    expect(first.stderr).not.toMatch(/warn|error/i);
    expect(first.code).toBe(0);
    const tree = treeOf(store);
    const index = statSync(join(tree, "index.json"));
    const second = await bundle(store);
    expect(second.code).toBe(0);
    expect(statSync(join(tree, "index.json")).ino).toBe(index.ino);
    const stored = statSync(join(tree, "files/greetlib/__init__.py"));
    expect(stored.mode & 0o777).toBe(0o444);
    for (const out of [first.out, second.out]) expect(statSync(join(out, GREET_INIT)).ino).toBe(stored.ino);
    // Its names: the tree's, the file pool's (store-format/store-layout.md, "The file pool"), one per bundle.
    expect(stored.nlink).toBe(4);
    // Per-bundle files are the bundle's own: RECORD and INSTALLER are not links.
    const record = readdirSync(join(first.out, "site-packages")).find((d) => d.endsWith(".dist-info"))!;
    expect(statSync(join(first.out, "site-packages", record, "RECORD")).nlink).toBe(1);
    expect((await cli(store, ["bundle", "verify", first.out])).code).toBe(0);
  });

  it("PYSTORE_LINK_MODE=copy and --copy give bundles that share no inode with the store", async () => {
    const store = storeFor("copy");
    const viaEnv = await bundle(store, [], { PYSTORE_LINK_MODE: "copy" });
    expect(viaEnv.code).toBe(0);
    const viaFlag = await bundle(store, ["--copy"]);
    expect(viaFlag.code).toBe(0);
    const stored = statSync(join(treeOf(store), "files/greetlib/__init__.py"));
    // The tree's name and the file pool's: no bundle's.
    expect(stored.nlink).toBe(2);
    for (const out of [viaEnv.out, viaFlag.out]) {
      const copied = statSync(join(out, GREET_INIT));
      expect(copied.ino).not.toBe(stored.ino);
      expect(copied.mode & 0o777).toBe(0o644);
      expect((await cli(store, ["bundle", "verify", out])).code).toBe(0);
    }
    // A bad variable is a configuration error (a bad flag would be a usage error).
    const bad = await bundle(store, [], { PYSTORE_LINK_MODE: "symlink" });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("PYSTORE_LINK_MODE");
  });

  // /dev/shm is a tmpfs on Linux: a bundle written there cannot hardlink from a store on another
  // filesystem, so the importer must fall back (clone, then copy) on EXDEV by itself.
  const otherFs = "/dev/shm";
  const crossDevice = (() => {
    try {
      return statSync(otherFs).isDirectory() && statSync(otherFs).dev !== statSync(work?.path ?? "/tmp").dev;
    } catch {
      return false;
    }
  })();
  it.skipIf(!crossDevice)("falls back to copying when the bundle is on another filesystem (EXDEV)", async () => {
    const store = storeFor("exdev");
    const out = join(otherFs, `pystore-exdev-${process.pid}-${n++}`);
    try {
      const built = await cli(store, ["bundle", "-l", lockPath, ...TARGET, "-o", out]);
      expect(built.stderr).not.toMatch(/error/i);
      expect(built.code).toBe(0);
      const stored = statSync(join(treeOf(store), "files", "greetlib", "__init__.py"));
      const bundled = statSync(join(out, GREET_INIT));
      expect(bundled.dev).not.toBe(stored.dev);
      expect(stored.nlink).toBe(2);
      expect(bundled.mode & 0o777).toBe(0o644);
      expect((await cli(store, ["bundle", "verify", out])).code).toBe(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("concurrent bundles into one empty store all succeed and share one tree", async () => {
    const store = storeFor("race");
    const results = await Promise.all([0, 1, 2, 3].map(() => bundle(store)));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/warn|error/i);
    }
    const tree = treeOf(store);
    const ino = statSync(join(tree, "files/greetlib/__init__.py")).ino;
    for (const r of results) expect(statSync(join(r.out, GREET_INIT)).ino).toBe(ino);
    expect(tmpEntries(store)).toEqual([]);
    expect((await cli(store, ["store", "verify"])).code).toBe(0);
  });
});

describe("a damaged tree never reaches a bundle", () => {
  for (const how of ["same size", "other size", "removed"] as const) {
    it(`a tree file edited (${how}) after extraction is noticed and the tree re-extracted before linking`, async () => {
      const store = storeFor(`damaged-${how.replace(" ", "-")}`);
      const clean = await bundle(store, ["--copy"]);
      expect(clean.code).toBe(0);
      const original = await readFile(join(clean.out, GREET_INIT));
      const file = join(treeOf(store), "files/greetlib/__init__.py");
      await chmod(join(treeOf(store), "files/greetlib"), 0o755);
      await chmod(file, 0o644);
      if (how === "removed") await rm(file);
      else await writeFile(file, how === "same size" ? Buffer.from(original.toString().replace(/[a-z]/, "X")) : "tampered = True\n");
      const again = await bundle(store);
      expect(again.stderr).not.toMatch(/error/i);
      expect(again.code).toBe(0);
      // The bundle got the wheel's bytes, says so, and verifies; the store's tree is whole again.
      expect(await readFile(join(again.out, GREET_INIT))).toEqual(original);
      expect(again.stderr).toMatch(/re-extract/i);
      expect((await cli(store, ["bundle", "verify", again.out])).code).toBe(0);
      const verify = await cli(store, ["store", "verify", "--json"]);
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout).problems).toEqual([]);
    });
  }
});

describe("store verify, gc and du with trees", () => {
  it("an edited tree file makes verify exit 6; --repair re-extracts it; du counts trees; gc removes them", async () => {
    const store = storeFor("verify");
    const built = await bundle(store);
    expect(built.code).toBe(0);
    const du = JSON.parse((await cli(store, ["store", "du", "--json"])).stdout);
    expect(du).toMatchObject({ trees: 1, entries: 1 });
    expect(du.treeBytes).toBeGreaterThan(0);
    expect(du.bytes).toBe(du.wheelBytes + du.treeBytes + du.databaseBytes);

    // The documented trade-off: an in-place edit inside a hardlinked bundle changes the store's copy.
    const inBundle = join(built.out, GREET_INIT);
    const original = await readFile(inBundle, "utf8");
    await chmod(inBundle, 0o644);
    await writeFile(inBundle, "def greeting():\n    return 'edited'\n");
    const report = await cli(store, ["store", "verify"]);
    expect(report.code).toBe(6);
    expect(report.stdout).toMatch(/^corrupted \S+\/tree \(greetlib\/__init__\.py: /m);
    expect(report.stderr).toMatch(/^error: 1 unpacked tree is damaged/m);
    const repaired = await cli(store, ["store", "verify", "--repair"]);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/^repaired \S+\/tree$/m);
    expect(await readFile(join(treeOf(store), "files/greetlib/__init__.py"), "utf8")).toBe(original);
    expect((await cli(store, ["store", "verify"])).stdout).toContain("1 unpacked tree: all intact");

    // Without its bundle the root is stale: gc removes the entry, tree included.
    await rm(built.out, { recursive: true, force: true });
    const gc = await cli(store, ["store", "gc", "--grace", "0"]);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain("removed 1 wheel(s) and 1 unpacked tree(s)");
    expect(readdirSync(join(store, "wheels"))).toEqual([]);
  });

  it("kill -9 while a tree is extracted leaves no tree, only debris the next run removes", async () => {
    const store = storeFor("crash");
    const crashed = await bundle(store, [], { PYSTORE_TEST_CRASH_AT: "during-tree" });
    expect(crashed.code).toBe(128);
    const [entry] = readdirSync(join(store, "wheels"));
    expect(readdirSync(join(store, "wheels", entry))).toEqual([greet.filename]);
    expect(tmpEntries(store).some((name) => name.startsWith(".tmp-tree."))).toBe(true);
    const verify = await cli(store, ["store", "verify", "--json"]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ treesChecked: 0, problems: [] });
    expect(tmpEntries(store)).toEqual([]);
    const again = await bundle(store);
    expect(again.code).toBe(0);
    expect(statSync(join(treeOf(store), "index.json")).isFile()).toBe(true);
  });
});
