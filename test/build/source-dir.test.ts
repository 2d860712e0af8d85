// Local projects packed the canonical way: the same files give the same bytes whatever their times,
// debris is left out, long names survive (PAX), and links or a dynamic version are refused.

import { symlink, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSdistTarGz } from "../../src/build/sdist-archive.js";
import { packSourceTree } from "../../src/build/source-dir.js";
import { writeTree } from "../../fixtures/projects.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
beforeAll(async () => {
  work = await tempDir("source-dir");
});
afterAll(async () => {
  await work?.cleanup();
});

const LONG = `${"deep/".repeat(25)}module.py`;
const project = async (name: string, pyproject = `[project]\nname = "My.Lib"\nversion = "1.2"\n`) => {
  const dir = join(work.path, name);
  await writeTree(
    dir,
    {
      "pyproject.toml": pyproject,
      "my_lib/__init__.py": "X = 1\n",
      "bin/tool": "#!/bin/sh\n",
      [LONG]: "Y = 2\n",
      ".git/HEAD": "ref: refs/heads/main\n",
      "my_lib/__pycache__/x.cpython-311.pyc": "junk",
      "my_lib.egg-info/PKG-INFO": "junk",
      "build/lib/old.py": "junk",
    },
    ["bin/tool"],
  );
  return dir;
};

describe("packSourceTree", () => {
  it("packs the same files to the same bytes, whatever their times, without VCS or build debris", async () => {
    const a = await project("a");
    const b = await project("b");
    await utimes(join(b, "my_lib/__init__.py"), 1_000_000, 1_000_000);
    const first = packSourceTree(a, "my-lib", "my-lib @ ./a");
    expect(first.filename).toBe("my_lib-1.2.tar.gz");
    expect(packSourceTree(b, "my-lib", "my-lib @ ./b").bytes.equals(first.bytes)).toBe(true);
    const contents = readSdistTarGz(first.filename, first.bytes);
    expect(contents.top).toBe("my_lib-1.2");
    expect(contents.members.map((m) => m.path).sort()).toEqual(["bin/tool", LONG, "my_lib/__init__.py", "pyproject.toml"].sort());
    expect(contents.members.find((m) => m.path === "bin/tool")?.executable).toBe(true);
  });

  it("refuses a symbolic link, another project's name, and a dynamic version", async () => {
    const linked = await project("linked");
    await symlink("/etc/passwd", join(linked, "my_lib/secrets.txt"));
    expect(() => packSourceTree(linked, "my-lib", "my-lib @ ./linked")).toThrow(/is a symbolic link/);
    const named = await project("named");
    expect(() => packSourceTree(named, "other", "other @ ./named")).toThrow(/the project there is My.Lib, not other/);
    const dynamic = await project("dynamic", `[project]\nname = "my-lib"\ndynamic = ["version"]\n`);
    expect(() => packSourceTree(dynamic, "my-lib", "my-lib @ ./dynamic")).toThrow(/no static, valid \[project\] version/);
  });
});
