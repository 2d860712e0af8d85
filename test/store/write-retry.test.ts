// The write protocol's retries and refusals, deterministically: a gc that takes a writer's entry
// directory between its link and its commit (steps 6 and 8 of store-format/store-layout.md), and a
// database that cannot take the row because its disk is full.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { openStore } from "../../src/store/store.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "./helpers.js";

let work: TempDir;
let wheel: BuiltWheel;

beforeAll(async () => {
  work = await tempDir("write-retry");
  [wheel] = await buildWheels(
    [{ name: "retrypkg", version: "1.0", files: { "retrypkg/__init__.py": "", "retrypkg/data.bin": Buffer.alloc(64_000, 7) } }],
    join(work.path, "wheels"),
  );
});
afterAll(() => work.cleanup());

/**
 * A stand-in for gc's step 2 in another process: it takes the database write lock first, then, each
 * time the wheel appears in wheels/, moves its entry directory into tmp/ unless its row is back (as gc
 * does) and lets the lock go only after the move. The writer's commit waits for that lock, so it always finds its file gone.
 */
function gcThief(store: string, filename: string, times: number): { ready: Promise<void>; done: Promise<number> } {
  const script = `
    const Database = require(${JSON.stringify(join(REPO_ROOT, "node_modules/better-sqlite3"))});
    const fs = require("node:fs"); const path = require("node:path");
    const [store, filename, times] = process.argv.slice(1);
    const db = new Database(path.join(store, "store.db"), { timeout: 60000 });
    const wheels = path.join(store, "wheels");
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    let moved = 0;
    for (let round = 0; round < Number(times); round++) {
      db.prepare("BEGIN IMMEDIATE").run();
      if (round === 0) process.stdout.write("locked\\n");
      const deadline = Date.now() + 30000;
      let found;
      while (!found && Date.now() < deadline) {
        found = fs.readdirSync(wheels).find((d) => fs.existsSync(path.join(wheels, d, filename)));
        if (!found) sleep(5);
      }
      // As gc does: a directory whose row is back stays.
      const claimed = found && db.prepare("SELECT 1 FROM entries WHERE entry_name = ?").get(found);
      if (found && !claimed) { fs.renameSync(path.join(wheels, found), path.join(store, "tmp", ".tmp-gc." + process.pid + "." + round)); moved++; }
      db.prepare("COMMIT").run();
    }
    db.close();
    process.exit(moved);
  `;
  const child = spawn(process.execPath, ["-e", script, store, filename, String(times)], { stdio: ["ignore", "pipe", "inherit"] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    child.on("exit", () => reject(new Error("the lock holder exited before taking the lock")));
  });
  const done = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { ready, done };
}

describe("a gc taking the entry directory between link and commit", () => {
  it("the writer writes its file again (step 8 → step 3) and commits an entry whose file is there", async () => {
    const dir = join(work.path, "retry-store");
    const store = await openStore({ dir });
    try {
      const thief = gcThief(dir, wheel.filename, 1);
      await thief.ready;
      const { entry, status } = await store.addWheel(wheel.path);
      expect(await thief.done).toBe(1);
      expect(status).toBe("added");
      expect(existsSync(entry.path)).toBe(true);
      expect(store.readVerified(entry).length).toBe(wheel.size);
      expect(store.get(wheel.sha256)?.entryName).toBe(entry.entryName);
    } finally {
      store.close();
    }
  }, 60_000);

  it("the link step makes the entry directory only at the link (ENOENT → mkdir → link again), leaving no temp debris", async () => {
    const dir = join(work.path, "link-store");
    const store = await openStore({ dir });
    try {
      // No entry directory exists before the write: the link answers ENOENT and makes it.
      expect(readdirSync(join(dir, "wheels"))).toEqual([]);
      const { entry } = await store.addWheel(wheel.path);
      expect(store.readVerified(entry).length).toBe(wheel.size);
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      store.close();
    }
  });
});

const mountProbe = (() => {
  if (process.getuid?.() !== 0) return "not root: cannot mount a tmpfs";
  return undefined;
})();

describe.skipIf(mountProbe !== undefined)(`the database commit on a full disk${mountProbe ? ` (skipped: ${mountProbe})` : ""}`, () => {
  it("is STORE_IO naming the database; no row, no file, no temp debris", async () => {
    const dir = join(work.path, "full-db");
    mkdirSync(dir);
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir], { encoding: "utf8" });
    if (mount.status !== 0) {
      console.warn(`skipped: mount -t tmpfs is not permitted here: ${mount.stderr}`);
      return;
    }
    try {
      const store = await openStore({ dir });
      try {
        // Fill the disk so exactly the wheel fits (tmpfs counts whole 4 KiB pages) and the WAL frames of
        // its row do not.
        const { bavail, bsize } = statfsSync(dir);
        const wheelPages = Math.ceil(wheel.size / bsize);
        writeFileSync(join(dir, "filler"), Buffer.alloc((bavail - wheelPages) * bsize));
        const error = await store.addWheel(wheel.path).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PystoreError);
        expect((error as PystoreError).code).toBe("STORE_IO");
        expect((error as PystoreError).message).toContain(join(dir, "store.db"));
        expect((error as PystoreError).message).toContain(wheel.filename);
        expect(store.get(wheel.sha256)).toBeUndefined();
        expect(readdirSync(join(dir, "wheels"))).toEqual([]);
        expect(readdirSync(join(dir, "tmp"))).toEqual([]);
      } finally {
        store.close();
      }
    } finally {
      spawnSync("umount", [dir]);
    }
  });
});
