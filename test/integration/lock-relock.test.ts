// Re-locking: a bare `pystore lock` re-runs with the inputs the lock records (requirement files, index,
// targets, prerelease, exclude-newer), flags replace what they name, `--upgrade` reports what changed, and a
// lock missing a target hints at a command that keeps the others.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli, type CliResult } from "../helpers/cli.js";

let work: string;
let server: IndexServer;
let later: IndexServer;
let env: NodeJS.ProcessEnv;

async function cli(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: { ...env, ...extraEnv } });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

async function tool(path: string): Promise<Record<string, unknown>> {
  return parsePylock(await readFile(path, "utf8"), path).tool?.pystore as Record<string, unknown>;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-relock-"));
  const first = await Promise.all([
    buildWheel({ name: "alpha", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "beta", version: "1.0" }, join(work, "wheels")),
  ]);
  const second = [
    ...first,
    ...(await Promise.all([
      buildWheel({ name: "alpha", version: "2.0" }, join(work, "wheels2")),
      buildWheel({ name: "gamma", version: "1.0" }, join(work, "wheels2")),
    ])),
  ];
  server = await startIndexServer({ wheels: first });
  later = await startIndexServer({ wheels: second });
  // No index in the environment: a re-lock that forgot the recorded one would go to pypi.org (and fail offline).
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: "", PYSTORE_OFFLINE: "" };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await later?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a bare pystore lock", () => {
  it("re-runs with the recorded requirement files, index and targets, and says so", async () => {
    const dir = join(work, "bare");
    await mkdir(join(dir, "reqs"), { recursive: true });
    await writeFile(join(dir, "reqs", "base.in"), "alpha\n");
    const made = await cli(
      [
        "lock",
        "-r",
        "reqs/base.in",
        "--index-url",
        server.url,
        "--platform",
        "manylinux_x86_64",
        "--platform",
        "win_amd64",
        "--python",
        "3.11",
      ],
      dir,
    );
    expect(made.code, made.stderr).toBe(0);
    const before = await tool(join(dir, "pylock.toml"));

    await writeFile(join(dir, "reqs", "base.in"), "alpha\nbeta\n");
    const stale = await cli(["lock", "--check"], dir);
    expect(stale.code).toBe(1);

    const relock = await cli(["lock"], dir);
    expect(relock.code, relock.stderr).toBe(0);
    expect(relock.stderr).toMatch(/using the inputs recorded in .*pylock\.toml/);
    expect(relock.stderr).toContain("reqs/base.in");
    expect(relock.stderr).toMatch(/: 2 packages, \d+ wheels?, 2 targets/);
    const after = await tool(join(dir, "pylock.toml"));
    expect(after["requirement-files"]).toEqual(["reqs/base.in"]);
    expect(after["index-url"]).toBe(before["index-url"]);
    expect(after.targets).toEqual(before.targets);
    expect((await cli(["lock", "--check"], dir)).code).toBe(0);

    // A flag replaces only what it names: a new index, the recorded files and targets kept.
    const moved = await cli(["lock", "--index-url", later.url, "--upgrade"], dir);
    expect(moved.code, moved.stderr).toBe(0);
    const upgraded = await tool(join(dir, "pylock.toml"));
    expect(upgraded["index-url"]).not.toBe(before["index-url"]);
    expect(upgraded["requirement-files"]).toEqual(["reqs/base.in"]);
    expect(upgraded.targets).toEqual(before.targets);
  });
});

describe("lock --upgrade", () => {
  it("prints one line per changed package, and nothing when nothing changed", async () => {
    const dir = join(work, "upgrade");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "reqs.in"), "alpha\nbeta\n");
    const made = await cli(["lock", "-r", "reqs.in", "--index-url", server.url, "--platform", "win_amd64", "--python", "3.11"], dir);
    expect(made.code, made.stderr).toBe(0);

    const same = await cli(["lock", "--upgrade"], dir);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain("→");

    await writeFile(join(dir, "reqs.in"), "alpha\ngamma\n");
    const up = await cli(["lock", "--upgrade", "--index-url", later.url, "--json"], dir);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain("alpha 1.0 → 2.0");
    expect(up.stderr).toContain("beta 1.0 → (removed)");
    expect(up.stderr).toContain("gamma (added) → 1.0");
    const report = JSON.parse(up.stdout) as { changes: unknown[] };
    expect(report.changes).toEqual([
      { name: "alpha", old: "1.0", new: "2.0" },
      { name: "beta", old: "1.0", new: null },
      { name: "gamma", old: null, new: "1.0" },
    ]);
  });
});

describe("a lock without the requested target", () => {
  it("hints at a command that keeps the lock's other targets", async () => {
    const dir = join(work, "missing-target");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "reqs.in"), "alpha\n");
    const made = await cli(["lock", "-r", "reqs.in", "--index-url", server.url, "--platform", "win_amd64", "--python", "3.11"], dir);
    expect(made.code, made.stderr).toBe(0);
    const missing = await cli(["export", "requirements", "--platform", "macosx_11_0_arm64", "--python", "3.12"], dir);
    expect(missing.code).not.toBe(0);
    const hint = /hint: .*?(pystore lock[^\n]*)/.exec(missing.stderr)?.[1];
    expect(hint, missing.stderr).toBeDefined();
    expect(hint).toContain("--add-target macosx_11_0_arm64:3.12");

    // The hinted command, run as given, keeps both targets.
    const args = hint!
      .replace(/^pystore /, "")
      .split(/\s+/)
      .filter(Boolean);
    const added = await cli(args, dir);
    expect(added.code, added.stderr).toBe(0);
    const ids = ((await tool(join(dir, "pylock.toml"))).targets as { id: string }[]).map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(["win_amd64-cp311", expect.stringMatching(/^macosx_11_0_arm64-cp312$/)]));
    expect(ids).toHaveLength(2);
  });
});
