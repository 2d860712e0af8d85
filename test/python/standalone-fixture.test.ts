// The relocatable-interpreter fixture itself: a copy of the host's Python that runs from another directory.

import { spawnSync } from "node:child_process";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStandalonePython, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const unavailable = standaloneUnavailable();
let work: TempDir;
beforeAll(async () => {
  work = await tempDir("standalone");
});
afterAll(async () => {
  await work?.cleanup();
});

describe.skipIf(unavailable !== undefined)("fixtures/python-standalone.ts", () => {
  it("builds an install_only tree whose python3 runs after the tree is moved, without PATH", () => {
    buildStandalonePython(join(work.path, "built"));
    renameSync(join(work.path, "built"), join(work.path, "moved"));
    const root = join(work.path, "moved", "python");
    const run = spawnSync(join(root, "bin", "python3"), ["-S", "-c", "import sys, json, ssl, sqlite3; print(sys.prefix)"], {
      env: { PATH: "/nonexistent" },
      cwd: "/",
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe(root);
  });
});
