// Local projects as dependencies: `name @ ./libs/name` is packed the canonical way, built, locked as a
// PEP 751 directory, bundled and run; a change to its files makes the lock stale instead of reusing
// the old build.

import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../../fixtures/projects.js";
import { inTreeSdist } from "../../fixtures/sdists.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const PYTHON = "/usr/bin/python3";
let work: TempDir;

beforeAll(async () => {
  work = await tempDir("sdist-local");
});
afterAll(async () => {
  await work?.cleanup();
});

const cli = (args: string[]) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), PYSTORE_PYTHON: PYTHON, SOURCE_DATE_EPOCH: "" } });

describe("local projects as dependencies", () => {
  it("locks `mylib @ ./libs/mylib` as a directory, bundles and runs it, and refuses it once its files changed", async () => {
    const app = join(work.path, "app");
    const lib = inTreeSdist("mylib", "0.3", { module: "VALUE = 'local works'\n" });
    const libFiles = { ...lib.files, "pyproject.toml": `[project]\nname = "mylib"\nversion = "0.3"\n\n${lib.files["pyproject.toml"]}` };
    delete (libFiles as Record<string, string>)["PKG-INFO"];
    await writeTree(join(app, "libs", "mylib"), { ...libFiles, "__pycache__/junk.pyc": "ignored" });
    await writeTree(app, {
      "pyproject.toml": `[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["mylib @ ./libs/mylib"]\n\n[project.scripts]\napp = "app.main:main"\n`,
      "src/app/__init__.py": "",
      "src/app/main.py": "import mylib\n\ndef main():\n    print(mylib.VALUE)\n",
    });
    const locked = await cli(["lock", "--project", app, "--no-index"]);
    expect(locked.code, locked.stderr).toBe(0);
    const lock = parsePylock(await readFile(join(app, "pylock.toml"), "utf8"));
    const mylib = lock.packages.find((p) => p.name === "mylib")!;
    expect(mylib.directory).toEqual({ path: "libs/mylib" });
    expect(mylib.sdist).toBeUndefined();

    const out = join(work.path, "bundle");
    const bundled = await cli(["bundle", "--project", app, "-o", out]);
    expect(bundled.code, bundled.stderr).toBe(0);
    const run = spawnSync(join(out, "bin", "app"), [], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: PYTHON } });
    expect(run.stdout).toBe("local works\n");

    await writeFile(
      join(app, "libs", "mylib", "fixture.json"),
      (await readFile(join(app, "libs", "mylib", "fixture.json"), "utf8")).replace("local works", "changed"),
    );
    const stale = await cli(["bundle", "--project", app, "-o", join(work.path, "bundle2")]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("changed since it was locked");
    const relocked = await cli(["lock", "--project", app, "--no-index"]);
    expect(relocked.code, relocked.stderr).toBe(0);
    expect(relocked.stderr).toContain("building mylib-0.3.tar.gz");
  });
});
