// `lock --check` as a CI gate: with no flags it takes targets, indexes, prerelease, exclude-newer and
// requirements files from the lock's own [tool.pystore] table and compares only the project's inputs;
// a bare re-lock keeps the recorded targets; `host` is recorded as the concrete platform.

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
let env: NodeJS.ProcessEnv;

const pyproject = (deps: string[]) => `[project]\nname = "gate-app"\nversion = "0.1.0"\ndependencies = ${JSON.stringify(deps)}\n`;

async function cli(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: { ...env, ...extraEnv } });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

async function recordedTargets(path: string): Promise<unknown> {
  const lock = parsePylock(await readFile(path, "utf8"), path);
  return (lock.tool?.pystore as Record<string, unknown> | undefined)?.targets;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-lock-check-"));
  const wheels = await Promise.all([
    buildWheel({ name: "alpha", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "alpha", version: "2.0" }, join(work, "wheels")),
    buildWheel({ name: "beta", version: "1.0" }, join(work, "wheels")),
  ]);
  server = await startIndexServer({ wheels, uploadTimes: Object.fromEntries(wheels.map((w) => [w.filename, "2024-01-01T00:00:00Z"])) });
  // PYSTORE_INDEX_URL stands for the developer's index setting: --check must not need it again.
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: "" };
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("lock --check with no flags", () => {
  it("is fresh against the lock's own inputs, stale naming a changed dependency, and a bare lock keeps both targets", async () => {
    const dir = join(work, "two-targets");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha>=1"]));
    const made = await cli(
      [
        "lock",
        "--platform",
        "manylinux_x86_64",
        "--platform",
        "win_amd64",
        "--python",
        "3.11",
        "--prerelease",
        "disallow",
        "--exclude-newer",
        "2030-01-01",
      ],
      dir,
      {
        PYSTORE_INDEX_URL: server.url,
      },
    );
    expect(made.code, made.stderr).toBe(0);
    const lockPath = join(dir, "pylock.toml");
    const targets = await recordedTargets(lockPath);
    expect((targets as { id: string }[]).map((t) => t.id)).toEqual([
      expect.stringMatching(/^manylinux_2_\d+_x86_64-cp311$/),
      "win_amd64-cp311",
    ]);

    const fresh = await cli(["lock", "--check"], dir);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain("up to date");

    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha>=1", "beta"]));
    const stale = await cli(["lock", "--check", "--json"], dir);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/requirements changed: \+"beta"/);
    const report = JSON.parse(stale.stdout) as { fresh: boolean; reasons: string[] };
    expect(report.fresh).toBe(false);
    // Only the dependency changed: targets, index, prerelease and exclude-newer came from the lock.
    expect(report.reasons).toHaveLength(1);

    const relock = await cli(["lock"], dir, { PYSTORE_INDEX_URL: server.url });
    expect(relock.code, relock.stderr).toBe(0);
    expect(relock.stderr).toMatch(/: 2 packages, \d+ wheels?, 2 targets/);
    expect(await recordedTargets(lockPath)).toEqual(targets);
    expect((await cli(["lock", "--check"], dir)).code).toBe(0);

    // Flags still win over what the lock records.
    const narrowed = await cli(["lock", "--check", "--platform", "win_amd64", "--python", "3.11"], dir);
    expect(narrowed.code).toBe(1);
    expect(narrowed.stderr).toMatch(/targets changed: -.*manylinux_2_\d+_x86_64-cp311/);
  });

  it("records a host target as its concrete platform, so --check elsewhere compares platform names", async () => {
    const dir = join(work, "host");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), pyproject(["beta"]));
    const made = await cli(["lock", "--platform", "host", "--index-url", server.url], dir);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain("1 package,");
    const [target] = (await recordedTargets(join(dir, "pylock.toml"))) as { id: string; platform: string; python: string }[];
    expect(target.platform).not.toBe("host");
    expect(target.id).toBe(`${target.platform}-cp${target.python.replace(".", "")}`);
    expect((await cli(["lock", "--check"], dir)).code).toBe(0);

    // Another machine (other glibc) checking a lock recorded for a named platform loads that name, not its host.
    const lockPath = join(dir, "pylock.toml");
    const other = (await readFile(lockPath, "utf8")).replaceAll(target.platform, "manylinux_2_17_x86_64");
    expect(other).not.toBe(await readFile(lockPath, "utf8"));
    await writeFile(lockPath, other);
    const elsewhere = await cli(["lock", "--check"], dir);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
  });

  it("re-reads the requirements files the lock records", async () => {
    const dir = join(work, "reqs");
    await mkdir(join(dir, "reqs"), { recursive: true });
    await writeFile(join(dir, "reqs", "base.in"), `--index-url ${server.url}\nalpha<2\n`);
    const made = await cli(["lock", "-r", "reqs/base.in", "--platform", "manylinux_x86_64", "--python", "3.11"], dir);
    expect(made.code, made.stderr).toBe(0);
    const tool = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8")).tool?.pystore as Record<string, unknown>;
    expect(tool["requirement-files"]).toEqual(["reqs/base.in"]);
    expect((await cli(["lock", "--check"], dir)).code).toBe(0);
    await writeFile(join(dir, "reqs", "base.in"), `--index-url ${server.url}\nalpha<2\nbeta\n`);
    const stale = await cli(["lock", "--check"], dir);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('+"beta"');
  });
});
