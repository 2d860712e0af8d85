// `store gc` keeps what a lock reaches whatever the case of its hashes: a lock edited or written by another
// tool may record upper-case sha256 hex, and its root must still match the store's lower-case digests.

import { readFile, writeFile } from "node:fs/promises";
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

beforeAll(async () => {
  work = await tempDir("gc-digests");
  wheels = await buildWheels(
    [
      { name: "alpha", version: "1.0", requiresDist: ["beta"] },
      { name: "beta", version: "1.0" },
      { name: "unused", version: "1.0" },
    ],
    join(work.path, "wheels"),
  );
  server = await startIndexServer({ wheels });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

describe("store gc with a lock written with upper-case sha256 hashes", () => {
  it("keeps every wheel the lock names and removes the rest", async () => {
    const env = { PYSTORE_STORE: join(work.path, "store") };
    const cli = (...args: string[]) => runCli(args, { cwd: work.path, env });
    const lockPath = join(work.path, "pylock.toml");
    const lock = await cli(
      "lock",
      "alpha",
      "--index-url",
      server.url,
      "--platform",
      "manylinux_x86_64",
      "--python",
      "3.11",
      "-o",
      lockPath,
    );
    expect(lock.code).toBe(0);
    // The same lock with every hash in upper-case hex (PEP 751 does not fix the case).
    const upper = (await readFile(lockPath, "utf8")).replace(
      /sha256 = "([0-9a-f]{64})"/g,
      (_m, hex: string) => `sha256 = "${hex.toUpperCase()}"`,
    );
    expect(upper).toContain(wheels[0].sha256.toUpperCase());
    await writeFile(lockPath, upper);

    const fetch = await cli("fetch", "-l", lockPath);
    expect(fetch.stderr).not.toContain("error");
    expect(fetch.code).toBe(0);
    const add = await cli("store", "add", wheels[2].path);
    expect(add.code).toBe(0);
    const roots = JSON.parse((await cli("store", "roots", "--json")).stdout) as { path: string; stale: boolean; sha256s: string[] }[];
    // `lock` registered a lock root, `fetch` a fetch root; both point at the now upper-case file.
    expect(roots.map((r) => [r.path, r.stale, r.sha256s])).toEqual([
      [lockPath, false, [wheels[0].sha256, wheels[1].sha256].sort()],
      [lockPath, false, [wheels[0].sha256, wheels[1].sha256].sort()],
    ]);

    const gc = await cli("store", "gc", "--grace", "0", "--json");
    expect(gc.code).toBe(0);
    expect(JSON.parse(gc.stdout).removed.map((r: { sha256: string }) => r.sha256)).toEqual([wheels[2].sha256]);
    const left = JSON.parse((await cli("store", "ls", "--json")).stdout) as { sha256: string }[];
    expect(left.map((e) => e.sha256).sort()).toEqual([wheels[0].sha256, wheels[1].sha256].sort());
  });
});
