// `pystore fetch` starts the largest wheels first: a fetch ends when its last download does, and on a link
// where each connection is slow, a big wheel started last (the lock's name order) would run alone at the end.

import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { lockFor } from "../../fixtures/projects.js";
import { type BuiltWheel, buildWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let server: IndexServer;
let wheels: BuiltWheel[];

/** A wheel whose one module holds `bytes` random bytes (hex), so its compressed size follows. */
const sized = (name: string, bytes: number) =>
  buildWheel({ name, version: "1.0", files: { [`${name}/data.py`]: `DATA = "${randomBytes(bytes).toString("hex")}"\n` } }, join(work, "w"));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-fetch-order-"));
  // Name order (the lock's): alpha, bravo, charlie, delta; size order: bravo, charlie, alpha, delta.
  wheels = [await sized("alpha", 4_000), await sized("bravo", 120_000), await sized("charlie", 40_000), await sized("delta", 500)];
  server = await startIndexServer({ wheels });
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("fetch order", () => {
  it("downloads the locked wheels largest first, and reports them by name", async () => {
    const lockPath = join(work, "pylock.toml");
    await writeFile(lockPath, lockFor(wheels.map((wheel) => ({ wheel, url: `${server.origin}/files/${wheel.filename}` }))));
    const run = await runCli(["fetch", "--frozen", "-j", "1", "-l", lockPath, "--json"], { env: { PYSTORE_STORE: join(work, "store") } });
    expect(run.stderr).not.toContain("internal error");
    expect(run.code).toBe(0);
    const downloads = server.requests.filter((r) => r.path.startsWith("/files/")).map((r) => r.path.slice("/files/".length));
    const bySize = [...wheels].sort((a, b) => b.size - a.size).map((w) => w.filename);
    expect(bySize.map((f) => f.split("-")[0])).toEqual(["bravo", "charlie", "alpha", "delta"]);
    expect(downloads).toEqual(bySize);
    const report = JSON.parse(run.stdout) as { wheels: { filename: string }[] };
    expect(report.wheels.map((w) => w.filename)).toEqual(wheels.map((w) => w.filename));
  });
});
