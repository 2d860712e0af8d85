// The README's first command runs docs/examples/two-tools/demo.sh: keep it true by running it here.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

const WHEELS = "/usr/share/python-wheels";

describe("README demo (two executables sharing a local library, bundled offline)", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("locks, fetches, bundles, moves and runs both executables, and the bundle verifies", async () => {
    // .ci/run installs python3-pip-whl; without it the demo has nothing to lock.
    expect(
      readdirSync(WHEELS).some((f) => /^pip-.*\.whl$/.test(f)),
      `a pip wheel in ${WHEELS}`,
    ).toBe(true);
    dir = await mkdtemp(join(tmpdir(), "pystore-demo-"));
    const out = join(dir, "demo");
    const result = spawnSync("sh", [join(REPO_ROOT, "docs/examples/two-tools/demo.sh")], {
      env: { ...process.env, PYSTORE_DEMO_DIR: out, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 180_000,
    });
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("hello from thing-a (world)");
    expect(result.stdout).toMatch(/hello from thing-b \(pip \d+\.\d+(\.\d+)? from .*opt-two-tools\/site-packages\/pip\/__init__\.py\)/);
    expect(existsSync(join(out, "two-tools.tar.gz"))).toBe(true);
    expect(existsSync(join(out, "app", "pylock.toml"))).toBe(true);
  });
});
