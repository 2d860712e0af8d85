// `pystore init` through the built CLI: the inferred [tool.pystore] is appended, every byte already in
// pyproject.toml kept; an existing table is refused without --force; --dry-run writes nothing.

import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { parsePyproject } from "../../src/project/pyproject.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

let work: TempDir;
let n = 0;

beforeAll(async () => {
  work = await tempDir("init");
});
afterAll(async () => work?.cleanup());

// Odd but valid formatting (comments, CRLF, no final newline) that a re-serializer would not keep.
const ORIGINAL =
  '# my app\r\n[project]\r\nname = "things"   # the name\r\nversion = "1"\r\nscripts = { serve = "things.web:main" }\r\n\r\n[tool.black]\r\nline-length = 99';

async function project(text: string, files: string[] = []): Promise<string> {
  const dir = join(work.path, `p${n++}`);
  await mkdir(dir);
  await writeFile(join(dir, "pyproject.toml"), text);
  for (const file of files) {
    await mkdir(join(dir, file, ".."), { recursive: true });
    await writeFile(join(dir, file), "");
  }
  return dir;
}

const init = (dir: string, args: string[] = []) =>
  runCli(["init", ...args], { cwd: dir, inheritEnv: false, env: { PATH: "/usr/bin:/bin", HOME: join(work.path, "home"), NO_COLOR: "1" } });

describe("pystore init", () => {
  it("appends targets, libs and scripts inferred from the layout and the host, keeping the file byte for byte", async () => {
    const dir = await project(ORIGINAL, ["src/things/__init__.py", "bin/thing_a.py", "bin/serve.py", "bin/notes.txt"]);
    const r = await init(dir);
    expect(r.code).toBe(0);
    const text = await readFile(join(dir, "pyproject.toml"), "utf8");
    expect(text.startsWith(ORIGINAL)).toBe(true);
    const added = text.slice(ORIGINAL.length);
    expect(added).not.toMatch(/[^\r]\n/);
    expect(added.split("\r\n")).toEqual([
      "",
      "",
      "[tool.pystore]",
      expect.stringMatching(/^targets = \[\{ platform = "(manylinux|musllinux)_\w+", python = "3\.\d+" \}\]$/),
      'libs = ["src"]',
      "# [project.scripts] (serve) are bundled too.",
      "",
      "[tool.pystore.scripts]",
      'thing-a = "bin/thing_a.py"',
      "",
    ]);
    expect(r.stdout.trimEnd()).toBe(added.trim().replace(/\r\n/g, "\n"));
    const parsed = parsePyproject(text);
    expect(parsed.libs).toEqual(["src"]);
    expect(parsed.toolScripts).toEqual({ "thing-a": "bin/thing_a.py" });
    expect(parsed.targets).toHaveLength(1);
  });

  it("--dry-run prints the table and writes nothing", async () => {
    const dir = await project('[project]\nname = "x"\n');
    const before = await stat(join(dir, "pyproject.toml"));
    const r = await init(dir, ["--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[tool\.pystore\]\ntargets = /);
    expect(r.stderr).toContain("dry run");
    expect(await readFile(join(dir, "pyproject.toml"), "utf8")).toBe('[project]\nname = "x"\n');
    expect((await stat(join(dir, "pyproject.toml"))).mtimeMs).toBe(before.mtimeMs);
  });

  it("refuses an existing [tool.pystore] without --force, and replaces only its lines with it", async () => {
    const text =
      '[project]\nname = "x"\n\n[tool.pystore]\nlibs = ["lib"]\n\n[tool.pystore.scripts]\nold = "bin/old.py"\n\n[tool.other]\nkeep = 1\n';
    const dir = await project(text);
    const refused = await init(dir);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain(`${join(dir, "pyproject.toml")} already has a [tool.pystore] table`);
    expect(refused.stderr).toContain("--force");
    expect(await readFile(join(dir, "pyproject.toml"), "utf8")).toBe(text);
    const forced = await init(dir, ["--force"]);
    expect(forced.code).toBe(0);
    const after = await readFile(join(dir, "pyproject.toml"), "utf8");
    expect(after.startsWith('[project]\nname = "x"\n\n[tool.other]\nkeep = 1\n\n[tool.pystore]\n')).toBe(true);
    expect(after).not.toContain("old.py");
  });

  it("refuses --force when the old table cannot be cut out line by line", async () => {
    const text = '[project]\nname = "x"\n\n[tool]\npystore = { libs = ["lib"] }\n';
    const dir = await project(text);
    const r = await init(dir, ["--force"]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("cannot remove it safely");
    expect(await readFile(join(dir, "pyproject.toml"), "utf8")).toBe(text);
  });

  it("without a pyproject.toml: FILE_NOT_FOUND with a hint", async () => {
    const dir = join(work.path, "empty");
    await mkdir(dir);
    const r = await init(dir);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toContain(`no pyproject.toml in ${dir}`);
    expect(r.stderr).toContain("hint:");
  });
});
