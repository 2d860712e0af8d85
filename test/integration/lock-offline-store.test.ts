// `lock --offline` on an air-gapped machine: the wheels imported into the store serve as an index, and the
// lock records them as they were recorded when fetched (their origin URL and index), ready for fetch.

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli, type CliResult } from "../helpers/cli.js";

let work: string;
let server: IndexServer;
let wheels: BuiltWheel[];

async function cli(args: string[], cwd: string, store: string): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: { PYSTORE_STORE: store, PYSTORE_INDEX_URL: "" } });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-offline-store-"));
  wheels = await Promise.all([
    buildWheel({ name: "gap-app", version: "1.0", requiresDist: ["gap-lib>=1"] }, join(work, "wheels")),
    buildWheel({ name: "gap-lib", version: "1.0" }, join(work, "wheels")),
  ]);
  server = await startIndexServer({ wheels });
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("lock --offline", () => {
  it("locks from the wheels an imported closure put in the store, and says so", async () => {
    const online = join(work, "online");
    await mkdir(online, { recursive: true });
    const lock = join(online, "pylock.toml");
    const made = await cli(
      ["lock", "gap-app", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", server.url],
      online,
      join(work, "store-online"),
    );
    expect(made.code, made.stderr).toBe(0);
    expect((await cli(["fetch", "-l", lock], online, join(work, "store-online"))).code).toBe(0);
    const closure = join(work, "closure.tar");
    expect((await cli(["store", "export", "-l", lock, "-o", closure], online, join(work, "store-online"))).code).toBe(0);
    const expected = parsePylock(await readFile(lock, "utf8"));

    // The gapped machine: a fresh store (no HTTP cache) holding only the imported closure.
    const gapped = join(work, "gapped");
    await mkdir(gapped, { recursive: true });
    const store = join(work, "store-gapped");
    expect((await cli(["store", "import", closure], gapped, store)).code).toBe(0);
    const offline = await cli(
      ["lock", "gap-app", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", server.url, "--offline"],
      gapped,
      store,
    );
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/offline: .*store/);
    const locked = parsePylock(await readFile(join(gapped, "pylock.toml"), "utf8"));
    expect(locked.packages.map((p) => [p.name, p.version, p.index, p.wheels?.map((w) => [w.name, w.url, w.hashes.sha256])])).toEqual(
      expected.packages.map((p) => [p.name, p.version, p.index, p.wheels?.map((w) => [w.name, w.url, w.hashes.sha256])]),
    );
    // What the store holds is what fetch needs: nothing to download.
    const fetched = await cli(["fetch", "--offline"], gapped, store);
    expect(fetched.code, fetched.stderr).toBe(0);

    // A project the store lacks still fails as offline locking does.
    const missing = await cli(
      ["lock", "not-there", "--python", "3.11", "--index-url", server.url, "--offline", "-o", "x.toml"],
      gapped,
      store,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("offline");
  });
});
