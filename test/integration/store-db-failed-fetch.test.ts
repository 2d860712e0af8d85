// What a failed `fetch` leaves in the store (docs/exit-codes.md, "Guarantees"): every wheel it had
// completely downloaded and verified, each with its row; nothing partial (no row without its file, no
// file without its row, no temp debris); and no root, since the fetch did not finish.

import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: TempDir;
let wheels: BuiltWheel[];
let server: IndexServer;
let lock: string;

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store }, timeoutMs: 120_000 });

beforeAll(async () => {
  work = await tempDir("failed-fetch");
  // The missing wheel (the last) is the smallest, so a fetch that goes largest first reaches it last.
  wheels = await buildWheels(
    Array.from({ length: 5 }, (_, i) => ({
      name: `ffpkg${i}`,
      version: "1.0",
      ...(i < 4 ? { files: { [`ffpkg${i}/data.txt`]: randomBytes(2_000 * (i + 1)).toString("hex") } } : {}),
    })),
    join(work.path, "wheels"),
  );
  // The last wheel's file is gone from the index; its metadata (PEP 658) still lets the lock resolve.
  const missing = wheels[4].filename;
  server = await startIndexServer({ wheels, faults: { [`/files/${missing}`]: { type: "status", status: 404 } } });
  lock = join(work.path, "pylock.toml");
  const locked = await runCli(
    ["lock", ...wheels.map((_, i) => `ffpkg${i}`), "-o", lock, "--project", work.path, "--platform", "host", "--index-url", server.url],
    { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "lock-store") }, timeoutMs: 120_000 },
  );
  expect(locked.code, locked.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

describe("a fetch that fails on one wheel", () => {
  for (const jobs of ["1", "4"]) {
    it(`keeps the complete, verified wheels and nothing partial (--jobs ${jobs})`, async () => {
      const store = join(work.path, `store-j${jobs}`);
      const fetched = await cli(store, "fetch", "-l", lock, "--index-url", server.url, "--jobs", jobs);
      expect(fetched.code, fetched.stderr).toBe(5);
      expect(fetched.stderr).toContain(wheels[4].filename);
      const listed = JSON.parse((await cli(store, "store", "ls", "--json")).stdout) as { sha256: string }[];
      const stored = new Set(listed.map((e) => e.sha256));
      expect(stored.has(wheels[4].sha256)).toBe(false);
      // One worker downloads largest first, so it had finished every other wheel before the missing one.
      if (jobs === "1")
        expect([...stored].sort()).toEqual(
          wheels
            .slice(0, 4)
            .map((w) => w.sha256)
            .sort(),
        );
      const verify = await cli(store, "store", "verify", "--json");
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ problems: [], orphans: [], checked: listed.length });
      expect(existsSync(join(store, "tmp")) ? readdirSync(join(store, "tmp")) : []).toEqual([]);
      // Not finished, so not a root: the next successful fetch of this lock registers it.
      expect(JSON.parse((await cli(store, "store", "roots", "--json")).stdout)).toEqual([]);
    });
  }
});
