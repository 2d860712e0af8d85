// [tool.pystore] data: the app's own files outside its libs (config, templates) go into every bundle
// format under app/data/, are listed in the manifest, and the launcher tells the app where they are.

import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let project: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;

const PYPROJECT = `[project]
name = "data-app"
version = "1.0"
dependencies = ["datadep"]

[project.scripts]
show = "data_app.main:main"

[tool.pystore]
data = ["etc/app.ini", "templates/"]
`;

const MAIN = `import os, sys
def main():
    root = os.environ["PYSTORE_APP_DATA"]
    with open(os.path.join(root, "etc", "app.ini")) as f:
        sys.stdout.write(f.read())
    with open(os.path.join(root, "templates", "mail", "hello.txt")) as f:
        sys.stdout.write(f.read())
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-data-"));
  server = await startIndexServer({ wheels: [await buildWheel({ name: "datadep", version: "1.0" }, join(work, "wheels"))] });
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url, SOURCE_DATE_EPOCH: "0" };
  project = join(work, "app");
  await mkdir(join(project, "src", "data_app"), { recursive: true });
  await mkdir(join(project, "etc"), { recursive: true });
  await mkdir(join(project, "templates", "mail"), { recursive: true });
  await writeFile(join(project, "pyproject.toml"), PYPROJECT);
  await writeFile(join(project, "src", "data_app", "__init__.py"), "");
  await writeFile(join(project, "src", "data_app", "main.py"), MAIN);
  await writeFile(join(project, "etc", "app.ini"), "[app]\nname = data\n");
  await writeFile(join(project, "templates", "mail", "hello.txt"), "hello from a template\n");
  await writeFile(join(project, "templates", ".secret"), "never bundled\n");
  const lock = await runCli(["lock"], { env, cwd: project });
  expect(lock.code, lock.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function runShow(command: string, args: string[]) {
  const r = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, XDG_CACHE_HOME: join(work, "cache") } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("[tool.pystore] data", () => {
  it.each([
    ["dir", "out-dir"],
    ["pyz", "out.pyz"],
  ])("is in a %s bundle and found by the app through PYSTORE_APP_DATA", async (_format, name) => {
    const out = join(work, name);
    const r = await runCli(["bundle", "-o", out], { env, cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const stdout = name.endsWith(".pyz") ? runShow("python3", [out, "show"]) : runShow(join(out, "bin", "show"), []);
    expect(stdout).toBe("[app]\nname = data\nhello from a template\n");
  });

  it("is listed in the manifest, without dot files", async () => {
    const manifest = JSON.parse(await readFile(join(work, "out-dir", "pystore-bundle.json"), "utf8")) as {
      data: { dir: string; declared: string[] };
      files: { path: string }[];
    };
    expect(manifest.data).toEqual({ dir: "app/data", declared: ["etc/app.ini", "templates/"] });
    const paths = manifest.files.map((f) => f.path).filter((p) => p.startsWith("app/data/"));
    expect(paths).toEqual(["app/data/etc/app.ini", "app/data/templates/mail/hello.txt"]);
    expect((await runCli(["bundle", "verify", join(work, "out-dir")], { env })).code).toBe(0);
  });

  it("names a missing or outside entry", async () => {
    const bad = join(work, "bad");
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, "pyproject.toml"), PYPROJECT.replace('"templates/"', '"../elsewhere"'));
    await writeFile(join(bad, "pylock.toml"), await readFile(join(project, "pylock.toml")));
    const r = await runCli(["bundle", "--frozen", "-o", join(work, "bad-out")], { env, cwd: bad });
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toMatch(/data entry "(etc\/app\.ini" does not exist|\.\.\/elsewhere" is not inside the project directory)/);
  });
});
