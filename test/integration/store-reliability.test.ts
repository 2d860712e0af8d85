// The store under crashes and concurrency, through the real CLI: kill -9 at each step of the write
// protocol, eight writers at once, and gc racing writers. Bounded: a few seconds each.

import { existsSync, readdirSync, statSync } from "node:fs";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { startIndexServer } from "../../fixtures/index-server.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { buildWheels } from "../store/helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

const cli = (store: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, ...env }, timeoutMs: 300_000 });

beforeAll(async () => {
  work = await tempDir("reliability");
  const specs = Array.from({ length: 12 }, (_, i) => ({
    name: `pkg${i}`,
    version: `1.${i}`,
    // Some bulk so writes span more than one chunk.
    files: { [`pkg${i}/__init__.py`]: `X = ${i}\n`, [`pkg${i}/data.bin`]: Buffer.alloc(200_000 + i, i) },
  }));
  wheels = await buildWheels(specs, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

async function listed(store: string): Promise<{ sha256: string; path: string; entryName: string }[]> {
  const run = await cli(store, ["store", "ls", "--json"]);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

function tmpFiles(store: string): string[] {
  return existsSync(join(store, "tmp")) ? readdirSync(join(store, "tmp")) : [];
}

async function expectConsistent(store: string, expected: BuiltWheel[]): Promise<void> {
  const entries = await listed(store);
  expect(entries.map((e) => e.sha256).sort()).toEqual(expected.map((w) => w.sha256).sort());
  // Each wheel stored once: one directory per entry, one file in it.
  const dirs = readdirSync(join(store, "wheels")).sort();
  expect(dirs).toEqual(entries.map((e) => e.entryName).sort());
  for (const d of dirs) expect(readdirSync(join(store, "wheels", d))).toHaveLength(1);
  const verify = await cli(store, ["store", "verify", "--json"]);
  expect(verify.code).toBe(0);
  expect(JSON.parse(verify.stdout).problems).toEqual([]);
}

describe("kill -9 during store add", () => {
  for (const point of ["during-write", "before-rename", "after-rename", "after-commit"] as const) {
    it(`at ${point}: verify is clean, debris is cleaned, the next run succeeds (repeatedly)`, async () => {
      const store = join(work.path, `crash-${point}`);
      // The second batch starts with a new wheel (so the crash leaves a file without a row) and overlaps the first.
      const batches = [wheels.slice(0, 2), [wheels[2], wheels[3], wheels[1]]];
      const done: BuiltWheel[] = [];
      for (const batch of batches) {
        const crashed = await cli(store, ["store", "add", ...batch.map((w) => w.path)], { PYSTORE_TEST_CRASH_AT: point });
        expect(crashed.code).toBe(128); // killed by SIGKILL
        if (point === "during-write") expect(tmpFiles(store).length).toBeGreaterThan(0);
        // Killed with the first wheel's temp file complete: every byte there, nothing linked into wheels/ yet.
        if (point === "before-rename") expect(tmpFiles(store).map((f) => statSync(join(store, "tmp", f)).size)).toContain(batch[0].size);
        // Whatever the crash left, the store is consistent: rows only for complete, verified files.
        const verify = await cli(store, ["store", "verify", "--json"]);
        expect(verify.code).toBe(0);
        expect(tmpFiles(store)).toEqual([]);
        if (point === "after-rename") expect(JSON.parse(verify.stdout).orphans.length).toBeGreaterThan(0);
        // The entry directory is made only at the link (step 6): killed before it, the writer left none.
        if (point === "before-rename") expect(JSON.parse(verify.stdout).orphans).toEqual([]);
        const rerun = await cli(store, ["store", "add", ...batch.map((w) => w.path)]);
        expect(rerun.stderr).toBe("");
        expect(rerun.code).toBe(0);
        for (const w of batch) if (!done.includes(w)) done.push(w);
        await expectConsistent(store, done);
      }
    });
  }
});

describe("kill -9 during a fetch download", () => {
  it("leaves only temp debris, which the next open removes; the next fetch succeeds", async () => {
    const store = join(work.path, "crash-fetch");
    const wheel = wheels[5];
    // The first download of the file stalls after some bytes; the retry is served normally.
    const server = await startIndexServer({
      wheels: [wheel],
      faults: { [`/files/${wheel.filename}`]: { type: "stall", afterBytes: 50_000, times: 1 } },
    });
    try {
      const script = join(work.path, "fetch-one.mjs");
      await writeFile(
        script,
        [
          `const { openStore } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, "dist/store/store.js")).href)});`,
          `const { IndexClient } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, "dist/index-client/client.js")).href)});`,
          `const [dir, index, name] = process.argv.slice(2);`,
          `const client = new IndexClient({ indexUrl: index, env: {}, retries: 0 });`,
          `const store = await openStore({ dir });`,
          `const [file] = await client.getProject(name);`,
          `const entry = await store.fetchWheel(file, client);`,
          `console.log(entry.sha256);`,
          `store.close(); await client.close();`,
        ].join("\n"),
      );
      const child = spawn(process.execPath, [script, store, server.url, "pkg5"], { stdio: "ignore" });
      // Wait until part of the download is on disk inside the store (bytes, not just the temp file, which
      // is opened before the request is sent), then kill -9 the writer.
      const deadline = Date.now() + 60_000;
      const hasBytes = (dir: string) =>
        readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile() && statSync(join(e.parentPath, e.name)).size > 0);
      const partial = () => tmpFiles(store).some((d) => d.startsWith(".tmp-fetch.") && hasBytes(join(store, "tmp", d)));
      while (!partial() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(partial()).toBe(true);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;

      const verify = await cli(store, ["store", "verify", "--json"]);
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout).checked).toBe(0);
      expect(tmpFiles(store)).toEqual([]);

      // Asynchronously: the index server runs in this process and must keep answering.
      const rerun = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const again = spawn(process.execPath, [script, store, server.url, "pkg5"]);
        let stdout = "";
        let stderr = "";
        again.stdout.on("data", (d) => (stdout += d));
        again.stderr.on("data", (d) => (stderr += d));
        again.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expect(rerun.stdout.trim()).toBe(wheel.sha256);
      await expectConsistent(store, [wheel]);
      expect(tmpFiles(store)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("concurrent writers", () => {
  it("eight processes adding overlapping sets to a fresh store all succeed, each wheel stored once", async () => {
    const store = join(work.path, "concurrent");
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const set = Array.from({ length: 6 }, (_, k) => wheels[(i * 2 + k) % wheels.length]);
        return cli(store, ["store", "add", ...set.map((w) => w.path)]);
      }),
    );
    for (const run of runs) {
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    }
    await expectConsistent(store, wheels);
    expect(tmpFiles(store)).toEqual([]);
  });

  it("gc racing writers deletes nothing in use", async () => {
    const store = join(work.path, "gc-race");
    const old = wheels.slice(0, 6);
    const fresh = wheels.slice(6);
    expect((await cli(store, ["store", "add", ...old.map((w) => w.path)])).code).toBe(0);
    // Age the old entries past gc's default grace period (an hour) instead of waiting for it.
    const db = new Database(join(store, "store.db"));
    db.prepare("UPDATE entries SET added_at = added_at - 2 * 3600 * 1000").run();
    db.close();
    const readded = old.slice(0, 3);
    const adders = Array.from({ length: 4 }, (_, i) => cli(store, ["store", "add", ...[...fresh.slice(i), ...readded].map((w) => w.path)]));
    const gcs = (async () => {
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await cli(store, ["store", "gc", "--json"]));
      return results;
    })();
    const [added, collected] = await Promise.all([Promise.all(adders), gcs]);
    for (const run of [...added, ...collected]) {
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    }
    const removed = new Set(collected.flatMap((r) => JSON.parse(r.stdout).removed.map((e: { sha256: string }) => e.sha256)));
    // Everything a writer added (or re-added) is present and intact, whatever gc did meanwhile.
    const entries = await listed(store);
    const present = new Set(entries.map((e) => e.sha256));
    for (const w of [...fresh, ...readded]) expect(present.has(w.sha256), w.filename).toBe(true);
    // gc did run: the unrooted, untouched old entries are gone.
    for (const w of old.slice(3)) {
      expect(removed.has(w.sha256)).toBe(true);
      expect(present.has(w.sha256)).toBe(false);
    }
    const verify = await cli(store, ["store", "verify"]);
    expect(verify.code).toBe(0);
  });
});
