// The ten mistakes a newcomer is most likely to make, each answered in words: what happened and what to
// do, never a bare errno name. The messages are compared whole (temp paths and ports replaced), so a
// change to any of them is a decision, not an accident.

import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let index: IndexServer;
let locked: IndexServer;
let secure: IndexServer;

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-mistakes-"));
  const wheels = [
    await buildWheel({ name: "requests", version: "2.0" }, join(work, "wheels")),
    await buildWheel({ name: "winonly", version: "1.0", tags: "cp311-cp311-win_amd64" }, join(work, "wheels")),
  ];
  index = await startIndexServer({ wheels });
  locked = await startIndexServer({ wheels, auth: { username: "carol", password: "right" } });
  secure = await startIndexServer({ wheels, https: true });
}, 60_000);

afterAll(async () => {
  await Promise.all([index?.close(), locked?.close(), secure?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const cwd = opts.cwd ?? work;
  const r = await runCli(args, { cwd, env: { PYSTORE_STORE: join(work, "store"), NO_COLOR: "1", ...opts.env }, timeoutMs: 60_000 });
  const scrub = (text: string) =>
    text
      .split(work)
      .join("[TMP]")
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:[PORT]");
  return { code: r.code, stderr: scrub(r.stderr) };
}

async function project(name: string, deps: string[]): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "pyproject.toml"), `[project]\nname = "${name}"\nversion = "1.0"\ndependencies = ${JSON.stringify(deps)}\n`);
  return dir;
}

describe("the ten likely mistakes", () => {
  it("1. no lock yet", async () => {
    const dir = await project("no-lock", ["requests"]);
    const r = await run(["fetch"], { cwd: dir });
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toBe("error: there is no lock at [TMP]/no-lock/pylock.toml\nhint: run pystore lock first, or pass -l FILE\n");
  });

  it("2. a lock the project has moved past", async () => {
    const dir = await project("stale", ["requests"]);
    expect((await run(["lock", ...TARGET, "--index-url", index.url], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, "pyproject.toml"), '[project]\nname = "stale"\nversion = "1.0"\ndependencies = ["requests>=2.1"]\n');
    const r = await run(["fetch"], { cwd: dir });
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.stderr).toContain("error: [TMP]/stale/pylock.toml is stale:\n");
    expect(r.stderr).toContain('  requirements changed: +"requests>=2.1", -"requests"\n');
    expect(r.stderr).toMatch(/hint: .*pystore lock.*--frozen/);
  });

  it("3. an unknown platform name", async () => {
    const r = await run(["lock", "--platform", "alpine", "--python", "3.11", "requests"]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr.split("\n")[0]).toBe(
      "error: Unknown platform `alpine`: did you mean `musllinux_x86_64` (Alpine Linux uses musl libc)?",
    );
  });

  it("4. a package without a wheel for the target", async () => {
    const r = await run(["lock", ...TARGET, "--index-url", index.url, "--no-build", "winonly"]);
    expect(r.code).toBe(EXIT.resolution);
    expect(r.stderr).toContain(
      "error: no wheel of winonly (1.0) fits target manylinux_2_28_x86_64-cp311; the wheels that exist: winonly-1.0-cp311-cp311-win_amd64.whl.",
    );
    expect(r.stderr).toMatch(/\nhint: pick a target these wheels support/);
  });

  it("5. the wrong Python on the machine that runs the bundle", async () => {
    const dir = await project("wrong-python", ["requests"]);
    await mkdir(join(dir, "src", "wrong_python"), { recursive: true });
    await writeFile(join(dir, "src", "wrong_python", "__init__.py"), "def main():\n    return 0\n");
    await writeFile(
      join(dir, "pyproject.toml"),
      '[project]\nname = "wrong-python"\nversion = "1.0"\ndependencies = ["requests"]\n[project.scripts]\nwp = "wrong_python:main"\n',
    );
    const built = await run(["bundle", "--platform", "manylinux_x86_64", "--python", "3.12", "-o", "out", "--index-url", index.url], {
      cwd: dir,
    });
    expect(built.code, built.stderr).toBe(0);
    const launched = spawnSync(join(dir, "out", "bin", "wp"), [], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: "/usr/bin/python3.11" },
    });
    expect(launched.status).toBe(1);
    expect(launched.stderr).toContain("wp: this bundle was built for target manylinux_2_28_x86_64-cp312 and needs Python CPython 3.12");
    expect(launched.stderr).toMatch(/\nhint: /);
  });

  it("6. an index that cannot be reached", async () => {
    const r = await run(["lock", ...TARGET, "--index-url", "http://127.0.0.1:9/simple/", "--retries", "0", "requests"]);
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain(
      "error: cannot reach http://127.0.0.1:[PORT]/simple/requests/: nothing accepts connections at 127.0.0.1:[PORT] (connection refused) (ECONNREFUSED)\n",
    );
    expect(r.stderr).toContain("hint: check the index URL and the proxy variables");
  });

  it("7. credentials the index refuses", async () => {
    const wrong = locked.url.replace("http://", "http://carol:wrong-secret@");
    const r = await run(["lock", ...TARGET, "--index-url", wrong, "requests"]);
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain(
      'error: http://127.0.0.1:[PORT]/simple/ answered 401 for "requests": the credentials sent for user "carol" were refused\n',
    );
    expect(r.stderr).toContain(
      "hint: check the user name and password (or token) for 127.0.0.1:[PORT], from the index URL or ~/.netrc ($NETRC)\n",
    );
    expect(r.stderr).not.toContain("wrong-secret");
  });

  it("8. an index whose certificate authority is unknown", async () => {
    const r = await run(["lock", ...TARGET, "--index-url", secure.url, "--retries", "0", "requests"]);
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toMatch(/error: .*certificate/i);
    expect(r.stderr).toMatch(/hint: .*--cert/);
  });

  it("9. a damaged store", async () => {
    const store = join(work, "damaged-store");
    await mkdir(store, { recursive: true });
    await writeFile(join(store, "store.db"), "this is not a database, it was overwritten\n".repeat(200));
    const r = await run(["store", "ls"], { env: { PYSTORE_STORE: store } });
    expect(r.code).toBe(EXIT.store);
    expect(r.stderr).toContain("store.db");
    expect(r.stderr).toContain("hint: ");
    expect(r.stderr).toContain("pystore store reindex");
  });

  it("10. a typo in a package name", async () => {
    const r = await run(["lock", ...TARGET, "--index-url", index.url, "reqeusts"]);
    expect(r.code).toBe(EXIT.resolution);
    expect(r.stderr).toContain(
      'error: no index has a project named "reqeusts" (searched: http://127.0.0.1:[PORT]/simple/); did you mean "requests"?\n',
    );
    expect(r.stderr).toContain("hint: fix the requirement's spelling (the index has requests)\n");
  });

  it("none of them is an internal error or a bare errno name", async () => {
    const r = await run(["store", "export", "-l", "missing.toml", "-o", "x.tar"]);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/: E[A-Z]+\n/);
  });
});
