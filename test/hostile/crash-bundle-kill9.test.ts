// kill -9 at seeded random moments of `pystore bundle` (dir, tar.gz, pyz), each time into a fresh store
// (so the kill can land in a download, a tree being unpacked, the staging tree, the archive or the final
// renames) and over the bundle an earlier run left at OUT: OUT is never half-written (whole and verifying
// when present), the store verifies clean, the next bundle removes the dead build's debris and gives the
// same bundle hash as an uninterrupted build. The paused, step-by-step interrupts are in
// test/integration/bundle-interrupt.test.ts. PYSTORE_SLOW_TESTS=1 runs fifty kills per format.

import { existsSync, readdirSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp.js";
import { type CrashCase, cli, crashFixture, crashLoop, crashSeed, type Fixture, ITERATIONS, SLOW, TARGET } from "./crash-kit.js";

let work: { path: string; cleanup: () => Promise<void> };
let fx: Fixture;

beforeAll(async () => {
  work = await tempDir("crash-bundle");
  // Three wheels: enough for downloads, trees and archives to take a while, few enough to loop quickly.
  fx = await crashFixture(work.path, 3);
}, 120_000);

afterAll(async () => {
  await fx?.server.close();
  await work?.cleanup();
});

describe("kill -9 at random moments of bundle", () => {
  it.each([
    ["dir", "app"],
    ["tar.gz", "app.tar.gz"],
    ["pyz", "app.pyz"],
  ])(
    "--format %s: OUT whole or absent, the rerun cleans up and gives the same bundle hash",
    async (format, name) => {
      const outDir = join(work.path, `out-${format}`);
      await mkdir(outDir, { recursive: true });
      const out = join(outDir, name);
      const store = join(work.path, `store-${format}`);
      const c: CrashCase = {
        name: `bundle --format ${format}`,
        cwd: work.path,
        store,
        args: ["bundle", "-l", fx.lock, ...TARGET, "--index-url", fx.server.url, "--format", format, "-o", out],
        prepare: () => rm(store, { recursive: true, force: true }),
        result: async (run) => {
          const hash = /bundle hash: ([0-9a-f]{64})/.exec(run.stdout + run.stderr)?.[1];
          expect(hash, run.stdout + run.stderr).toBeDefined();
          return hash!;
        },
        afterKill: async (context) => {
          // Killed between the two renames that replace an older dir bundle, OUT is briefly absent (the next
          // run puts the older one back or publishes the new one); whenever it is present it is whole.
          if (!existsSync(out)) return;
          const verify = await cli(work.path, store, ["bundle", "verify", out]);
          expect(verify.code, `${context}: ${verify.stdout}${verify.stderr}`).toBe(0);
        },
        settled: async (context) => {
          expect(readdirSync(outDir), context).toEqual([name]);
          const verify = await cli(work.path, store, ["bundle", "verify", out]);
          expect(verify.code, `${context}: ${verify.stdout}${verify.stderr}`).toBe(0);
        },
      };
      await crashLoop(c, ITERATIONS, crashSeed(c.name));
    },
    SLOW ? 1_800_000 : 120_000,
  );
});
