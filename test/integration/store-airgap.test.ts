// The air-gap workflow end to end: lock + fetch + export on a connected machine, then import and
// `bundle --offline` inside a network namespace with no interfaces up (`unshare -n`).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { buildWheels } from "../store/helpers.js";
import { tempDir } from "../helpers/temp.js";

// Needs permission to create a network namespace (root or user namespaces); skipped where the machine refuses.
const canUnshare = spawnSync("unshare", ["-n", "true"]).status === 0;

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let server: IndexServer;

beforeAll(async () => {
  work = await tempDir("airgap");
  wheels = await buildWheels(
    [
      { name: "airgap-app", version: "1.0", requiresDist: ["airgap-lib>=2"] },
      { name: "airgap-lib", version: "2.0" },
      { name: "airgap-lib", version: "1.0" },
    ],
    join(work.path, "wheels"),
  );
  server = await startIndexServer({ wheels });
});
afterAll(async () => {
  await server.close();
  await work.cleanup();
});

function offline(store: string, args: string[]) {
  return spawnSync("unshare", ["-n", process.execPath, PYSTORE_BIN, ...args], {
    cwd: work.path,
    env: { ...process.env, NO_COLOR: "1", PYSTORE_STORE: store },
    encoding: "utf8",
    timeout: 180_000,
  });
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name && entry.parentPath.endsWith("airgap_app")) return join(entry.parentPath, entry.name);
  }
  return undefined;
}

describe("air-gapped workflow", () => {
  it.skipIf(!canUnshare)("lock, fetch and export online; import and bundle --offline with no network", async () => {
    const online = join(work.path, "online-store");
    const lock = join(work.path, "pylock.toml");
    const env = { PYSTORE_STORE: online };
    const locked = await runCli(["lock", "airgap-app", "--python", "3.11", "--index-url", server.url, "-o", lock], { cwd: work.path, env });
    expect(locked.stderr + locked.stdout).not.toContain("error:");
    expect(locked.code).toBe(0);
    const fetched = await runCli(["fetch", "-l", lock], { cwd: work.path, env });
    expect(fetched.code).toBe(0);
    const closure = join(work.path, "closure.tar");
    const exported = await runCli(["store", "export", "-l", lock, "-o", closure], { cwd: work.path, env });
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain("2 wheel(s)");

    const gapped = join(work.path, "gapped-store");
    const imported = offline(gapped, ["store", "import", closure]);
    expect(imported.stderr).toBe("");
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain("imported 2 new wheel(s)");

    const out = join(work.path, "bundle");
    const bundled = offline(gapped, ["bundle", "-l", lock, "--python", "3.11", "--offline", "-o", out]);
    expect(bundled.stderr + bundled.stdout).not.toContain("error:");
    expect(bundled.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(findFile(out, "__init__.py")).toBeDefined();
    const verified = offline(gapped, ["bundle", "verify", out]);
    expect(verified.status).toBe(0);

    // And the gap is real: inside the namespace the index cannot be reached.
    const cut = offline(join(work.path, "cut-store"), [
      "lock",
      "airgap-app",
      "--python",
      "3.11",
      "--index-url",
      server.url,
      "-o",
      join(work.path, "never.toml"),
    ]);
    expect(cut.status).not.toBe(0);
  });
});
