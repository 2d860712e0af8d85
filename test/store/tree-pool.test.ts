// Trees for a whole bundle (src/store/tree-pool.ts): missing trees unpacked in parallel (one lane in the
// caller's order, the others largest first), handed out in the caller's order; existing trees checked as
// before; a failure belongs to its entry; the same on real worker threads (the compiled worker, after
// `npm run build`), errors crossing intact; a thread that dies leaves nothing staged in tmp/.

import { existsSync, readdirSync } from "node:fs";
import { appendFile, chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import type { StoreEntry } from "../../src/store/entries.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tmpDir } from "../../src/store/layout.js";
import { ensureTree, treeDir } from "../../src/store/tree.js";
import { treePool } from "../../src/store/tree-pool.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
let store: Store;

beforeEach(async () => {
  dir = await tempDir("store-tree-pool");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterEach(async () => {
  store?.close();
  await dir?.cleanup();
});

/** Three wheels of clearly different sizes: small, large, medium. */
async function entries(): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  for (const [name, kb] of [
    ["small", 1],
    ["large", 200],
    ["medium", 50],
  ] as const) {
    // Incompressible-ish bytes, so the wheel's size follows the member's.
    const blob = Buffer.alloc(kb * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
    const wheel = await buildWheel(
      { name, version: "1.0", files: { [`${name}/__init__.py`]: "X = 1\n", [`${name}/blob.bin`]: blob } },
      join(dir.path, "w"),
    );
    out.push(await store.addWheelFile(wheel.path));
  }
  return out;
}

async function damageWheel(entry: StoreEntry): Promise<void> {
  await chmod(entry.path, 0o644);
  await appendFile(entry.path, "tampered");
}

describe("treePool", () => {
  /** The order `threads` lanes start unpacking [small, large, medium] in, each tree handed out as made. */
  async function startOrder(threads: number): Promise<string[]> {
    const [small, large, medium] = await entries();
    const started: string[] = [];
    const pool = treePool(store.dir, [small, large, medium], {
      threads,
      maker: async (storeDir, entry) => {
        started.push(entry.name);
        return ensureTree(storeDir, entry);
      },
    });
    try {
      for (const entry of [small, large, medium]) {
        const { tree, created, damaged } = await pool.intact(entry);
        expect(created).toBe(true);
        expect(damaged).toBeUndefined();
        expect(tree.index.wheelSha256).toBe(entry.sha256);
      }
    } finally {
      await pool.close();
    }
    return started;
  }

  it("with one thread, unpacks the missing trees in the caller's order", async () => {
    expect(await startOrder(1)).toEqual(["small", "large", "medium"]);
  });

  it("with two, starts the largest wheel at once and the caller's first beside it", async () => {
    expect(await startOrder(2)).toEqual(["large", "small", "medium"]);
  });

  it("checks a tree that was already there, and unpacks again one that was edited", async () => {
    const [small, large] = await entries();
    const before = await ensureTree(store.dir, small);
    const file = join(before.tree.filesDir, "small/__init__.py");
    await chmod(file, 0o644);
    await writeFile(file, "X = 2\n");
    const pool = treePool(store.dir, [small, large], { threads: 2, maker: ensureTree });
    try {
      const again = await pool.intact(small);
      expect(again.damaged).toBe("small/__init__.py");
      expect(again.created).toBe(true);
      expect((await pool.intact(large)).created).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("reports a wheel that cannot be unpacked when its turn comes, and still hands out the others", async () => {
    const [small, large, medium] = await entries();
    await damageWheel(medium);
    const pool = treePool(store.dir, [small, medium, large], { threads: 2, maker: ensureTree });
    try {
      expect((await pool.intact(small)).created).toBe(true);
      const failure = await pool.intact(medium).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PystoreError);
      expect((failure as PystoreError).code).toBe("STORE_CORRUPTED");
      expect((await pool.intact(large)).created).toBe(true);
    } finally {
      await pool.close();
    }
    expect(existsSync(treeDir(store.dir, medium.entryName))).toBe(false);
  });

  const compiled = new URL("../../dist/store/tree-worker.js", import.meta.url);
  it.runIf(existsSync(fileURLToPath(compiled)))("does the same on worker threads; their failures arrive as PystoreErrors", async () => {
    const [small, large, medium] = await entries();
    await damageWheel(small);
    const pool = treePool(store.dir, [small, large, medium], { threads: 2, worker: compiled });
    try {
      const failure = await pool.intact(small).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PystoreError);
      expect((failure as PystoreError).code).toBe("STORE_CORRUPTED");
      expect((failure as PystoreError).message).toContain(small.filename);
      for (const entry of [large, medium]) {
        const { tree, created } = await pool.intact(entry);
        expect(created).toBe(true);
        expect(tree.index.files.map((f) => f.path)).toContain(`${entry.name}/blob.bin`);
      }
    } finally {
      await pool.close();
    }
    // Nothing half-made is left in the store's tmp/.
    expect(readdirSync(join(store.dir, "tmp")).filter((n) => n.includes("tree"))).toEqual([]);
  });

  it("removes what a thread had staged when the thread exits in the middle of a job", async () => {
    const [small, large] = await entries();
    // A thread that claims a job as the real one does (TreeThreadData), stages part of its tree, read-only
    // as a real one is, and then exits.
    const script = join(dir.path, "dying-worker.mjs");
    await writeFile(
      script,
      `import { workerData } from "node:worker_threads";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
const flags = new Int32Array(workerData.claims);
const job = workerData.order.find((j) => Atomics.compareExchange(flags, j, 0, 1) === 0);
if (job === undefined) process.exit(0);
Atomics.store(new Int32Array(workerData.current), workerData.thread, job + 1);
const { staging } = workerData.jobs[job];
mkdirSync(staging + "/files/pkg", { recursive: true });
writeFileSync(staging + "/files/pkg/mod.py", "X = 1\\n", { mode: 0o444 });
chmodSync(staging + "/files/pkg", 0o555);
process.exit(7);
`,
    );
    const pool = treePool(store.dir, [small, large], { threads: 2, worker: pathToFileURL(script) });
    try {
      for (const entry of [small, large]) {
        const failure = await pool.intact(entry).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(PystoreError);
        expect((failure as PystoreError).message).toMatch(/exited \(7\)/);
      }
    } finally {
      await pool.close();
    }
    expect(readdirSync(tmpDir(store.dir))).toEqual([]);
  });
});

describe("treePool on threads with little memory", () => {
  const compiled = new URL("../../dist/store/tree-worker.js", import.meta.url);
  it.runIf(existsSync(fileURLToPath(compiled)))("unpacks in this thread a wheel that runs a thread out of memory", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) files[`many/module_${i}.py`] = `VALUE = ${i}\n`;
    const many = await store.addWheelFile((await buildWheel({ name: "many", version: "1.0", files }, join(dir.path, "w"))).path);
    const other = await store.addWheelFile(
      (await buildWheel({ name: "other", version: "1.0", files: { "other/__init__.py": "X = 1\n" } }, join(dir.path, "w"))).path,
    );
    // 8 MB: the thread starts (on Node 22 a worker that cannot even deserialize its snapshot, under ~3 MB,
    // aborts the whole process instead of failing with ERR_WORKER_OUT_OF_MEMORY), and runs out of memory
    // on `many`'s index, on Node 20 and 22 alike.
    const pool = treePool(store.dir, [many, other], { threads: 2, worker: compiled, oldGenerationMb: 8 });
    try {
      const { tree, created } = await pool.intact(many);
      expect(created).toBe(true);
      expect(tree.index.files).toHaveLength(4000 + 3);
      expect((await pool.intact(other)).created).toBe(true);
    } finally {
      await pool.close();
    }
    // What the dead thread had staged is gone with it, not left for the next store open.
    expect(readdirSync(tmpDir(store.dir))).toEqual([]);
  });
});
