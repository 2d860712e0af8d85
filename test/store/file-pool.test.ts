// The file pool (src/store/file-pool.ts, tree-unpack.ts): trees of two versions share each file once by
// sha256 and executable bit; empty files stay private; link failures fall back to private copies; a pool
// file touched through a hard link is never re-linked blindly; gc, du and verify see shared inodes.

import { createHash } from "node:crypto";
import { chmodSync, existsSync, linkSync, lstatSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { addToPool, checkPoolFile, type LinkFn, POOL_MTIME_S, poolPath } from "../../src/store/file-pool.js";
import { collectGarbage } from "../../src/store/gc.js";
import { openStore, type Store } from "../../src/store/store.js";
import { damagedTreeFile, ensureIntactTree, ensureTree, readTree, type Tree, treeUsage } from "../../src/store/tree.js";
import { checkTree } from "../../src/store/tree-verify.js";
import { verifyStore } from "../../src/store/verify.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
let store: Store;
let counter = 0;

beforeEach(async () => {
  dir = await tempDir("file-pool");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterEach(async () => {
  store?.close();
  await dir?.cleanup();
});

const SHARED = "SHARED = 'the same in every version'\n";
const TOOL = "#!python\nprint('tool')\n";

function spec(version: string, extra: Record<string, string | Buffer> = {}): WheelSpec {
  return {
    name: "pooled",
    version,
    files: {
      "pooled/__init__.py": `VERSION = '${version}'\n`,
      "pooled/shared.py": SHARED,
      "pooled/empty.py": "",
      // The same bytes as shared.py, but executable: a separate pool file (mode is per inode).
      "pooled-VERSION.data/scripts/tool": TOOL,
      "pooled/tool_copy.txt": TOOL,
      ...extra,
    },
    modes: { "pooled-VERSION.data/scripts/tool": 0o755 },
  };
}

/** The spec with its version put into the script's .data path (the fixture needs a literal path). */
function versioned(version: string, extra: Record<string, string | Buffer> = {}): WheelSpec {
  const s = spec(version, extra);
  const rename = (path: string) => path.replace("VERSION", version);
  return {
    ...s,
    files: Object.fromEntries(Object.entries(s.files!).map(([k, v]) => [rename(k), v])),
    modes: Object.fromEntries(Object.entries(s.modes!).map(([k, v]) => [rename(k), v])),
  };
}

async function stored(version: string, extra: Record<string, string | Buffer> = {}) {
  const wheel = await buildWheel(versioned(version, extra), join(dir.path, `w${counter++}`));
  return store.addWheelFile(wheel.path);
}

/** Bytes of `tree`'s files that `other` has no copy of (same sha256 and executable bit). */
function unshared(tree: Tree, other: Tree): number {
  const there = new Set(other.index.files.map((f) => `${f.sha256}:${f.executable}`));
  return tree.index.files.filter((f) => !there.has(`${f.sha256}:${f.executable}`)).reduce((sum, f) => sum + f.size, 0);
}
const totalSize = (tree: Tree) => tree.index.files.reduce((sum, f) => sum + f.size, 0);
const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const at = (tree: Tree, path: string) => join(tree.filesDir, path);

/** Write through a read-only hard link, as root (or a user who chmods a bundle file) would. */
function editInPlace(path: string, data: string, opts: { keepMtime?: boolean } = {}): void {
  const before = lstatSync(path);
  chmodSync(path, 0o644);
  writeFileSync(path, data);
  chmodSync(path, before.mode & 0o777);
  if (opts.keepMtime) utimesSync(path, before.atime, before.mtime);
}

describe("trees share pool files", () => {
  it("two versions link one inode per shared file; executable and plain variants and empty files stay apart", async () => {
    const a = (await ensureTree(store.dir, await stored("1.0"))).tree;
    const b = (await ensureTree(store.dir, await stored("1.1"))).tree;
    const shared = lstatSync(at(a, "pooled/shared.py"));
    expect(lstatSync(at(b, "pooled/shared.py")).ino).toBe(shared.ino);
    expect(lstatSync(poolPath(store.dir, sha(SHARED), false)).ino).toBe(shared.ino);
    expect(shared.mtimeMs).toBe(POOL_MTIME_S * 1000);
    expect(shared.nlink).toBe(3);
    // Different bytes: different inodes.
    expect(lstatSync(at(b, "pooled/__init__.py")).ino).not.toBe(lstatSync(at(a, "pooled/__init__.py")).ino);
    // Same bytes, one executable: two pool files, each with its own mode.
    const script = lstatSync(at(b, "pooled-1.1.data/scripts/tool"));
    const plain = lstatSync(at(b, "pooled/tool_copy.txt"));
    expect(script.ino).not.toBe(plain.ino);
    expect(script.mode & 0o777).toBe(0o555);
    expect(plain.mode & 0o777).toBe(0o444);
    expect(lstatSync(poolPath(store.dir, sha(TOOL), true)).ino).toBe(script.ino);
    expect(lstatSync(at(a, "pooled-1.0.data/scripts/tool")).ino).toBe(script.ino);
    // Empty files are private (one inode would otherwise collect a link from nearly every tree).
    expect(lstatSync(at(a, "pooled/empty.py")).nlink).toBe(1);
    expect(existsSync(poolPath(store.dir, sha(""), false))).toBe(false);
    // The index records the shared inode and the pool's mtime, so the intact check stays one lstat.
    expect(b.index.files.find((f) => f.path === "pooled/shared.py")).toMatchObject({ ino: shared.ino, mtimeMs: 1000 });
    expect(damagedTreeFile(a)).toBeUndefined();
    expect(damagedTreeFile(b)).toBeUndefined();
    expect(await checkTree(store.dir, await stored("1.0"))).toEqual({ status: "ok" });
  });

  it("members are still inflated and checked when the pool has what RECORD claims: a lying wheel is refused", async () => {
    // The pool gets a file whose bytes are "corrupted", the hash the fixture writes into a lying RECORD.
    await ensureTree(store.dir, await stored("1.0", { "pooled/decoy.txt": "corrupted" }));
    const liar = await buildWheel(
      { name: "liar", version: "1.0", files: { "liar/__init__.py": "x = 1\n" }, corruptRecordFor: ["liar/__init__.py"] },
      join(dir.path, "liar"),
    );
    const entry = await store.addWheelFile(liar.path);
    const error = await ensureTree(store.dir, entry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("RECORD_MISMATCH");
    // The pool file it named is untouched.
    expect(checkPoolFile(poolPath(store.dir, sha("corrupted"), false), sha("corrupted"), 9, false)).toBe("ok");
  });
});

describe("giving a written file its pool name", () => {
  /** A staged file as the unpacker leaves it: its mode, the pool's fixed mtime. */
  function staged(name: string, data: string): string {
    const path = join(dir.path, name);
    writeFileSync(path, data, { mode: 0o444 });
    utimesSync(path, POOL_MTIME_S, POOL_MTIME_S);
    return path;
  }
  const want = { sha256: sha(SHARED), size: Buffer.byteLength(SHARED), executable: false };

  it("a concurrent writer's good file under the name is success; the second file stays private", () => {
    const pool = poolPath(store.dir, want.sha256, false);
    expect(addToPool(staged("one", SHARED), pool, want)).toBe("added");
    const two = staged("two", SHARED);
    expect(addToPool(two, pool, want)).toBe("present");
    expect(lstatSync(two).nlink).toBe(1);
    expect(lstatSync(pool).ino).toBe(lstatSync(join(dir.path, "one")).ino);
  });

  it("a damaged file under the name is replaced, never trusted", () => {
    const pool = poolPath(store.dir, want.sha256, false);
    const bad = staged("bad", SHARED.replace("same", "SAME"));
    expect(addToPool(bad, pool, want)).toBe("added");
    // Edited after it got its name: the edit moved the mtime.
    utimesSync(bad, new Date(), new Date());
    const good = staged("good", SHARED);
    expect(addToPool(good, pool, want)).toBe("added");
    expect(lstatSync(pool).ino).toBe(lstatSync(good).ino);
  });
});

describe("link failures fall back to private copies", () => {
  const failing =
    (code: string, when: (existing: string, created: string) => boolean): LinkFn =>
    (existing, created) => {
      if (when(existing, created)) throw Object.assign(new Error(`${code}: injected`), { code });
      linkSync(existing, created);
    };
  const fromPool = (storeDir: string) => (existing: string) => existing.startsWith(join(storeDir, "files"));

  it("EMLINK on linking a pool file into a tree: the member is written privately, byte for byte", async () => {
    const a = (await ensureTree(store.dir, await stored("1.0"))).tree;
    const entry = await stored("1.1");
    const { tree } = await ensureTree(store.dir, entry, undefined, { link: failing("EMLINK", fromPool(store.dir)) });
    const file = at(tree, "pooled/shared.py");
    expect(readFileSync(file, "utf8")).toBe(SHARED);
    expect(lstatSync(file).ino).not.toBe(lstatSync(at(a, "pooled/shared.py")).ino);
    expect(lstatSync(file).nlink).toBe(1);
    expect(damagedTreeFile(tree)).toBeUndefined();
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });

  it("EXDEV on giving a written file its pool name: the tree keeps it privately, and no pool file appears", async () => {
    const entry = await stored("1.0");
    const { tree } = await ensureTree(store.dir, entry, undefined, { link: failing("EXDEV", () => true) });
    expect(existsSync(poolPath(store.dir, sha(SHARED), false))).toBe(false);
    expect(lstatSync(at(tree, "pooled/shared.py")).nlink).toBe(1);
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });

  it("ENOENT because gc removed the pool file after it was checked: the member is written and pooled again", async () => {
    await ensureTree(store.dir, await stored("1.0"));
    const pool = poolPath(store.dir, sha(SHARED), false);
    const racingGc: LinkFn = (existing, created) => {
      if (existing === pool) unlinkSync(pool);
      linkSync(existing, created);
    };
    const entry = await stored("1.1");
    const { tree } = await ensureTree(store.dir, entry, undefined, { link: racingGc });
    expect(readFileSync(at(tree, "pooled/shared.py"), "utf8")).toBe(SHARED);
    expect(lstatSync(pool).ino).toBe(lstatSync(at(tree, "pooled/shared.py")).ino);
    expect(await checkTree(store.dir, entry)).toEqual({ status: "ok" });
  });
});

describe("a pool file damaged through a hard link", () => {
  it("is caught in every tree that shares it, and re-extraction writes fresh bytes instead of re-linking it", async () => {
    const entryA = await stored("1.0");
    const entryB = await stored("1.1");
    const a = (await ensureTree(store.dir, entryA)).tree;
    const b = (await ensureTree(store.dir, entryB)).tree;
    const damagedIno = lstatSync(at(a, "pooled/shared.py")).ino;
    // The same size, so only the mtime (and then the hash) gives it away.
    editInPlace(at(a, "pooled/shared.py"), SHARED.replace("same", "SAME"));
    expect(damagedTreeFile(a)).toBe("pooled/shared.py");
    expect(damagedTreeFile(b)).toBe("pooled/shared.py");
    const again = await ensureIntactTree(store.dir, entryB);
    expect(again.damaged).toBe("pooled/shared.py");
    const fresh = lstatSync(at(again.tree, "pooled/shared.py"));
    expect(fresh.ino).not.toBe(damagedIno);
    expect(readFileSync(at(again.tree, "pooled/shared.py"), "utf8")).toBe(SHARED);
    expect(lstatSync(poolPath(store.dir, sha(SHARED), false)).ino).toBe(fresh.ino);
    // The other tree is repaired onto the fresh pool file too.
    const repairedA = await ensureIntactTree(store.dir, entryA);
    expect(repairedA.damaged).toBe("pooled/shared.py");
    expect(lstatSync(at(repairedA.tree, "pooled/shared.py")).ino).toBe(fresh.ino);
  });

  it("an edit between the pool file's check and its link into a new tree fails that tree's intact check", async () => {
    await ensureTree(store.dir, await stored("1.0"));
    const pool = poolPath(store.dir, sha(SHARED), false);
    // A bundle's hard link is written through just after the tree writer accepted the pool file.
    const editedMeanwhile: LinkFn = (existing, created) => {
      if (existing === pool) editInPlace(pool, SHARED.replace("same", "SAME"));
      linkSync(existing, created);
    };
    const entry = await stored("1.1");
    const { tree } = await ensureTree(store.dir, entry, undefined, { link: editedMeanwhile });
    expect(damagedTreeFile(tree)).toBe("pooled/shared.py");
    const again = await ensureIntactTree(store.dir, entry);
    expect(again.damaged).toBe("pooled/shared.py");
    expect(readFileSync(at(again.tree, "pooled/shared.py"), "utf8")).toBe(SHARED);
  });

  it("a chmod through a hard link (no root needed) is damage in every tree sharing the file, for bundles and verify", async () => {
    const entryA = await stored("1.0");
    const entryB = await stored("1.1");
    const a = (await ensureTree(store.dir, entryA)).tree;
    const b = (await ensureTree(store.dir, entryB)).tree;
    chmodSync(at(a, "pooled/shared.py"), 0o755);
    expect(damagedTreeFile(a)).toBe("pooled/shared.py");
    expect(damagedTreeFile(b)).toBe("pooled/shared.py");
    expect(await checkTree(store.dir, entryB)).toMatchObject({
      status: "corrupted",
      reason: expect.stringContaining("pooled/shared.py: mode 755"),
    });
    const again = await ensureIntactTree(store.dir, entryB);
    expect(again.damaged).toBe("pooled/shared.py");
    expect(lstatSync(at(again.tree, "pooled/shared.py")).mode & 0o777).toBe(0o444);
    expect(await checkTree(store.dir, entryB)).toEqual({ status: "ok" });
  });

  it("an edit that put size and mtime back is not re-linked when a tree sharing it is made again after damage", async () => {
    const entryA = await stored("1.0");
    const entryB = await stored("1.1");
    const a = (await ensureTree(store.dir, entryA)).tree;
    await ensureTree(store.dir, entryB);
    // The shared file is edited with its mtime restored (one lstat cannot see it), and another file of
    // tree B is visibly damaged, so B is made again.
    editInPlace(at(a, "pooled/shared.py"), SHARED.replace("same", "SAME"), { keepMtime: true });
    const b = (await ensureTree(store.dir, entryB)).tree;
    editInPlace(at(b, "pooled/__init__.py"), "VERSION = 'xxx'\n");
    const again = await ensureIntactTree(store.dir, entryB);
    expect(again.damaged).toBe("pooled/__init__.py");
    expect(readFileSync(at(again.tree, "pooled/shared.py"), "utf8")).toBe(SHARED);
    expect(await checkTree(store.dir, entryB)).toEqual({ status: "ok" });
  });

  it("store verify reports it against its name, and --repair removes it so every tree is made with fresh bytes", async () => {
    const entryA = await stored("1.0");
    const entryB = await stored("1.1");
    const a = (await ensureTree(store.dir, entryA)).tree;
    await ensureTree(store.dir, entryB);
    editInPlace(at(a, "pooled/shared.py"), SHARED.replace("same", "SAME"), { keepMtime: true });
    const pool = poolPath(store.dir, sha(SHARED), false);
    const report = await verifyStore(store);
    expect(report.pool.problems).toEqual([{ path: pool, reason: expect.stringContaining("does not match its name"), repaired: false }]);
    expect(
      report.problems
        .filter((p) => p.what === "tree")
        .map((p) => p.entry.version)
        .sort(),
    ).toEqual(["1.0", "1.1"]);
    const repaired = await verifyStore(store, { repair: true });
    expect(repaired.pool.problems[0].repaired).toBe(true);
    expect(repaired.problems.every((p) => p.repaired)).toBe(true);
    const after = await verifyStore(store);
    expect(after.pool.problems).toEqual([]);
    expect(after.problems).toEqual([]);
    expect(readFileSync(pool, "utf8")).toBe(SHARED);
  });

  it("a name under files/ that is not a pool name is reported and left alone, and is not damage", async () => {
    await ensureTree(store.dir, await stored("1.0"));
    const stray = join(store.dir, "files", ".DS_Store");
    writeFileSync(stray, "finder");
    for (const repair of [false, true]) {
      const report = await verifyStore(store, { repair });
      expect(report.pool.strays).toEqual([stray]);
      expect(report.pool.problems).toEqual([]);
      expect(report.problems).toEqual([]);
    }
    expect(readFileSync(stray, "utf8")).toBe("finder");
  });
});

describe("gc and du with shared files", () => {
  it("gc frees only what no other tree links, removes unused pool files, and a dry run says the same", async () => {
    const entryA = await stored("1.0", { "pooled/only_a.py": "A = 1\n" });
    const entryB = await stored("1.1");
    const treeA = (await ensureTree(store.dir, entryA)).tree;
    const treeB = (await ensureTree(store.dir, entryB)).tree;
    const later = Date.now() + 2 * 3600_000;
    store.addRoot("lock", join(dir.path, "lock-b"), [entryB.sha256]);
    writeFileSync(join(dir.path, "lock-b"), entryB.sha256);
    const dry = collectGarbage(store, { now: later, dryRun: true });
    const real = collectGarbage(store, { now: later });
    expect(real.removed.map((e) => e.version)).toEqual(["1.0"]);
    expect(real.freedBytes).toBe(dry.freedBytes);
    // The wheel and the files only tree A had (private or pooled), not the ones tree B shares.
    expect(real.freedBytes).toBe(entryA.size + unshared(treeA, treeB));
    expect(existsSync(poolPath(store.dir, sha("A = 1\n"), false))).toBe(false);
    expect(lstatSync(poolPath(store.dir, sha(SHARED), false)).nlink).toBe(2);
    expect(statSync(poolPath(store.dir, sha(TOOL), true)).nlink).toBe(2);
    const b = (await ensureTree(store.dir, entryB)).tree;
    expect(damagedTreeFile(b)).toBeUndefined();
    // Nothing is freed twice: a second run finds nothing.
    expect(collectGarbage(store, { now: later }).freedBytes).toBe(0);
  });

  it("du counts an inode shared by two trees once", async () => {
    const entryA = await stored("1.0");
    const entryB = await stored("1.1");
    await ensureTree(store.dir, entryA);
    await ensureTree(store.dir, entryB);
    const apart = treeUsage(store.dir, entryA)!.bytes + treeUsage(store.dir, entryB)!.bytes;
    const seen = new Set<number>();
    const together = treeUsage(store.dir, entryA, seen)!.bytes + treeUsage(store.dir, entryB, seen)!.bytes;
    const b = readTree(store.dir, entryB)!;
    expect(apart - together).toBe(totalSize(b) - unshared(b, readTree(store.dir, entryA)!));
    // WHEEL, shared.py and the two tool files are the same bytes in both versions.
    expect(apart - together).toBeGreaterThan(Buffer.byteLength(SHARED) + 2 * Buffer.byteLength(TOOL));
  });
});
