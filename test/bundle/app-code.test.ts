// Reading a project's code and executables: layouts, [tool.pystore] libs and scripts, precedence, refusals.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../../fixtures/projects.js";
import { copyAppCode, readProject } from "../../src/bundle/app-code.js";
import { walkTree } from "../../src/bundle/manifest.js";
import { collectExecutables } from "../../src/bundle/scripts.js";
import type { InstalledWheel } from "../../src/install/core.js";
import { PystoreError } from "../../src/errors.js";
import { memoryLogger } from "../../src/util/log.js";
import { tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("appcode");
});
afterAll(async () => {
  await dir?.cleanup();
});

describe("app code", () => {
  it("a flat project contributes its packages and modules only (no tests, setup.py, caches or dotfiles)", async () => {
    const project = join(dir.path, "flat");
    await writeTree(project, {
      "pyproject.toml": '[project]\nname = "flat-app"\n',
      "flatapp/__init__.py": "",
      "flatapp/data.json": "{}",
      "flatapp/__pycache__/x.pyc": "junk",
      "tool.py": "",
      "setup.py": "",
      "tests/__init__.py": "",
      "notes/readme.txt": "not a package",
      ".git/config": "",
      "README.md": "",
    });
    const info = await readProject(project);
    expect(info.name).toBe("flat-app");
    expect(info.libs.map((l) => l.bundlePath)).toEqual(["app/libs/project"]);
    const out = join(dir.path, "flat-out");
    expect(await copyAppCode(info, out, [])).toEqual(["app/libs/project"]);
    expect((await walkTree(out)).map((f) => f.path)).toEqual([
      "app/libs/project/flatapp/__init__.py",
      "app/libs/project/flatapp/data.json",
      "app/libs/project/tool.py",
    ]);
  });

  it("a declared lib that does not exist is an INVALID_PYPROJECT naming it", async () => {
    const project = join(dir.path, "badlib");
    await writeTree(project, { "pyproject.toml": '[tool.pystore]\nlibs = ["src", "../missing-lib"]\n', "src/a.py": "" });
    const error = await readProject(project).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("INVALID_PYPROJECT");
    expect((error as PystoreError).message).toContain('"../missing-lib"');
  });

  it("OUT inside the project is never copied into itself", async () => {
    const project = join(dir.path, "self");
    await writeTree(project, { "pyproject.toml": '[tool.pystore]\nlibs = ["."]\n', "mod.py": "", "dist-bundle/site-packages/x.py": "" });
    const info = await readProject(project);
    const out = join(dir.path, "self-out");
    await copyAppCode(info, out, [join(project, "dist-bundle")]);
    expect((await walkTree(out)).map((f) => f.path)).toEqual(["app/libs/project/mod.py", "app/libs/project/pyproject.toml"]);
  });
});

describe("executables", () => {
  const wheel = (name: string, scripts: Record<string, string>): InstalledWheel => ({
    filename: `${name}-1.0-py3-none-any.whl`,
    name,
    version: "1.0",
    distInfo: `site-packages/${name}-1.0.dist-info`,
    files: [],
    pythonScripts: [],
    hasNativeCode: false,
    entryPoints: Object.entries(scripts).map(([n, v]) => ({
      group: "console_scripts",
      name: n,
      module: v.split(":")[0],
      attr: v.split(":")[1],
    })),
  });

  it("[tool.pystore.scripts] beats [project.scripts], which beats dependencies; dependencies only with depScripts", async () => {
    const project = join(dir.path, "exe");
    await writeTree(project, {
      "pyproject.toml":
        '[project]\nname = "exe"\n[project.scripts]\nserve = "app.cli:serve"\nflask = "app.cli:flask"\n[tool.pystore.scripts]\nserve = "bin/serve.py"\n',
      "src/app/__init__.py": "",
    });
    const info = await readProject(project);
    const log = memoryLogger();
    const deps = [wheel("flask", { flask: "flask.cli:main" }), wheel("uvicorn", { uvicorn: "uvicorn.main:main" })];
    expect(collectExecutables(info, deps, { depScripts: false, log }).map((e) => [e.name, e.origin])).toEqual([
      ["flask", "[project.scripts]"],
      ["serve", "[tool.pystore.scripts]"],
    ]);
    const all = collectExecutables(info, deps, { depScripts: true, log });
    expect(all.map((e) => e.name)).toEqual(["flask", "serve", "uvicorn"]);
    expect(all.find((e) => e.name === "serve")).toMatchObject({ kind: "script", path: "app/scripts/bin/serve.py" });
    expect(all.find((e) => e.name === "uvicorn")).toMatchObject({ kind: "entry", module: "uvicorn.main", attr: "main" });
    expect(log.lines.some((l) => l.includes('"flask" from flask 1.0 (console_scripts) is shadowed'))).toBe(true);
  });

  it.each([
    ['bad = "not a reference!"', /not an object reference/],
    ['"../x" = "a:b"', /cannot be a file name/],
    ['up = "../outside.py"', /outside the project directory/],
  ])("refuses %s", async (line, message) => {
    const project = join(dir.path, `bad-${Math.random().toString(36).slice(2)}`);
    await writeTree(project, { "pyproject.toml": `[tool.pystore.scripts]\n${line}\n`, "m.py": "" });
    expect(() => collectExecutables(undefined, [], { depScripts: false, log: memoryLogger() })).not.toThrow();
    const info = await readProject(project);
    expect(() => collectExecutables(info, [], { depScripts: false, log: memoryLogger() })).toThrow(message);
  });
});
