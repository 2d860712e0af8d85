// Real backends: setuptools (Debian's wheel, from /usr/share/python-wheels, installed by pystore into the
// build environment; it asks for `wheel` through get_requires_for_build_wheel) building a pure-Python
// package and a C extension with gcc. The project locks, bundles and runs; the C build is byte-identical
// in a second store; `store info` shows the provenance; a target the built wheel cannot serve is refused.

import { spawnSync } from "node:child_process";
import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cExtensionInfo } from "../../fixtures/c-extension.js";
import { writeTree } from "../../fixtures/projects.js";
import { cExtensionSdist, DEBIAN_WHEELS, setuptoolsSdist, writeSdist } from "../../fixtures/sdists.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const PYTHON = "/usr/bin/python3";
const unavailable = cExtensionInfo(PYTHON).unavailable;
let work: TempDir;
let links: string;

beforeAll(async () => {
  work = await tempDir("sdist-setuptools");
  links = join(work.path, "links");
  await writeSdist(setuptoolsSdist("puresetup", "2.0", "VALUE = 'setuptools works'\n"), links);
  await writeSdist(cExtensionSdist(), links);
  for (const name of await readdir(DEBIAN_WHEELS)) {
    if (name.startsWith("setuptools-") || name.startsWith("wheel-")) await copyFile(join(DEBIAN_WHEELS, name), join(links, name));
  }
});

afterAll(async () => {
  await work?.cleanup();
});

const cli = (args: string[], store: string) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, store), PYSTORE_PYTHON: PYTHON, SOURCE_DATE_EPOCH: "" } });

const builtSha = (lockText: string, name: string) =>
  (parsePylock(lockText).packages.find((p) => p.name === name)!.tool as { pystore: { built: { hashes: { sha256: string } }[] } }).pystore
    .built[0].hashes.sha256;

describe.skipIf(unavailable !== undefined)("sdists built with setuptools", () => {
  it("locks, bundles and runs a pure-Python and a C-extension sdist; the same build in another store is byte-identical", async () => {
    const dir = join(work.path, "app");
    await writeTree(dir, {
      "pyproject.toml": `[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["puresetup", "cadd"]\n\n[project.scripts]\napp = "app.main:main"\n`,
      "src/app/__init__.py": "",
      "src/app/main.py": "import cadd\nimport puresetup\n\ndef main():\n    print(puresetup.VALUE, cadd.add(2, 3))\n",
    });
    const flags = ["--project", dir, "--no-index", "--find-links", links];
    const locked = await cli(["lock", ...flags], "store-a");
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stderr).toContain("built cadd-1.0-cp311-cp311-linux_x86_64.whl");
    const text = await readFile(join(dir, "pylock.toml"), "utf8");
    // setuptools from the find-links directory, and the `wheel` it asked for, are the locked build environment.
    expect(text).toContain('build-wheels = ["setuptools-66.1.1-py3-none-any.whl", "wheel-0.38.4-py3-none-any.whl"]');

    const out = join(work.path, "bundle");
    const bundled = await cli(["bundle", "--project", dir, "-o", out], "store-a");
    expect(bundled.code, bundled.stderr).toBe(0);
    const run = spawnSync(join(out, "bin", "app"), [], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: PYTHON } });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("setuptools works 5\n");

    const info = await cli(["store", "info", "cadd"], "store-a");
    expect(info.stdout).toContain("built from:      cadd-1.0.tar.gz (sha256 ");
    expect(info.stdout).toContain("network:         none");
    expect(info.stdout).toMatch(/setuptools-66\.1\.1-py3-none-any\.whl \(sha256 [0-9a-f]{64}\)/);

    const again = await cli(["lock", "--upgrade", ...flags, "-o", join(work.path, "second.pylock.toml")], "store-b");
    expect(again.code, again.stderr).toBe(0);
    const second = await readFile(join(work.path, "second.pylock.toml"), "utf8");
    expect(builtSha(second, "cadd")).toBe(builtSha(text, "cadd"));
    expect(builtSha(second, "puresetup")).toBe(builtSha(text, "puresetup"));
  });

  it("refuses a target the C build cannot serve, naming the sdist and the target", async () => {
    const dir = join(work.path, "app-py312");
    await writeTree(dir, { "pyproject.toml": `[project]\nname = "app312"\nversion = "0.1.0"\ndependencies = ["cadd"]\n` });
    const r = await cli(
      ["lock", "--project", dir, "--no-index", "--find-links", links, "--platform", "manylinux_x86_64", "--python", "3.12"],
      "store-a",
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot build cadd-1.0.tar.gz for target manylinux_2_28_x86_64-cp312");
    expect(r.stderr).toContain("pystore store add");
  });
});
