// What `npm pack` ships is a working pystore: the packed files, laid out as `npm install -g` lays them
// out, run from another directory. The dependencies are taken from this checkout's node_modules (the
// test reaches no registry, and better-sqlite3 would compile for minutes).

import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rename, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

let work: string;
let installed: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-pack-"));
  // dist/ was built by the test command; --ignore-scripts skips prepack's clean rebuild.
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--json"], { cwd: REPO_ROOT, encoding: "utf8" });
  expect(pack.status, pack.stderr).toBe(0);
  const [{ filename }] = JSON.parse(pack.stdout) as { filename: string }[];
  const modules = join(work, "prefix", "lib", "node_modules");
  await mkdir(modules, { recursive: true });
  const untar = spawnSync("tar", ["-xzf", join(work, filename), "-C", modules]);
  expect(untar.status).toBe(0);
  installed = join(modules, "pystore");
  await rename(join(modules, "package"), installed);
  await symlink(join(REPO_ROOT, "node_modules"), join(installed, "node_modules"));
  await mkdir(join(work, "prefix", "bin"));
  await symlink(join(installed, "bin", "pystore"), join(work, "prefix", "bin", "pystore"));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function run(args: string[]) {
  return spawnSync(join(work, "prefix", "bin", "pystore"), args, {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, PYSTORE_STORE: join(work, "store") },
  });
}

it("ships the built CLI with its Python and shell templates, specs and docs, and no tests", async () => {
  const top = (await readdir(installed)).sort();
  expect(top).toEqual(expect.arrayContaining(["bin", "dist", "docs", "package.json", "store-format"]));
  expect(top).not.toContain("test");
  expect(top).not.toContain("src");
  expect(await readdir(join(installed, "dist", "bundle", "launch"))).toEqual(
    expect.arrayContaining(["boot.py", "launcher.sh", "pyz_main.py"]),
  );
});

it("runs through the bin link from anywhere", () => {
  const version = run(["--version"]);
  expect(version.status, version.stderr).toBe(0);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  const tags = run(["tags", "--platform", "manylinux_x86_64", "--python", "3.11", "--json"]);
  expect(tags.status, tags.stderr).toBe(0);
  expect(JSON.parse(tags.stdout).tags[0]).toBe("cp311-cp311-manylinux_2_28_x86_64");
  const store = run(["store", "verify"]);
  expect(store.status, store.stderr).toBe(0);
});
