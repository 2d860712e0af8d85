// `bundle` and `fetch` against a lock that no longer matches its project: refused with `lock --check`'s
// explanation unless --frozen; a fresh lock, or a lock used without a project, goes ahead. The check reads
// only the lock's recorded inputs, so it holds with --offline and with the index gone.

import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli, type CliResult } from "../helpers/cli.js";

let work: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

const pyproject = (deps: string[]) => `[project]\nname = "fresh-app"\nversion = "0.1.0"\ndependencies = ${JSON.stringify(deps)}\n`;

async function cli(args: string[], cwd: string): Promise<CliResult> {
  const result = await runCli(args, { cwd, env, timeoutMs: 60_000 });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

/** The explanation lines of a stale-lock error (the indented reasons under "is stale:"). */
const reasons = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("  "));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-freshness-"));
  const wheels = await Promise.all([
    buildWheel({ name: "alpha", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "beta", version: "1.0" }, join(work, "wheels")),
  ]);
  server = await startIndexServer({ wheels });
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url, SOURCE_DATE_EPOCH: "0" };
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("bundle and fetch check the lock against the project", () => {
  it("refuse a stale lock as lock --check does, proceed with --frozen or once re-locked", async () => {
    const dir = join(work, "app");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha"]));
    expect((await cli(["lock", ...TARGET], dir)).code).toBe(0);

    const fresh = await cli(["bundle", ...TARGET, "-o", "fresh", "--json"], dir);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect((JSON.parse(fresh.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name)).toEqual(["alpha"]);
    expect((await cli(["fetch"], dir)).code).toBe(0);

    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha", "beta"]));
    const check = await cli(["lock", "--check"], dir);
    expect(check.code).toBe(EXIT.checkFailed);
    expect(reasons(check.stderr)).toEqual(['  requirements changed: +"beta"']);

    const bundle = await cli(["bundle", ...TARGET, "-o", "stale"], dir);
    expect(bundle.code, bundle.stderr).toBe(EXIT.checkFailed);
    expect(bundle.stderr).toContain(`error: ${join(dir, "pylock.toml")} is stale:`);
    expect(reasons(bundle.stderr)).toEqual(reasons(check.stderr));
    expect(bundle.stderr).toMatch(/hint: .*pystore lock.*--frozen/);
    expect(existsSync(join(dir, "stale"))).toBe(false);
    const json = await cli(["bundle", ...TARGET, "-o", "stale", "--json"], dir);
    expect(json.code).toBe(EXIT.checkFailed);
    expect(JSON.parse(json.stdout).error.code).toBe("LOCK_STALE");

    const fetched = await cli(["fetch"], dir);
    expect(fetched.code, fetched.stderr).toBe(EXIT.checkFailed);
    expect(reasons(fetched.stderr)).toEqual(reasons(check.stderr));
    // --locked is the default, said out loud; --offline changes nothing (the check needs no index).
    expect((await cli(["fetch", "--locked", "--offline"], dir)).code).toBe(EXIT.checkFailed);
    expect((await cli(["bundle", ...TARGET, "--offline", "--locked", "-o", "stale"], dir)).code).toBe(EXIT.checkFailed);
    const both = await cli(["fetch", "--locked", "--frozen"], dir);
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toContain("--frozen");

    const frozen = await cli(["bundle", ...TARGET, "--frozen", "--offline", "-o", "frozen", "--json"], dir);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect((JSON.parse(frozen.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name)).toEqual(["alpha"]);
    expect((await cli(["fetch", "--frozen", "--offline"], dir)).code).toBe(0);

    // The project can be named from elsewhere; the lock beside it is the one checked.
    expect((await cli(["fetch", "--project", dir], work)).code).toBe(EXIT.checkFailed);
    expect((await cli(["bundle", "--project", dir, ...TARGET, "-o", join(work, "elsewhere")], work)).code).toBe(EXIT.checkFailed);

    expect((await cli(["lock"], dir)).code).toBe(0);
    const relocked = await cli(["bundle", ...TARGET, "-o", "relocked", "--json"], dir);
    expect(relocked.code, relocked.stderr).toBe(0);
    expect((JSON.parse(relocked.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name)).toEqual(["alpha", "beta"]);
  }, 120_000);

  it("uses a lock without a project as it is, and checks without the index", async () => {
    const dir = join(work, "moved");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha"]));
    expect((await cli(["lock", ...TARGET], dir)).code).toBe(0);
    await writeFile(join(dir, "pyproject.toml"), pyproject(["beta"]));

    // A copy with no pyproject.toml beside it and no --project: nothing to be stale against.
    const alone = join(work, "alone");
    await mkdir(alone, { recursive: true });
    await cp(join(dir, "pylock.toml"), join(alone, "pylock.toml"));
    expect((await cli(["fetch", "-l", join(alone, "pylock.toml")], work)).code).toBe(0);
    const bundled = await cli(["bundle", "-l", join(alone, "pylock.toml"), ...TARGET, "-o", join(work, "alone-out")], work);
    expect(bundled.code, bundled.stderr).toBe(0);

    // With the index unreachable the stale lock is still refused for being stale, not for the network.
    const saved = env;
    env = { ...env, PYSTORE_INDEX_URL: "http://127.0.0.1:9/simple/" };
    try {
      const offline = await cli(["bundle", ...TARGET, "-o", "out"], dir);
      expect(offline.code).toBe(EXIT.checkFailed);
      expect(reasons(offline.stderr)).toEqual(['  requirements changed: +"beta", -"alpha"']);
    } finally {
      env = saved;
    }
  }, 120_000);
});

describe("bundle checks its usage before any work", () => {
  it("leaves no lock and no store behind when the flags cannot work", async () => {
    const dir = join(work, "usage");
    await mkdir(join(dir, "taken"), { recursive: true });
    await writeFile(join(dir, "taken", "notes.txt"), "mine\n");
    await writeFile(join(dir, "pyproject.toml"), pyproject(["alpha"]));
    const store = join(work, "usage-store");
    const run = (args: string[]) => runCli(args, { cwd: dir, env: { ...env, PYSTORE_STORE: store }, timeoutMs: 60_000 });

    const cases: { args: string[]; code: number; says: string }[] = [
      { args: ["-o", "x.pyz", "--systemd"], code: EXIT.usage, says: "--systemd" },
      { args: ["-o", "out", "--systemd", "--prefix", "relative/path"], code: EXIT.usage, says: "--prefix" },
      { args: ["-o", "out", "--systemd", "--user", "bad user"], code: EXIT.usage, says: "--user" },
      { args: ["-o", "taken"], code: EXIT.bundle, says: "not a pystore bundle" },
      { args: ["-o", "pyproject.toml/out"], code: EXIT.invalidInput, says: "not a directory" },
      { args: ["-o", "/proc/pystore-nope/out"], code: EXIT.invalidInput, says: "cannot write /proc/pystore-nope/out" },
      { args: ["-o", "x.tar.gz", "--frozen", "--locked"], code: EXIT.usage, says: "--frozen" },
      // --locked asserts a lock exists and fits: it never makes one.
      { args: ["-o", "x.tar.gz", "--locked"], code: EXIT.checkFailed, says: "does not exist" },
    ];
    for (const c of cases) {
      const result = await run(["bundle", ...TARGET, ...c.args]);
      expect(result.code, `${c.args.join(" ")}: ${result.stderr}`).toBe(c.code);
      expect(result.stderr).toContain(c.says);
      expect(result.stderr).not.toContain("locking first");
      expect(existsSync(join(dir, "pylock.toml")), c.args.join(" ")).toBe(false);
      expect(existsSync(store), c.args.join(" ")).toBe(false);
    }
    expect(await readdir(join(dir, "taken"))).toEqual(["notes.txt"]);
  }, 120_000);
});
