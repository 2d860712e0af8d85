// LinkPool (src/install/link-pool.ts): wheels' store files linked into a staging tree, in this thread and
// on the compiled link thread (after `npm run build`): every file under its directories, a damaged tree
// reported with nothing of it linked (and linked once extracted again), a failure crossing the thread
// with the fields an fs error carries, and a thread that dies failing the build rather than hanging it.

import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { FileImporter } from "../../src/install/importer.js";
import { LinkPool, type LinkPoolOptions, type NewLinkJob } from "../../src/install/link-pool.js";
import { TreeWriter } from "../../src/install/tree-writer.js";
import { openStore, type Store } from "../../src/store/store.js";
import { ensureTree, extractAgain, type Tree } from "../../src/store/tree.js";
import { packTreeFiles } from "../../src/install/intact-files.js";
import type { StoreEntry } from "../../src/store/entries.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let dir: TempDir;
let store: Store;

beforeEach(async () => {
  dir = await tempDir("link-pool");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterEach(async () => {
  store?.close();
  await dir?.cleanup();
});

const quiet = { info() {}, warn() {}, debug() {} };

/** Three wheels with nested packages; their trees in the store. */
async function trees(): Promise<{ entry: StoreEntry; tree: Tree }[]> {
  const out: { entry: StoreEntry; tree: Tree }[] = [];
  for (const name of ["alpha", "beta", "gamma"]) {
    const files: Record<string, string> = {};
    // Bytes of their own per wheel: the store's file pool would otherwise make equal members one inode.
    for (let i = 0; i < 12; i++) files[`${name}/sub${i % 3}/m${i}.py`] = `${name[0]} = ${i}\n`;
    const wheel = await buildWheel({ name, version: "1.0", files }, join(dir.path, "w"));
    const entry = await store.addWheelFile(wheel.path);
    out.push({ entry, tree: (await ensureTree(store.dir, entry)).tree });
  }
  return out;
}

/** The job that links every file of `tree` under site-packages/, checking the tree first. */
function jobFor(tree: Tree): NewLinkJob {
  const files = tree.index.files;
  return {
    sources: files.map((f) => `${tree.filesDir}/${f.path}`).join("\0"),
    targets: files.map((f) => `site-packages/${f.path}`).join("\0"),
    executable: Uint8Array.from(files.map((f) => (f.executable ? 1 : 0))),
    check: packTreeFiles(tree),
  };
}

const compiled = new URL("../../dist/install/link-worker.js", import.meta.url);
const ways: [string, LinkPoolOptions, boolean][] = [
  ["in this thread", { threads: 0 }, true],
  // Every job but the first (which probes the link mode here) is left to the thread.
  [
    "on the compiled link thread",
    { worker: compiled, threads: 1, startNow: true, helpThreads: false },
    existsSync(fileURLToPath(compiled)),
  ],
];

for (const [how, options, possible] of ways) {
  describe.runIf(possible)(`LinkPool ${how}`, () => {
    const pool = async () => {
      const staging = join(dir.path, "staging");
      await mkdir(staging);
      const writer = new TreeWriter(staging);
      return { staging, pool: new LinkPool(writer, new FileImporter(quiet), 3, options) };
    };

    it("hardlinks every file under its directories", async () => {
      const all = await trees();
      const { staging, pool: links } = await pool();
      try {
        for (const { tree } of all) links.add(jobFor(tree));
        expect(await links.finish()).toEqual([]);
      } finally {
        await links.close();
      }
      for (const { tree } of all) {
        for (const file of tree.index.files) {
          expect(statSync(join(staging, "site-packages", file.path)).ino).toBe(statSync(join(tree.filesDir, file.path)).ino);
        }
      }
    });

    it("reports a damaged tree and links none of it; once extracted again, relinks it", async () => {
      const all = await trees();
      const { entry, tree } = all[2];
      const victim = join(tree.filesDir, "gamma/sub1/m4.py");
      await chmod(join(tree.filesDir, "gamma/sub1"), 0o755);
      await chmod(victim, 0o644);
      // The same size, so only the hash tells.
      await writeFile(victim, "X = 9\n");
      const { staging, pool: links } = await pool();
      try {
        for (const { tree: t } of all) links.add(jobFor(t));
        expect(await links.finish()).toEqual([{ id: 2, damaged: "gamma/sub1/m4.py" }]);
        expect(existsSync(join(staging, "site-packages", "gamma"))).toBe(false);
        expect(existsSync(join(staging, "site-packages", "beta/sub1/m4.py"))).toBe(true);
        await extractAgain(store.dir, entry);
        links.relink(2);
      } finally {
        await links.close();
      }
      expect(await readFile(join(staging, "site-packages", "gamma/sub1/m4.py"), "utf8")).toBe("g = 4\n");
    });

    it("a file that cannot be linked fails the whole, with the error's code and paths", async () => {
      const all = await trees();
      const { staging, pool: links } = await pool();
      await mkdir(join(staging, "site-packages/beta/sub0"), { recursive: true });
      await writeFile(join(staging, "site-packages/beta/sub0/m3.py"), "in the way\n");
      try {
        for (const { tree } of all) links.add(jobFor(tree));
        const failure = await links.finish().then(
          () => undefined,
          (error: NodeJS.ErrnoException & { dest?: string }) => error,
        );
        expect(failure?.code).toBe("EEXIST");
        expect(failure?.syscall).toBe("link");
        expect(failure?.path).toBe(join(all[1].tree.filesDir, "beta/sub0/m3.py"));
        expect(failure?.dest).toBe(join(staging, "site-packages/beta/sub0/m3.py"));
      } finally {
        await links.close();
      }
    });
  });
}

it("a link thread that dies fails the build instead of leaving it waiting", async () => {
  const all = await trees();
  const script = join(dir.path, "dying-link-thread.mjs");
  await writeFile(script, `import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => process.exit(3));\n`);
  const staging = join(dir.path, "staging");
  await mkdir(staging);
  const links = new LinkPool(new TreeWriter(staging), new FileImporter(quiet), 3, {
    worker: pathToFileURL(script),
    threads: 1,
    startNow: true,
    helpThreads: false,
  });
  try {
    for (const { tree } of all) links.add(jobFor(tree));
    const failure = await links.finish().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PystoreError);
    expect((failure as PystoreError).message).toMatch(/exited \(3\)/);
  } finally {
    await links.close();
  }
});
