// `lock --embed-python`: the lock pins one interpreter per target ([tool.pystore] pythons), a re-lock keeps
// the pin byte for byte, `lock --check` stays clean, `bundle` embeds the pin by default and refuses another,
// a store without it says which sha256 is missing, and `store export -l` carries it across an air gap
// (import into an empty store, bundle offline, the same bundle hash).

import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../../fixtures/projects.js";
import { buildStandalonePython, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const unavailable = standaloneUnavailable();
const canUnshare = spawnSync("unshare", ["-n", "true"]).status === 0;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
const TARGET_ID = "manylinux_2_28_x86_64-cp311";
let work: TempDir;
let project: string;
let lockPath: string;
/** Two builds of the same Python (their PYTHON.json differs): two store entries that both fit the target. */
let first: string;
let second: string;

const cli = (args: string[], store = "store", wrapper?: string[]): Promise<CliResult> =>
  runCli(args, {
    cwd: project,
    env: { PYSTORE_STORE: join(work.path, store), SOURCE_DATE_EPOCH: "1700000000", PYSTORE_INDEX_URL: "", PYSTORE_NO_INDEX: "" },
    ...(wrapper ? { wrapper } : {}),
  });

async function addPython(dir: string, store = "store"): Promise<string> {
  const added = await cli(["python", "add", dir, "--json"], store);
  expect(added.code, added.stderr).toBe(0);
  return (JSON.parse(added.stdout) as { sha256: string }[])[0]!.sha256;
}

const lockText = () => readFileSync(lockPath, "utf8");

beforeAll(async () => {
  work = await tempDir("lock-embed");
  if (unavailable) return;
  project = join(work.path, "pinned");
  const wheel = await buildWheel(
    { name: "greetlib", version: "1.0.0", files: { "greetlib/__init__.py": 'def greeting():\n    return "Hello"\n' } },
    join(project, "wheels"),
  );
  expect(wheel.filename).toContain("greetlib");
  await writeTree(project, {
    "pyproject.toml":
      '[project]\nname = "pinned"\nversion = "0.1.0"\ndependencies = ["greetlib"]\n\n[project.scripts]\npinned = "pinned:main"\n\n[tool.pystore]\nno-index = true\nfind-links = ["wheels"]\n',
    "src/pinned/__init__.py": "import sys\n\ndef main():\n    import greetlib\n    print(greetlib.greeting(), sys.prefix)\n",
  });
  lockPath = join(project, "pylock.toml");
  buildStandalonePython(join(work.path, "py-a"), { pythonJson: { build: "a" } });
  buildStandalonePython(join(work.path, "py-b"), { pythonJson: { build: "b" } });
  first = await addPython(join(work.path, "py-a"));
  second = await addPython(join(work.path, "py-b"));
  expect(first).not.toBe(second);
});
afterAll(async () => {
  await work?.cleanup();
});

describe.skipIf(unavailable !== undefined)("lock --embed-python", () => {
  it("pins the named interpreter per target, keeps it on a re-lock byte for byte, and lock --check stays clean", async () => {
    const plain = await cli(["lock", ...TARGET]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(lockText()).not.toContain("pythons");

    const pinned = await cli(["lock", "--embed-python", first.slice(0, 10)]);
    expect(pinned.code, pinned.stderr).toBe(0);
    const text = lockText();
    expect(text).toMatch(
      new RegExp(
        `pythons = \\[\\n    \\{target = "${TARGET_ID}", sha256 = "${first}", implementation = "cpython", version = "3\\.11\\.\\d+", os = "linux", machine = "x86_64", libc = "glibc"\\},\\n\\]\\n`,
      ),
    );

    const reported = await cli(["lock", "--json"]);
    expect(JSON.parse(reported.stdout).pythons).toEqual([
      expect.objectContaining({ target: TARGET_ID, sha256: first, implementation: "cpython", libc: "glibc" }),
    ]);
    const again = await cli(["lock"]);
    expect(again.code, again.stderr).toBe(0);
    expect(lockText()).toBe(text);
    // --embed-python without a value keeps an existing pin (like a locked version) rather than taking another.
    expect((await cli(["lock", "--embed-python"])).code).toBe(0);
    expect(lockText()).toBe(text);

    // The lock's gc root keeps the pinned interpreter (no bundle embeds either yet); the other one may go.
    const gc = await cli(["store", "gc", "--grace", "0", "--dry-run", "--json"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout).pythons.removed.map((e: { sha256: string }) => e.sha256)).toEqual([second]);

    const check = await cli(["lock", "--check"]);
    expect(check.code, check.stderr).toBe(0);
    const checkFlag = await cli(["lock", "--check", "--embed-python"]);
    expect(checkFlag.code).toBe(EXIT.usage);
  });

  it("a pin that names no locked target makes lock --check stale; a malformed one is INVALID_LOCK", async () => {
    const text = lockText();
    try {
      writeFileSync(lockPath, text.replace(`{target = "${TARGET_ID}"`, '{target = "win_amd64-cp311"'));
      const stale = await cli(["lock", "--check"]);
      expect(stale.code).toBe(EXIT.checkFailed);
      expect(stale.stderr).toContain("names win_amd64-cp311, which the lock does not lock");
      writeFileSync(lockPath, text.replace(`sha256 = "${first}"`, 'sha256 = "abc"'));
      const invalid = await cli(["lock", "--check"]);
      expect(invalid.code).toBe(EXIT.invalidInput);
      expect(invalid.stderr).toContain("tool.pystore.pythons: [0].sha256 must be 64 lower-case hex digits");
    } finally {
      writeFileSync(lockPath, text);
    }
  });

  it("bundle embeds the pinned interpreter by default, refuses another, and --no-embed-python opts out", async () => {
    const out = join(work.path, "out", "pinned");
    const built = await cli(["bundle", ...TARGET, "-o", out, "--json"]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain(`embedding the interpreter ${lockPath} pins for ${TARGET_ID}`);
    expect(JSON.parse(built.stdout).python).toMatchObject({ sha256: first });

    const other = await cli(["bundle", ...TARGET, "--embed-python", second.slice(0, 10), "-o", join(work.path, "out", "other")]);
    expect(other.code).toBe(EXIT.invalidInput);
    expect(other.stderr).toContain(`is the interpreter ${second}`);
    expect(other.stderr).toContain(`pins ${first}`);
    // The same one, named, is fine.
    const same = await cli(["bundle", ...TARGET, "--embed-python", first.slice(0, 10), "-o", join(work.path, "out", "same"), "--json"]);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).python.sha256).toBe(first);

    // A .pyz cannot carry the pin: without a flag it says so and goes on; with one it is refused.
    const pyz = await cli(["bundle", ...TARGET, "-o", join(work.path, "out", "pinned.pyz")]);
    expect(pyz.code, pyz.stderr).toBe(0);
    expect(pyz.stderr).toContain("which this bundle format cannot carry: not embedded");
    expect((await cli(["bundle", ...TARGET, "--embed-python", "-o", join(work.path, "out", "flag.pyz")])).code).toBe(EXIT.usage);

    const none = await cli(["bundle", ...TARGET, "--no-embed-python", "-o", join(work.path, "out", "none"), "--json"]);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout).python).toBeUndefined();
  });

  it("a store without the pinned interpreter: bundle names its sha256 (ENTRY_NOT_FOUND); lock finds none to pin", async () => {
    const missing = await cli(["bundle", ...TARGET, "-o", join(work.path, "out", "missing")], "empty-store");
    expect(missing.code).toBe(EXIT.store);
    expect(missing.stderr).toContain(`pins the interpreter ${first}`);
    expect(missing.stderr).toContain("pystore python add");
    expect(missing.stderr).toContain("store import");

    const text = lockText();
    const cannot = await cli(["lock", "--no-embed-python"], "empty-store");
    expect(cannot.code, cannot.stderr).toBe(0);
    expect(lockText()).not.toContain("pythons");
    const nothing = await cli(["lock", "--embed-python"], "empty-store");
    expect(nothing.code).toBe(EXIT.store);
    expect(nothing.stderr).toContain(`no stored interpreter fits ${TARGET_ID}`);
    expect(nothing.stderr).toContain("pystore python add");
    // The refusal left the lock alone.
    expect(lockText()).not.toContain("pythons");
    expect((await cli(["lock", "--embed-python", first.slice(0, 10)])).code).toBe(0);
    expect(lockText()).toBe(text);
  });

  it("a bundle that locks first with --embed-python pins what it embeds, so the next bundle embeds it by default", async () => {
    const dir = join(work.path, "lock-first");
    cpSync(project, dir, { recursive: true });
    rmSync(join(dir, "pylock.toml"), { force: true });
    const inDir = (args: string[]) =>
      runCli(args, { cwd: dir, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "1700000000", PYSTORE_INDEX_URL: "" } });
    const built = await inDir(["bundle", ...TARGET, "--embed-python", second.slice(0, 10), "-o", join(dir, "out-1"), "--json"]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain("locking first");
    expect(JSON.parse(built.stdout).python.sha256).toBe(second);
    // The lock it wrote records the interpreter, as `pystore lock --embed-python` would have.
    const written = readFileSync(join(dir, "pylock.toml"), "utf8");
    expect(written).toContain(`target = "${TARGET_ID}", sha256 = "${second}"`);
    const again = await inDir(["bundle", ...TARGET, "-o", join(dir, "out-2"), "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).python.sha256).toBe(second);
    const check = await inDir(["lock", "--check"]);
    expect(check.code, check.stderr).toBe(0);
  });

  it("the compile and embed-python settings: variables and project files below the flags, listed by config show", async () => {
    const shown = await cli(["config", "show", "--json"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).settings).toMatchObject({ compile: { origin: "default" }, "embed-python": { origin: "default" } });
    const fromEnv = await runCli(["config", "show", "--json"], {
      cwd: project,
      env: { PYSTORE_STORE: join(work.path, "store"), PYSTORE_COMPILE: "0", PYSTORE_EMBED_PYTHON: "0" },
    });
    expect(JSON.parse(fromEnv.stdout).settings.compile).toEqual({ value: false, origin: "env", from: "PYSTORE_COMPILE" });

    const out = join(work.path, "out", "configured");
    const optedOut = await runCli(["bundle", ...TARGET, "-o", out, "--json"], {
      cwd: project,
      env: { PYSTORE_STORE: join(work.path, "store"), PYSTORE_EMBED_PYTHON: "0", PYSTORE_COMPILE: "0" },
    });
    expect(optedOut.code, optedOut.stderr).toBe(0);
    expect(JSON.parse(optedOut.stdout).python).toBeUndefined();
    expect(JSON.parse(optedOut.stdout).bytecode).toBeUndefined();
    // A flag wins over the project file.
    writeFileSync(join(project, "pystore.toml"), "compile = false\n");
    try {
      const flagged = await cli(["bundle", ...TARGET, "--compile", "-o", out, "--json"]);
      expect(flagged.code, flagged.stderr).toBe(0);
      expect(JSON.parse(flagged.stdout).python.sha256).toBe(first);
      expect(JSON.parse(flagged.stdout).bytecode).toBeDefined();
      const fromFile = await cli(["bundle", ...TARGET, "-o", out, "--json"]);
      expect(JSON.parse(fromFile.stdout).bytecode).toBeUndefined();
    } finally {
      rmSync(join(project, "pystore.toml"));
    }
  });

  it("store export -l carries the pin: import into an empty store, bundle offline, the same bundle hash", async () => {
    expect((await cli(["fetch"])).code).toBe(0);
    const here = await cli(["bundle", ...TARGET, "-o", join(work.path, "out", "here.tar.gz"), "--json"]);
    expect(here.code, here.stderr).toBe(0);
    const closure = join(work.path, "closure.tar");
    const exported = await cli(["store", "export", "-l", "pylock.toml", "-o", closure, "--json"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout).members.map((m: { path: string }) => m.path)).toContain(`pythons/${first}.tar`);

    // The wheels directory goes too: what the other machine bundles comes from the closure alone.
    renameSync(join(project, "wheels"), join(work.path, "wheels-away"));
    try {
      const wrapper = canUnshare ? ["unshare", "-n"] : undefined;
      const imported = await cli(["store", "import", closure], "airgap-store", wrapper);
      expect(imported.code, imported.stderr).toBe(0);
      const there = await cli(
        ["bundle", ...TARGET, "--offline", "-o", join(work.path, "out", "there.tar.gz"), "--json"],
        "airgap-store",
        wrapper,
      );
      expect(there.code, there.stderr).toBe(0);
      expect(JSON.parse(there.stdout).python.sha256).toBe(first);
      expect(JSON.parse(there.stdout).bundleHash).toBe(JSON.parse(here.stdout).bundleHash);
      expect(readFileSync(join(work.path, "out", "there.tar.gz")).equals(readFileSync(join(work.path, "out", "here.tar.gz")))).toBe(true);
    } finally {
      renameSync(join(work.path, "wheels-away"), join(project, "wheels"));
    }
  });
});
