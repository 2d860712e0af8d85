// `pystore lock` end to end: the built CLI against the fixture index on 127.0.0.1, a multi-target
// golden pylock.toml (port replaced by a placeholder), byte-identical re-locks, `--check`, upgrades
// and the NO_SOLUTION explanation.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { writeTree } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli } from "../helpers/cli.js";

const GOLDEN = join(import.meta.dirname, "..", "golden", "lock", "multi-target.pylock.toml");

const SPECS: WheelSpec[] = [
  { name: "alpha", version: "1.0" },
  { name: "alpha", version: "2.0", requiresDist: ["beta>=1"], requiresPython: ">=3.8" },
  { name: "beta", version: "1.0", tags: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64" },
  { name: "beta", version: "1.0", tags: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64" },
  { name: "beta", version: "1.0", tags: "cp311-cp311-win_amd64" },
  { name: "gamma", version: "1.0", providesExtra: ["fast"], requiresDist: ['alpha[fast]; extra == "fast"'] },
  { name: "conflicted", version: "1.0", requiresDist: ["alpha<2"] },
];

const PYPROJECT = `[project]
name = "demo-app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["alpha>=1", 'gamma; sys_platform == "win32"']

[project.optional-dependencies]
extra-one = ["gamma"]

[tool.pystore]
targets = [
  {platform = "manylinux_x86_64", python = ["3.11", "3.12"]},
  {platform = "win_amd64", python = "3.11"},
]
`;

let work: string;
let server: IndexServer;
let newer: IndexServer;
let wheels: BuiltWheel[];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-lock-"));
  wheels = await Promise.all(SPECS.map((s) => buildWheel(s, join(work, "wheels"))));
  const uploadTimes = Object.fromEntries(wheels.map((w, i) => [w.filename, `2024-01-0${1 + (i % 5)}T10:00:00Z`]));
  server = await startIndexServer({ wheels, uploadTimes });
  const alpha3 = await buildWheel({ name: "alpha", version: "3.0", requiresDist: ["beta>=1"] }, join(work, "wheels"));
  newer = await startIndexServer({
    wheels: [...wheels, alpha3],
    uploadTimes: { ...uploadTimes, [alpha3.filename]: "2024-09-01T00:00:00Z" },
  });
  env = { PYSTORE_STORE: join(work, "store") };
});

afterAll(async () => {
  await server?.close();
  await newer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function project(name: string, pyproject = PYPROJECT): Promise<string> {
  const dir = join(work, name);
  await rm(dir, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
  await writeFile(join(dir, "pyproject.toml"), pyproject);
  return dir;
}

function placeholders(text: string, srv: IndexServer): string {
  return text.split(srv.origin).join("http://127.0.0.1:<PORT>");
}

describe("pystore lock (multi-target)", () => {
  it("writes the golden lock, byte-identical on a re-run", async () => {
    const dir = await project("golden");
    const first = await runCli(["lock", "--project", dir, "--index-url", server.url], { env });
    expect(first.stderr).not.toContain("internal error");
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("resolving for manylinux_2_28_x86_64-cp311");
    const text = await readFile(join(dir, "pylock.toml"), "utf8");
    const normalized = placeholders(text, server);
    if (process.env.PYSTORE_UPDATE_GOLDEN === "1") await writeFile(GOLDEN, normalized);
    expect(normalized).toBe(await readFile(GOLDEN, "utf8"));

    const lock = parsePylock(text);
    expect(lock.environments).toHaveLength(3);
    // gamma: always on Windows; on Linux only with the project's extra, which stays selectable.
    expect(lock.extras).toEqual(["extra-one"]);
    const gamma = lock.packages.find((p) => p.name === "gamma");
    const linux = (py: string) =>
      `(sys_platform == "linux" and platform_machine == "x86_64" and implementation_name == "cpython" and python_version == "${py}")`;
    expect(gamma?.marker).toBe(
      `"extra-one" in extras and (${linux("3.11")} or ${linux("3.12")}) or sys_platform == "win32" and platform_machine == "AMD64" and implementation_name == "cpython" and python_version == "3.11"`,
    );
    const beta = lock.packages.find((p) => p.name === "beta");
    expect(beta?.marker).toBeUndefined();
    expect(beta?.wheels?.map((w) => w.name)).toHaveLength(3);

    const second = await runCli(["lock", "--project", dir, "--index-url", server.url], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("unchanged");
    expect(await readFile(join(dir, "pylock.toml"), "utf8")).toBe(text);

    // Everything needed is in the store's HTTP cache now: --offline relocks without a request.
    const before = server.requests.length;
    const offline = await runCli(["lock", "--offline", "--project", dir, "--index-url", server.url], { env });
    expect(offline.stderr).not.toContain("error");
    expect(offline.code).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(await readFile(join(dir, "pylock.toml"), "utf8")).toBe(text);
  });

  it("--check exits 0 when fresh and 1 (LOCK_STALE) when the inputs changed", async () => {
    const dir = await project("check");
    expect((await runCli(["lock", "--project", dir, "--index-url", server.url], { env })).code).toBe(0);
    const fresh = await runCli(["lock", "--check", "--project", dir, "--index-url", server.url], { env });
    expect(fresh.stderr).toContain("up to date");
    expect(fresh.code).toBe(0);

    await writeFile(join(dir, "pyproject.toml"), PYPROJECT.replace('"alpha>=1"', '"alpha>=1", "beta"'));
    const stale = await runCli(["lock", "--check", "--project", dir, "--index-url", server.url], { env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('requirements changed: +"beta"');

    const otherIndex = await runCli(["lock", "--check", "--project", dir, "--index-url", newer.url], { env });
    expect(otherIndex.code).toBe(1);
    expect(otherIndex.stderr).toContain("index-url changed");
  });

  it("keeps locked versions until --upgrade-package moves them", async () => {
    const dir = await project("upgrade", PYPROJECT.replace(/\[tool\.pystore\][\s\S]*$/, ""));
    const args = ["lock", "--project", dir, "--platform", "manylinux_x86_64", "--python", "3.11"];
    expect((await runCli([...args, "--index-url", server.url], { env })).code).toBe(0);
    const kept = await runCli([...args, "--index-url", newer.url], { env });
    expect(kept.code).toBe(0);
    const keptLock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(keptLock.packages.find((p) => p.name === "alpha")?.version).toBe("2.0");

    const excluded = await runCli([...args, "--index-url", newer.url, "--upgrade", "--exclude-newer", "2024-06-01"], { env });
    expect(excluded.code).toBe(0);
    expect(parsePylock(await readFile(join(dir, "pylock.toml"), "utf8")).packages.find((p) => p.name === "alpha")?.version).toBe("2.0");

    // The lock now records --exclude-newer 2024-06-01, and a re-lock keeps it unless a flag replaces it.
    const moved = await runCli([...args, "--index-url", newer.url, "--upgrade-package", "alpha", "--exclude-newer", "2100-01-01"], { env });
    expect(moved.code).toBe(0);
    const movedLock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(movedLock.packages.find((p) => p.name === "alpha")?.version).toBe("3.0");
  });

  it("locks from a requirements file with its own index line and constraints, then checks it", async () => {
    const dir = join(work, "reqs");
    await rm(dir, { recursive: true, force: true });
    await writeTree(dir, {
      "requirements.in": `--index-url ${server.url}\n-c constraints.txt\nalpha  # the app\n`,
      "constraints.txt": "alpha<2\n",
    });
    const args = ["lock", "-r", "requirements.in", "--platform", "manylinux_x86_64", "--python", "3.11", "-o", "out.toml", "--json"];
    const result = await runCli(args, { env, cwd: dir });
    expect(result.stderr).not.toContain("internal error");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { changed: boolean; packages: { name: string; version: string }[] };
    expect(report.changed).toBe(true);
    expect(report.packages).toEqual([{ name: "alpha", version: "1.0", marker: null }]);
    const lock = parsePylock(await readFile(join(dir, "out.toml"), "utf8"));
    expect(lock.tool?.pystore).toMatchObject({
      project: "root",
      requirements: ["alpha"],
      constraints: ["alpha<2"],
      "index-url": server.url,
    });
    const check = await runCli(
      ["lock", "--check", "-r", "requirements.in", "--platform", "manylinux_x86_64", "--python", "3.11", "-o", "out.toml"],
      { env, cwd: dir },
    );
    expect(check.code).toBe(0);
    await writeFile(join(dir, "constraints.txt"), "alpha<3\n");
    const stale = await runCli(
      ["lock", "--check", "-r", "requirements.in", "--platform", "manylinux_x86_64", "--python", "3.11", "-o", "out.toml"],
      { env, cwd: dir },
    );
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('constraints changed: +"alpha<3", -"alpha<2"');
  });

  it("locks a direct wheel URL, hashing it when the URL has no #sha256", async () => {
    const dir = await project("direct");
    const url = `${server.origin}/files/alpha-1.0-py3-none-any.whl`;
    const result = await runCli(
      ["lock", `alpha @ ${url}`, "--project", dir, "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", server.url],
      { env },
    );
    expect(result.stderr).not.toContain("internal error");
    expect(result.code).toBe(0);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    const alpha = lock.packages.find((p) => p.name === "alpha")!;
    const built = wheels.find((w) => w.filename === "alpha-1.0-py3-none-any.whl")!;
    expect(alpha.version).toBe("1.0");
    expect(alpha.index).toBeUndefined();
    expect(alpha.wheels).toEqual([{ name: built.filename, url, size: built.size, hashes: { sha256: built.sha256 } }]);
  });

  it("records find-links wheels inside the project by relative path, and fetch reads them", async () => {
    const dir = await project("local", `[project]\nname = "local-app"\nversion = "1"\ndependencies = ["localonly"]\n`);
    const local = await buildWheel({ name: "localonly", version: "0.3" }, join(dir, "wheels"));
    const args = ["--platform", "manylinux_x86_64", "--python", "3.11"];
    const result = await runCli(["lock", "--project", dir, ...args, "--index-url", server.url, "--find-links", "wheels"], { env });
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const text = await readFile(join(dir, "pylock.toml"), "utf8");
    expect(parsePylock(text).packages[0].wheels).toEqual([
      { name: local.filename, path: "wheels/localonly-0.3-py3-none-any.whl", size: local.size, hashes: { sha256: local.sha256 } },
    ]);
    const fetched = await runCli(["fetch", "-l", join(dir, "pylock.toml")], { env: { PYSTORE_STORE: join(work, "store-local") } });
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain(`${local.sha256}  ${local.filename}`);
  });

  it("explains an unsatisfiable set and exits 4", async () => {
    const dir = await project("conflict");
    const out = join(dir, "conflict.toml");
    const result = await runCli(
      [
        "lock",
        "conflicted",
        "alpha>=2",
        "-o",
        out,
        "--project",
        dir,
        "--platform",
        "manylinux_x86_64",
        "--python",
        "3.11",
        "--index-url",
        server.url,
      ],
      { env },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("conflicted 1.0 depends on alpha<2");
    expect(result.stderr).toContain("demo-app depends on alpha>=2");
    expect(result.stderr).toContain("so no solution");
    expect(result.stderr).not.toContain("    at ");
  });

  it("reports a target without wheels as NO_MATCHING_WHEEL", async () => {
    const dir = await project("nowheel");
    const result = await runCli(
      ["lock", "beta", "--platform", "macosx_arm64", "--python", "3.11", "--index-url", server.url, "--project", dir],
      { env },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("no wheel of beta");
    expect(result.stderr).toContain("beta-1.0-cp311-cp311-win_amd64.whl");
    expect(result.stderr).toContain("sdists");
  });
});
