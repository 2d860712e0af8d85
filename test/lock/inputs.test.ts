// Lock inputs: pip requirements files (nesting, options, errors with file:line) and pyproject.toml
// (extras incl. self-references, PEP 735 groups, [tool.pystore] targets).

import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { assertStaticDependencies, groupRequirements, parsePyproject, projectRequirements } from "../../src/project/pyproject.js";
import { logicalLines, readRequirementsFile } from "../../src/lock/requirements-file.js";
import { formatRequirement } from "../../src/standards/pep508.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-reqs-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  return path;
}

describe("requirements files", () => {
  it("joins continuations and drops comments but keeps URL fragments", () => {
    expect(logicalLines("a \\\n  >=1  # pin\n# whole line\n\nb @ https://x/b.whl#sha256=00\n")).toEqual([
      { line: 1, text: "a   >=1" },
      { line: 5, text: "b @ https://x/b.whl#sha256=00" },
    ]);
  });

  it("reads nested -r and -c, options, extras, markers and name @ url", async () => {
    await file("sub/base.txt", "leaf[fast,extra] >= 1.0 ; python_version >= '3.8'\n-c constraints.txt\n--find-links ./wheels\n");
    await file("sub/constraints.txt", "leaf < 3\n");
    const top = await file(
      "top.txt",
      [
        "--index-url https://idx.test/simple/",
        "--extra-index-url=https://extra.test/simple/",
        "-r sub/base.txt",
        "direct @ https://files.test/direct-1.0-py3-none-any.whl",
        "hashed==1.0 --hash=sha256:abc",
        "--pre",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal environment reference, as a requirements file spells it
        "${FROM_ENV}",
      ].join("\n"),
    );
    const r = await readRequirementsFile(top, { env: { FROM_ENV: "envpkg" }, baseDir: dir });
    expect(r.requirements.map((x) => formatRequirement(x.requirement))).toEqual([
      'leaf[extra,fast]>=1.0; python_version >= "3.8"',
      "direct @ https://files.test/direct-1.0-py3-none-any.whl",
      "hashed==1.0",
      "envpkg",
    ]);
    expect(r.requirements[0].source).toBe("sub/base.txt:1");
    expect(r.constraints.map((x) => formatRequirement(x.requirement))).toEqual(["leaf<3"]);
    expect(r.indexUrl).toBe("https://idx.test/simple/");
    expect(r.extraIndexUrls).toEqual(["https://extra.test/simple/"]);
    expect(r.findLinks).toEqual(["sub/wheels"]);
    expect(r.prerelease).toBe(true);
  });

  it("reports bad lines with file:line", async () => {
    const bad = await file("bad.txt", "ok\n\nnot a valid ==requirement\n");
    await expect(readRequirementsFile(bad, { baseDir: dir })).rejects.toMatchObject({
      code: "INVALID_REQUIREMENTS_FILE",
      message: expect.stringContaining("bad.txt:3"),
    });
    const editable = await file("editable.txt", "-e ./src\n");
    await expect(readRequirementsFile(editable, { baseDir: dir })).rejects.toMatchObject({
      message: expect.stringContaining("editable.txt:1"),
    });
    const bare = await file("bare.txt", "./pkg.whl\n");
    await expect(readRequirementsFile(bare, { baseDir: dir })).rejects.toMatchObject({ hint: expect.stringContaining("name @ url") });
  });

  it("detects include cycles and missing files", async () => {
    await file("loop-a.txt", "-r loop-b.txt\n");
    const b = await file("loop-b.txt", "-r loop-a.txt\n");
    await expect(readRequirementsFile(b)).rejects.toThrow(/includes itself/);
    const missing = await file("missing.txt", "-r nowhere.txt\n");
    await expect(readRequirementsFile(missing)).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
  });
});

const PYPROJECT = `
[project]
name = "My_App"
requires-python = ">=3.9"
dependencies = ["requests>=2", "attrs"]

[project.optional-dependencies]
fast = ["orjson"]
all = ["my-app[fast,cli]"]
CLI = ["click; sys_platform != 'win32'"]

[dependency-groups]
test = ["pytest", {include-group = "lint"}]
lint = ["ruff"]
loop-a = [{include-group = "loop-b"}]
loop-b = [{include-group = "loop-a"}]

[tool.pystore]
targets = [{platform = "manylinux_x86_64", python = ["3.11", "3.12"]}, {platform = "win_amd64", python = "3.11"}]
scripts = {serve = "my_app:main"}
`;

describe("pyproject.toml", () => {
  const project = parsePyproject(PYPROJECT, "pyproject.toml");

  it("reads project metadata and [tool.pystore]", () => {
    expect(project.name).toBe("My_App");
    expect(project.requiresPython).toBe(">=3.9");
    expect(project.targets).toEqual([
      { platform: "manylinux_x86_64", python: "3.11" },
      { platform: "manylinux_x86_64", python: "3.12" },
      { platform: "win_amd64", python: "3.11" },
    ]);
    expect(project.toolScripts).toEqual({ serve: "my_app:main" });
    expect(project.tool).toEqual({});
  });

  it("expands self-referencing extras and groups with include-group", () => {
    const texts = (extras: string[], groups: string[]) => projectRequirements(project, extras, groups).map(formatRequirement);
    expect(texts([], [])).toEqual(["attrs", "requests>=2"]);
    expect(texts(["all"], [])).toEqual(["attrs", 'click; sys_platform != "win32"', "orjson", "requests>=2"]);
    expect(texts([], ["Test"])).toEqual(["attrs", "pytest", "requests>=2", "ruff"]);
    expect(groupRequirements(project, "test")).toEqual(["pytest", "ruff"]);
  });

  it("rejects unknown extras and groups, and group cycles", () => {
    expect(() => projectRequirements(project, ["nope"], [])).toThrow(/unknown extra "nope"/);
    expect(() => projectRequirements(project, [], ["nope"])).toThrow(/unknown dependency group "nope"/);
    expect(() => groupRequirements(project, "loop-a")).toThrow(/cycle: loop-a -> loop-b -> loop-a/);
  });

  it("rejects malformed tables", () => {
    expect(() => parsePyproject("[project]\ndependencies = 'x'\n")).toThrow(PystoreError);
    expect(() => parsePyproject("[project]\nname = 'bad name!'\n")).toThrow(/not a valid project name/);
    expect(() => parsePyproject("[tool.pystore]\ntargets = [{python = '3.11'}]\n")).toThrow(/targets\[0\] needs a platform/);
    expect(() => parsePyproject("[project\n")).toThrow(/not valid TOML/);
    expect(() => assertStaticDependencies(parsePyproject("[project]\nname = 'x'\ndynamic = ['dependencies']\n"))).toThrow(
      /static dependencies only/,
    );
  });
});
