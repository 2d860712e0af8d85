// The sdist reader against hostile archives built in code: every refusal is UNSAFE_SDIST naming the
// member, and nothing is unpacked; a well-formed sdist unpacks with its modes and times.

import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkgInfoOf, readSdistTarGz, unpackSdist } from "../../src/build/sdist-archive.js";
import type { PystoreError } from "../../src/errors.js";
import { inTreeSdist, SDIST_MTIME, sdistBytes, tarGz, type TarMember } from "../../fixtures/sdists.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
beforeAll(async () => {
  work = await tempDir("sdist-archive");
});
afterAll(async () => {
  await work?.cleanup();
});

function refusal(members: TarMember[]): PystoreError {
  try {
    readSdistTarGz("evil-1.0.tar.gz", tarGz(members));
  } catch (error) {
    return error as PystoreError;
  }
  throw new Error("the archive was accepted");
}

const top: TarMember = { name: "evil-1.0/", type: "directory" };

describe("readSdistTarGz", () => {
  it.each([
    ["a path escaping with ..", [top, { name: "evil-1.0/../../etc/cron.d/x", data: "boom" }], "(..)"],
    ["an absolute path", [top, { name: "/etc/passwd", data: "x" }], "absolute path"],
    ["a symbolic link", [top, { name: "evil-1.0/link", type: "symlink", linkname: "/etc/passwd" }], "a symbolic link"],
    ["a hard link", [top, { name: "evil-1.0/hard", type: "hardlink", linkname: "/etc/shadow" }], "a hard link"],
    ["a member outside the top directory", [top, { name: "other/setup.py", data: "x" }], "outside the top-level directory"],
    ["a set-uid file", [top, { name: "evil-1.0/run", data: "x", mode: 0o4755 }], "set-id"],
    ["a backslash path", [top, { name: "evil-1.0\\..\\x", data: "x" }], "backslash"],
    ["a name given twice", [top, { name: "evil-1.0/a.py", data: "1" }, { name: "evil-1.0/A.py", data: "2" }], "appears twice"],
  ] as [string, TarMember[], string][])("refuses %s", (_label, members, why) => {
    const error = refusal(members);
    expect(error.code).toBe("UNSAFE_SDIST");
    expect(error.message).toContain("evil-1.0.tar.gz");
    expect(error.message).toContain(why);
  });

  it("refuses bytes that are not gzip", () => {
    expect(() => readSdistTarGz("x-1.0.tar.gz", Buffer.from("PK\u0003\u0004 not a tarball"))).toThrow(/not a readable gzip stream/);
  });

  it("reads a well-formed sdist: members relative to the top directory, PKG-INFO, newest time", () => {
    const contents = readSdistTarGz("inline-1.0.tar.gz", sdistBytes(inTreeSdist("inline", "1.0")));
    expect(contents.top).toBe("inline-1.0");
    expect(contents.members.map((m) => m.path).sort()).toEqual([
      "PKG-INFO",
      "backend/fixture_backend.py",
      "fixture.json",
      "pyproject.toml",
    ]);
    expect(pkgInfoOf(contents)).toContain("Name: inline");
    expect(contents.newest).toBe(SDIST_MTIME);
  });

  it("unpacks with the archive's modes and times, and never over an existing file", async () => {
    const bytes = tarGz([
      { name: "tool-1.0/", type: "directory" },
      { name: "tool-1.0/bin/run.sh", data: "#!/bin/sh\n", mode: 0o755 },
      { name: "tool-1.0/lib.py", data: "X = 1\n", mode: 0o600 },
    ]);
    const contents = readSdistTarGz("tool-1.0.tar.gz", bytes);
    const dir = join(work.path, "unpacked");
    await unpackSdist(contents, dir);
    expect(await readFile(join(dir, "lib.py"), "utf8")).toBe("X = 1\n");
    expect((await stat(join(dir, "bin/run.sh"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, "lib.py"))).mode & 0o777).toBe(0o644);
    expect(Math.round((await stat(join(dir, "lib.py"))).mtimeMs / 1000)).toBe(SDIST_MTIME);
    await expect(unpackSdist(contents, dir)).rejects.toThrow(/EEXIST/);
  });
});
