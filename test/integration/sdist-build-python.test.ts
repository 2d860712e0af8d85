// --build-python on fetch and bundle, through the built CLI: a locked sdist-built wheel missing from the
// store is rebuilt with the interpreter the flag names (over PYSTORE_PYTHON), the user file's build-python
// counts below the variable, and an interpreter that is not there is a typed error naming it.

import { chmod, readFile, writeFile } from "node:fs/promises";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../../fixtures/projects.js";
import { inTreeSdist, writeSdist } from "../../fixtures/sdists.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const PYTHON = "/usr/bin/python3";
const REAL = "/usr/bin/python3.11";
let work: TempDir;
let links: string;
let project: string;

/** A python3.11 stand-in that writes one line per start to `log`, then runs the real one. */
async function wrapper(name: string): Promise<{ path: string; log: string }> {
  const path = join(work.path, name);
  const log = `${path}.log`;
  await writeFile(path, `#!/bin/sh\necho "started" >> '${log}'\nexec ${REAL} "$@"\n`);
  await chmod(path, 0o755);
  return { path, log };
}

const starts = async (log: string) => (existsSync(log) ? (await readFile(log, "utf8")).split("\n").filter(Boolean).length : 0);

const cli = (args: string[], store: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(args, {
    cwd: work.path,
    env: { PYSTORE_STORE: store, PYSTORE_PYTHON: PYTHON, SOURCE_DATE_EPOCH: "", XDG_CONFIG_HOME: join(work.path, "no-config"), ...env },
  });

beforeAll(async () => {
  work = await tempDir("sdist-build-python");
  links = join(work.path, "links");
  await writeSdist(inTreeSdist("helper", "1.0", { module: "VALUE = 'helper works'\n" }), links);
  project = join(work.path, "app");
  await writeTree(project, {
    "pyproject.toml": `[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["helper"]\n`,
    "src/app/__init__.py": "",
  });
  const locked = await cli(["lock", "--project", project, "--no-index", "--find-links", links], join(work.path, "store-lock"));
  expect(locked.code, locked.stderr).toBe(0);
  expect(locked.stderr).toContain("building helper-1.0.tar.gz");
}, 120_000);

afterAll(async () => {
  await work?.cleanup();
});

describe("--build-python on fetch and bundle", () => {
  it("fetch rebuilds a missing locked wheel with the --build-python interpreter, not PYSTORE_PYTHON", async () => {
    const python = await wrapper("py-fetch");
    const store = join(work.path, "store-fetch");
    const r = await cli(["fetch", "--project", project, "--build-python", python.path], store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("is not in the store: building it from helper-1.0.tar.gz as locked");
    expect(await starts(python.log)).toBeGreaterThan(0);
    const ls = await cli(["store", "ls"], store);
    expect(ls.stdout).toContain("helper");
  });

  it("bundle rebuilds with --build-python too", async () => {
    const python = await wrapper("py-bundle");
    const store = join(work.path, "store-bundle");
    const out = join(work.path, "bundle");
    const r = await cli(["bundle", "--project", project, "-o", out, "--build-python", python.path], store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("building it from helper-1.0.tar.gz as locked");
    expect(await starts(python.log)).toBeGreaterThan(0);
  });

  it("the user file's build-python applies when neither the flag nor PYSTORE_PYTHON is given, and config show names it", async () => {
    const python = await wrapper("py-user");
    const config = join(work.path, "xdg-config");
    mkdirSync(join(config, "pystore"), { recursive: true });
    await writeFile(join(config, "pystore", "config.toml"), `build-python = ${JSON.stringify(python.path)}\n`);
    const env = { PYSTORE_PYTHON: "", XDG_CONFIG_HOME: config };
    const shown = await cli(["config", "show", "--json"], join(work.path, "store-user"), env);
    expect(shown.code, shown.stderr).toBe(0);
    const { settings } = JSON.parse(shown.stdout) as { settings: Record<string, { origin: string; value: unknown }> };
    expect(settings["build-python"]).toMatchObject({ origin: "user", value: python.path });
    const r = await cli(["fetch", "--project", project], join(work.path, "store-user"), env);
    expect(r.code, r.stderr).toBe(0);
    expect(await starts(python.log)).toBeGreaterThan(0);
  });

  it("an interpreter that is not there is a typed error naming it", async () => {
    const missing = join(work.path, "no-such-python");
    const r = await cli(["fetch", "--project", project, "--build-python", missing, "--json"], join(work.path, "store-bad"));
    expect(r.code).toBe(3);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe("FILE_NOT_FOUND");
    expect(error.message).toContain(missing);
  });
});
