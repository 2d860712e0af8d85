// `bundle --embed-python`: a bundle that carries its own interpreter (made from the machine's Python by
// fixtures/python-standalone.ts) runs with no Python on PATH, through a symlink, after the interpreter's
// original directory and the store are moved away; a mismatched interpreter and a .pyz are refused.

import { spawnSync } from "node:child_process";
import { appendFileSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildStandalonePython, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const unavailable = standaloneUnavailable();
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
let work: TempDir;
let project: string;
let standalone: string;
let sha256: string;

/** A project whose one executable reports which interpreter runs it and where greetlib came from. */
async function writeProject(dir: string): Promise<void> {
  const wheel = await buildWheel(
    { name: "greetlib", version: "1.0.0", files: { "greetlib/__init__.py": 'def greeting():\n    return "Hello World"\n' } },
    join(dir, "wheels"),
  );
  await writeTree(dir, {
    "pyproject.toml":
      '[project]\nname = "showpy"\nversion = "0.1.0"\ndependencies = ["greetlib"]\n\n[project.scripts]\nshowpy = "showpy:main"\n',
    "src/showpy/__init__.py": `import json, os, sys

def main():
    import greetlib
    print(json.dumps({"executable": sys.executable, "prefix": sys.prefix, "greeting": greetlib.greeting(),
                      "greetlib": greetlib.__file__, "path": os.environ.get("PATH")}))
`,
    "pylock.toml": lockFor([{ wheel, path: `wheels/${wheel.filename}` }]),
  });
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "", ...env } });

beforeAll(async () => {
  work = await tempDir("bundle-embed");
  if (unavailable) return;
  project = join(work.path, "showpy");
  await writeProject(project);
  standalone = join(work.path, "standalone");
  buildStandalonePython(standalone);
  const added = await cli(["python", "add", standalone, "--json"]);
  expect(added.code, added.stderr).toBe(0);
  sha256 = (JSON.parse(added.stdout) as { sha256: string }[])[0]!.sha256;
});
afterAll(async () => {
  await work?.cleanup();
});

describe.skipIf(unavailable !== undefined)("bundle --embed-python", () => {
  it("runs under env -i PATH=/nonexistent through a symlink, after the interpreter's sources and the store moved", async () => {
    const out = join(work.path, "out", "showpy");
    const built = await cli(["bundle", "--project", project, ...TARGET, "--embed-python", "-o", out, "--json"]);
    expect(built.stderr).not.toContain("error");
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout).python).toMatchObject({ sha256, implementation: "cpython" });
    const manifest = JSON.parse(readFileSync(join(out, "pystore-bundle.json"), "utf8"));
    expect(manifest.python).toMatchObject({
      sha256,
      implementation: "cpython",
      machine: "x86_64",
      libc: "glibc",
      executable: "python/bin/python3",
    });
    // bin/python3 was a symlink in the store: the bundle holds it as a plain file.
    expect(lstatSync(join(out, "python/bin/python3")).isFile()).toBe(true);
    expect((await cli(["bundle", "verify", out])).code).toBe(0);
    // The bundle keeps its interpreter alive in the store.
    const gc = await cli(["store", "gc", "--grace", "0", "--json"]);
    expect(JSON.parse(gc.stdout).pythons.removed).toEqual([]);

    renameSync(standalone, `${standalone}-gone`);
    renameSync(join(work.path, "store"), join(work.path, "store-gone"));
    const moved = join(work.path, "elsewhere", "showpy");
    mkdirSync(join(work.path, "elsewhere"));
    renameSync(out, moved);
    const link = join(work.path, "showpy-link");
    symlinkSync(join(moved, "bin", "showpy"), link);
    const run = spawnSync("env", ["-i", "PATH=/nonexistent", `HOME=${join(work.path, "home")}`, link], { encoding: "utf8", cwd: "/" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const shown = JSON.parse(run.stdout);
    expect(shown).toMatchObject({ executable: join(moved, "python/bin/python3"), prefix: join(moved, "python"), greeting: "Hello World" });
    expect(shown.greetlib).toBe(join(moved, "site-packages/greetlib/__init__.py"));
    renameSync(join(work.path, "store-gone"), join(work.path, "store"));
    renameSync(`${standalone}-gone`, standalone);
  });

  it("a tar.gz carries the interpreter with its files' own times; a copied dir bundle keeps them too", async () => {
    const archive = join(work.path, "showpy.tar.gz");
    const built = await cli(["bundle", "--project", project, ...TARGET, "--embed-python", sha256.slice(0, 10), "--systemd", "-o", archive]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(
      new RegExp(
        `  python/: cpython 3\\.11\\.\\d+ \\(embedded, ${sha256.slice(0, 12)}\\)\\n  bytecode: unchecked-hash \\.pyc files, compiled by Python 3\\.11\\.\\d+\\n`,
      ),
    );
    const unit = spawnSync("tar", ["-xOzf", archive, "showpy/systemd/showpy.service"], { encoding: "utf8" }).stdout;
    expect(unit).toContain("ExecStart=/opt/showpy/bin/showpy");
    const listing = spawnSync("tar", ["-tvzf", archive, "showpy/python/lib/python3.11/os.py", "showpy/bin/showpy"], { encoding: "utf8" });
    const lines = listing.stdout.trim().split("\n");
    const os = lines.find((l) => l.endsWith("os.py"));
    const launcher = lines.find((l) => l.endsWith("bin/showpy"));
    expect(launcher).toContain("1980-01-01");
    const stored = new Date(statSync(join(standalone, "python/lib/python3.11/os.py")).mtimeMs);
    expect(os).toContain(stored.toISOString().slice(0, 10));
    const unpacked = join(work.path, "unpacked");
    mkdirSync(unpacked);
    expect(spawnSync("tar", ["-xzf", archive, "-C", unpacked]).status).toBe(0);
    const run = spawnSync("env", ["-i", "PATH=/nonexistent", join(unpacked, "showpy/bin/showpy")], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout).prefix).toBe(join(unpacked, "showpy/python"));

    const copied = join(work.path, "copied");
    expect((await cli(["bundle", "--project", project, ...TARGET, "--embed-python", "--copy", "-o", copied])).code).toBe(0);
    const file = join(copied, "python/lib/python3.11/os.py");
    expect(statSync(file).ino).not.toBe(statSync(join(standalone, "python/lib/python3.11/os.py")).ino);
    expect(Math.floor(statSync(file).mtimeMs / 1000)).toBe(Math.floor(stored.getTime() / 1000));
    // The interpreter's files are the bundle's files: verify names an edited one.
    appendFileSync(file, "# edited\n");
    const verify = await cli(["bundle", "verify", copied]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain("python/lib/python3.11/os.py");
  });

  it("refuses an interpreter that is not the target's, naming both, and a .pyz", async () => {
    const out = join(work.path, "refused");
    const wrongPython = await cli([
      "bundle",
      "--project",
      project,
      "--platform",
      "manylinux_x86_64",
      "--python",
      "3.12",
      "--embed-python",
      sha256.slice(0, 8),
      "-o",
      out,
    ]);
    expect(wrongPython.code).toBe(3);
    expect(wrongPython.stderr).toMatch(
      /error: the interpreter \S+-cpython-3\.11\.\d+-linux-x86_64-gnu \(cpython 3\.11\.\d+ linux x86_64 glibc\) cannot run bundles for manylinux_2_28_x86_64-cp312 \(cpython 3\.12 linux x86_64 glibc\): Python 3\.11 \(target: 3\.12\)/,
    );
    const wrongLibc = await cli([
      "bundle",
      "--project",
      project,
      "--platform",
      "musllinux_x86_64",
      "--python",
      "3.11",
      "--embed-python",
      sha256.slice(0, 8),
      "-o",
      out,
    ]);
    expect(wrongLibc.code).toBe(3);
    expect(wrongLibc.stderr).toContain("C library glibc (target: musl)");
    const noneFits = await cli([
      "bundle",
      "--project",
      project,
      "--platform",
      "manylinux_aarch64",
      "--python",
      "3.11",
      "--embed-python",
      "-o",
      out,
    ]);
    expect(noneFits.code).toBe(7);
    expect(noneFits.stderr).toContain("no stored interpreter fits manylinux_2_28_aarch64-cp311");
    const pyz = await cli(["bundle", "--project", project, ...TARGET, "--embed-python", "-o", join(work.path, "x.pyz")]);
    expect(pyz.code).toBe(2);
    expect(pyz.stderr).toContain("a .pyz is run by whichever python3 opens it");
    expect(() => statSync(out)).toThrow();
  });
});
