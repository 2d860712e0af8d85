// Index options through the built CLI: `--no-index` (flag, requirements-file line) with no network at all,
// per-package index pins from [tool.pystore], flags overriding the project's config, and the shared
// transport flags reaching `fetch`.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../fixtures/nginx.js";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { PYSTORE_BIN, REPO_ROOT, runCli } from "../helpers/cli.js";

const SYSTEM_WHEELS = "/usr/share/python-wheels";
// A new network namespace has no route anywhere: proof that nothing is fetched. Some sandboxes forbid it.
const unshareWorks = spawnSync("unshare", ["-n", "true"]).status === 0;

let work: string;
let closedPort: number;
let publicIndex: IndexServer;
let internalIndex: IndexServer;
let internalWheel: BuiltWheel;
let impostorWheel: BuiltWheel;

/** Run the CLI with no way out: inside `unshare -n` when possible, and always with proxies at a closed port. */
function runIsolated(args: string[], cwd: string) {
  const env = {
    HOME: join(work, "home"),
    PYSTORE_STORE: join(work, "store-isolated"),
    HTTPS_PROXY: `http://127.0.0.1:${closedPort}`,
    HTTP_PROXY: `http://127.0.0.1:${closedPort}`,
    PYSTORE_RETRIES: "0",
  };
  if (!unshareWorks) return runCli(["-v", ...args], { cwd, env });
  const r = spawnSync("unshare", ["-n", process.execPath, PYSTORE_BIN, "-v", ...args], {
    cwd,
    env: { PATH: process.env.PATH, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return Promise.resolve({ code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-index-options-"));
  closedPort = await freePort();
  const wheels = join(work, "wheels");
  internalWheel = await buildWheel({ name: "internal-lib", version: "1.0" }, join(wheels, "internal"));
  // The dependency-confusion attack: a higher version under the same name on the public index.
  impostorWheel = await buildWheel({ name: "internal-lib", version: "99.0" }, join(wheels, "public"));
  const app = await buildWheel({ name: "app-dep", version: "1.0", requiresDist: ["internal-lib"] }, join(wheels, "public"));
  publicIndex = await startIndexServer({ wheels: [impostorWheel, app] });
  internalIndex = await startIndexServer({ wheels: [internalWheel] });
  await buildWheel({ name: "local-only", version: "3.0" }, join(work, "project-reqs", "wheels"));
});

afterAll(async () => {
  await publicIndex?.close();
  await internalIndex?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

it("the CLI is built", () => {
  expect(existsSync(join(REPO_ROOT, "dist/commands/settings.js"))).toBe(true);
});

describe("--no-index", () => {
  // Debian's python3-pip-whl provides these wheels (CI installs it); elsewhere the next test covers --no-index.
  it.runIf(existsSync(SYSTEM_WHEELS))("locks from --find-links only, with no network", async () => {
    const dir = join(work, "no-index");
    await mkdir(dir, { recursive: true });
    const args = ["lock", "--no-index", "--find-links", SYSTEM_WHEELS, "--platform", "manylinux_x86_64", "--python", "3.11", "wheel"];
    const r = await runIsolated(args, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/pypi\.org|127\.0\.0\.1/);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(lock.packages.map((p) => p.name)).toEqual(["wheel"]);
    expect(lock.packages[0].wheels?.[0].url).toMatch(/^file:\/\/\/usr\/share\/python-wheels\/wheel-.*\.whl$/);
    const tool = lock.tool?.pystore as Record<string, unknown>;
    expect(tool["no-index"]).toBe(true);
    expect(tool["index-url"]).toBeUndefined();
    expect(tool["find-links"]).toEqual([SYSTEM_WHEELS]);

    expect((await runIsolated([...args, "--check"], dir)).code).toBe(0);
    // With no flags, --check takes --no-index (and the rest) from the lock itself.
    const bare = await runIsolated(["lock", "--check", "wheel"], dir);
    expect(bare.code, bare.stderr).toBe(0);
    const stale = await runIsolated(
      ["lock", "--check", "--index-url", "https://pypi.org/simple/", "--find-links", SYSTEM_WHEELS, "wheel"],
      dir,
    );
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/no-index changed/);
  });

  it("honours a --no-index line in a requirements file", async () => {
    const dir = join(work, "project-reqs");
    await writeFile(
      join(dir, "requirements.in"),
      "--no-index\n--index-url https://pypi.org/simple/\n--find-links ./wheels\nlocal-only>=2\n",
    );
    const r = await runIsolated(["lock", "-r", "requirements.in", "--platform", "manylinux_x86_64", "--python", "3.11"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/pypi\.org/);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["local-only==3.0"]);
    expect((lock.tool?.pystore as Record<string, unknown> | undefined)?.["no-index"]).toBe(true);
  });

  it("fails as PACKAGE_NOT_FOUND, without reaching for an index, when no --find-links source was given", async () => {
    const dir = join(work, "no-index-missing");
    await mkdir(dir, { recursive: true });
    const r = await runIsolated(["lock", "--no-index", "--platform", "manylinux_x86_64", "--python", "3.11", "absent-thing"], dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      'error[PACKAGE_NOT_FOUND]: "absent-thing" cannot be found: --no-index turns every index off and no --find-links source was given',
    );
    expect(r.stderr).toMatch(/^hint: add a --find-links directory \(or page\) that holds absent-thing, or drop --no-index/m);
    expect(r.stderr).not.toMatch(/pypi\.org|cannot reach/);
  });

  it("names the --find-links sources searched when none has the project, also for a dependency", async () => {
    const dir = join(work, "no-index-missing-dep");
    const wheels = join(dir, "wheels");
    await buildWheel({ name: "needs-ghost", version: "1.0", requiresDist: ["ghost-dep>=1"] }, wheels);
    const r = await runIsolated(
      ["lock", "--no-index", "--find-links", wheels, "--platform", "manylinux_x86_64", "--python", "3.11", "needs-ghost"],
      dir,
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      `error[PACKAGE_NOT_FOUND]: no --find-links source has a project named "ghost-dep" (--no-index; searched: ${pathToFileURL(wheels)}`,
    );
    // The chain still says who needed it.
    expect(r.stderr).toContain("needs-ghost 1.0 depends on ghost-dep>=1");
    expect(r.stderr).toMatch(/^hint: add a --find-links directory \(or page\) that holds ghost-dep, or drop --no-index/m);
    expect(existsSync(join(dir, "pylock.toml"))).toBe(false);
  });
});

describe("index pins and config", () => {
  async function project(name: string, tool: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "pyproject.toml"),
      `[project]\nname = "${name}"\nversion = "0.1"\ndependencies = ["app-dep"]\n\n[tool.pystore]\n${tool}\n`,
    );
    return dir;
  }
  const env = () => ({ HOME: join(work, "home"), PYSTORE_STORE: join(work, "store") });

  it("a pinned project comes only from its index, never from the public one", async () => {
    const dir = await project("pinned", `index-pins = { "Internal_Lib" = "${internalIndex.url}" }`);
    const seen = publicIndex.requests.length;
    const r = await runCli(["lock", "--index-url", publicIndex.url, "--platform", "manylinux_x86_64", "--python", "3.11"], {
      cwd: dir,
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    const pinned = lock.packages.find((p) => p.name === "internal-lib")!;
    expect(pinned.version).toBe("1.0");
    expect(pinned.index).toBe(internalIndex.url);
    expect(pinned.wheels?.[0].hashes.sha256).toBe(internalWheel.sha256);
    expect(
      publicIndex.requests
        .slice(seen)
        .map((q) => q.path)
        .filter((p) => p.includes("internal")),
    ).toEqual([]);
    expect((lock.tool?.pystore as Record<string, unknown> | undefined)?.["index-pins"]).toEqual({ "internal-lib": internalIndex.url });

    const check = await runCli(["lock", "--check", "--index-url", publicIndex.url, "--platform", "manylinux_x86_64", "--python", "3.11"], {
      cwd: dir,
      env: env(),
    });
    expect(check.code, check.stderr).toBe(0);
    await writeFile(join(dir, "pyproject.toml"), (await readFile(join(dir, "pyproject.toml"), "utf8")).replace(/index-pins.*\n/, ""));
    const stale = await runCli(["lock", "--check", "--index-url", publicIndex.url, "--platform", "manylinux_x86_64", "--python", "3.11"], {
      cwd: dir,
      env: env(),
    });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/index-pins changed/);
  });

  it("without the pin the public impostor wins (what the pin prevents)", async () => {
    const dir = await project("unpinned", "");
    const r = await runCli(
      [
        "lock",
        "--index-url",
        publicIndex.url,
        "--extra-index-url",
        internalIndex.url,
        "--platform",
        "manylinux_x86_64",
        "--python",
        "3.11",
      ],
      { cwd: dir, env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(lock.packages.find((p) => p.name === "internal-lib")?.version).toBe("99.0");
  });

  it("--index-url on the command line overrides [tool.pystore] index-url; extra indexes add up", async () => {
    const dir = await project(
      "override",
      `index-url = "http://127.0.0.1:${closedPort}/simple/"\nextra-index-urls = ["${internalIndex.url}"]`,
    );
    const r = await runCli(
      ["lock", "--index-url", publicIndex.url, "--retries", "0", "--platform", "manylinux_x86_64", "--python", "3.11"],
      { cwd: dir, env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const tool = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8")).tool?.pystore as Record<string, unknown>;
    expect(tool["index-url"]).toBe(publicIndex.url);
    expect(tool["extra-index-urls"]).toEqual([internalIndex.url]);

    // Without the flag the configured (closed) index is used, and fails fast with --retries 0.
    const fromConfig = await runCli(
      ["lock", "--retries", "0", "--platform", "manylinux_x86_64", "--python", "3.11", "-o", join(dir, "other.toml")],
      { cwd: dir, env: env() },
    );
    expect(fromConfig.code).toBe(5);
    expect(fromConfig.stderr).toContain(`127.0.0.1:${closedPort}`);
  });

  it("rejects a malformed index-pins table", async () => {
    const dir = await project("bad-pins", `index-pins = ["internal-lib"]`);
    const r = await runCli(["lock", "--index-url", publicIndex.url, "--platform", "manylinux_x86_64", "--python", "3.11"], {
      cwd: dir,
      env: env(),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/tool\.pystore\.index-pins must be a table/);
  });
});

describe("outputs that cannot be written", () => {
  // Node 20's recursive mkdir never returns under /proc; the runCli timeout turns a hang into a failure.
  it.runIf(process.platform === "linux")("lock -o and export requirements -o under /proc fail fast with IO naming the path", async () => {
    const dir = join(work, "unwritable");
    const wheels = join(dir, "wheels");
    await buildWheel({ name: "plain-pkg", version: "1.0" }, wheels);
    const base = ["lock", "--no-index", "--find-links", wheels, "--platform", "manylinux_x86_64", "--python", "3.11", "plain-pkg"];
    const env = { HOME: join(work, "home"), PYSTORE_STORE: join(work, "store-unwritable") };
    const r = await runCli([...base, "-o", "/proc/pystore-nope/pylock.toml"], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^error: cannot write \/proc\/pystore-nope\/pylock\.toml: cannot create \/proc\/pystore-nope: /m);
    expect(r.stderr).toMatch(/^hint: choose a path in a writable directory/m);

    const ok = await runCli(base, { cwd: dir, env, timeoutMs: 60_000 });
    expect(ok.code, ok.stderr).toBe(0);
    const exported = await runCli(
      ["export", "requirements", "--platform", "manylinux_x86_64", "--python", "3.11", "-o", "/proc/pystore-nope/requirements.txt"],
      { cwd: dir, env, timeoutMs: 60_000 },
    );
    expect(exported.code, exported.stderr).toBe(3);
    expect(exported.stderr).toContain("error: cannot write /proc/pystore-nope/requirements.txt: cannot create /proc/pystore-nope");
  });
});

describe("shared flags on fetch", () => {
  it("--proxy and --retries reach fetch's downloads; a bad --connect-timeout is a usage error", async () => {
    // The pins test left this lock stale against its project on purpose: --frozen fetches it as it is.
    const dir = join(work, "pinned");
    const lock = join(dir, "pylock.toml");
    const viaClosedProxy = await runCli(
      [
        "--store",
        join(work, "store-fetch"),
        "fetch",
        "-l",
        lock,
        "--frozen",
        "--proxy",
        `http://127.0.0.1:${closedPort}`,
        "--retries",
        "0",
      ],
      { cwd: dir, env: { HOME: join(work, "home") } },
    );
    expect(viaClosedProxy.code).toBe(5);
    expect(viaClosedProxy.stderr).toMatch(/proxy/i);
    const direct = await runCli(["--store", join(work, "store-fetch"), "fetch", "-l", lock, "--frozen"], {
      cwd: dir,
      env: { HOME: join(work, "home") },
    });
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain(internalWheel.sha256);
    const bad = await runCli(["fetch", "-l", lock, "--connect-timeout", "soon"], { cwd: dir, env: { HOME: join(work, "home") } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--connect-timeout/);
  });
});
