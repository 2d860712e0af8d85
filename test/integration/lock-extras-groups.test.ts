// Through the real CLI: a project's extras and dependency groups are locked once and chosen when the
// lock is used (bundle, fetch, export), none by default; unknown names are refused with the known ones.
// And `--python 3.11` leaves the patch level open: a patch-level marker is kept, and a bundle asks for it.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli, type CliResult } from "../helpers/cli.js";

let work: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

const PYPROJECT = `[project]
name = "sel-app"
version = "0.1.0"
dependencies = ["alpha"]

[project.optional-dependencies]
web = ["beta"]

[dependency-groups]
dev = ["devtool"]
`;

async function cli(args: string[], cwd: string): Promise<CliResult> {
  const result = await runCli(args, { cwd, env, timeoutMs: 60_000 });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

const bundled = (r: CliResult) => (JSON.parse(r.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name).sort();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-selection-"));
  const wheels = await Promise.all([
    buildWheel({ name: "alpha", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "beta", version: "1.0", requiresDist: ["gamma"] }, join(work, "wheels")),
    buildWheel({ name: "gamma", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "devtool", version: "1.0" }, join(work, "wheels")),
    buildWheel(
      {
        name: "patchy",
        version: "1.0",
        requiresDist: ['old-shim; python_full_version < "3.11.3"', 'new-shim; python_full_version >= "3.11.3"'],
      },
      join(work, "wheels"),
    ),
    buildWheel({ name: "old-shim", version: "1.0" }, join(work, "wheels")),
    buildWheel({ name: "new-shim", version: "1.0" }, join(work, "wheels")),
  ]);
  server = await startIndexServer({ wheels });
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url, SOURCE_DATE_EPOCH: "0" };
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("extras and dependency groups stay selectable", () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(work, "app");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), PYPROJECT);
    const lock = await cli(["lock", ...TARGET], dir);
    expect(lock.code, lock.stderr).toBe(0);
  });

  it("locks them all behind PEP 751 markers", async () => {
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(lock.extras).toEqual(["web"]);
    expect(lock.dependencyGroups).toEqual(["dev"]);
    expect(Object.fromEntries(lock.packages.map((p) => [p.name, p.marker ?? null]))).toEqual({
      alpha: null,
      beta: '"web" in extras',
      devtool: '"dev" in dependency_groups',
      gamma: '"web" in extras',
    });
    expect((await cli(["lock", "--check"], dir)).code).toBe(0);
  });

  it("bundles none of them by default, and exactly the chosen ones", async () => {
    const plain = await cli(["bundle", ...TARGET, "-o", "plain", "--json"], dir);
    expect(plain.code, plain.stderr).toBe(0);
    expect(bundled(plain)).toEqual(["alpha"]);
    const web = await cli(["bundle", ...TARGET, "-o", "web", "--extra", "web", "--json"], dir);
    expect(web.code, web.stderr).toBe(0);
    expect(bundled(web)).toEqual(["alpha", "beta", "gamma"]);
    expect(await readdir(join(dir, "web", "site-packages"))).toEqual(expect.arrayContaining(["beta", "gamma"]));
    const dev = await cli(["bundle", ...TARGET, "-o", "dev", "--group", "dev", "--json"], dir);
    expect(bundled(dev)).toEqual(["alpha", "devtool"]);
  });

  it("refuses an unknown name before writing anything, listing the known ones", async () => {
    const bad = await cli(["bundle", ...TARGET, "-o", "typo", "--extra", "wbe"], dir);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--extra "wbe": the lock has no such extra (it has: web)');
    expect(existsSync(join(dir, "typo"))).toBe(false);
    const group = await cli(["fetch", "--group", "test"], dir);
    expect(group.code).toBe(EXIT.usage);
    expect(group.stderr).toContain("(it has: dev)");
    const exported = await cli(["export", "requirements", ...TARGET, "--extra", "nope"], dir);
    expect(exported.code).toBe(EXIT.usage);
  });

  it("fetches and exports the chosen selection only", async () => {
    const base = await cli(["fetch", "--json"], dir);
    expect(base.code, base.stderr).toBe(0);
    expect((JSON.parse(base.stdout) as { wheels: { name: string }[] }).wheels.map((w) => w.name)).toEqual(["alpha"]);
    const web = await cli(["fetch", "--extra", "web", "--json"], dir);
    expect((JSON.parse(web.stdout) as { wheels: { name: string }[] }).wheels.map((w) => w.name).sort()).toEqual(["alpha", "beta", "gamma"]);
    const req = await cli(["export", "requirements", ...TARGET, "--group", "dev"], dir);
    expect(req.code, req.stderr).toBe(0);
    expect(req.stdout).toContain("devtool==1.0");
    expect(req.stdout).not.toContain("beta==");
  });

  it("draws the locked tree for the chosen selection, and what brings a package in", async () => {
    const tree = await cli(["tree", "--extra", "web"], dir);
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout).toContain("sel-app (manylinux_2_28_x86_64-cp311)");
    expect(tree.stdout).toMatch(/└── beta 1\.0 .*\n {4}└── gamma 1\.0/);
    const inverted = await cli(["tree", "--invert", "gamma", "--extra", "web", "--json"], dir);
    expect(inverted.code, inverted.stderr).toBe(0);
    const [only] = (JSON.parse(inverted.stdout) as { trees: { nodes: { name: string; children: { name: string }[] }[] }[] }).trees;
    expect(only.nodes[0].name).toBe("gamma");
    expect(only.nodes[0].children.map((c) => c.name)).toEqual(["beta"]);
    const absent = await cli(["tree", "--invert", "gamma"], dir);
    expect(absent.code).toBe(EXIT.resolution);
    expect(absent.stderr).toContain("--extra/--group");
  });

  it("says where to choose them when lock is given --extra for a project", async () => {
    const r = await cli(["lock", ...TARGET, "--extra", "web"], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("every extra and dependency group");
    expect(r.stderr).toContain("pystore bundle --extra");
  });
});

describe("--python X.Y leaves the patch level open", () => {
  it("keeps a patch-level marker in the lock and asks for the patch when bundling", async () => {
    const dir = join(work, "patch");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "pyproject.toml"), `[project]\nname = "patch-app"\nversion = "0.1.0"\ndependencies = ["patchy"]\n`);
    const lock = await cli(["lock", ...TARGET], dir);
    expect(lock.code, lock.stderr).toBe(0);
    const parsed = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(parsed.packages.find((p) => p.name === "old-shim")?.marker).toBe('python_full_version < "3.11.3"');
    expect(parsed.packages.find((p) => p.name === "new-shim")?.marker).toBe('python_full_version >= "3.11.3"');

    const vague = await cli(["bundle", ...TARGET, "-o", "vague"], dir);
    expect(vague.code).toBe(EXIT.invalidInput);
    expect(vague.stderr).toContain("names no patch level");
    expect(vague.stderr).toContain("--python 3.11.");
    const exact = await cli(["bundle", "--platform", "manylinux_x86_64", "--python", "3.11.7", "-o", "exact", "--json"], dir);
    expect(exact.code, exact.stderr).toBe(0);
    expect(bundled(exact)).toEqual(["new-shim", "patchy"]);
  });
});
