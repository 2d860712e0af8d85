// The one `.dist-info` rule (src/wheel/dist-info.ts), with uv-metadata's own cases for find_archive_dist_info.

import { describe, expect, it } from "vitest";
import { dataDirOf, distInfoNameVersion, findDistInfo, hasNativeCode } from "../../src/wheel/dist-info.js";

const rest = ["pkg/__init__.py"];

describe("findDistInfo", () => {
  it.each([
    [
      "a dot in the name",
      "Mastodon.py-1.5.1-py2.py3-none-any.whl",
      ["Mastodon.py-1.5.1.dist-info/METADATA", "Mastodon.py-1.5.1.dist-info/WHEEL"],
      "Mastodon.py-1.5.1.dist-info",
    ],
    ["the escaped name", "friendly_bard-1.0-py3-none-any.whl", ["friendly_bard-1.0.dist-info/METADATA"], "friendly_bard-1.0.dist-info"],
    [
      "dashes in the directory name",
      "friendly_bard-1.0-py3-none-any.whl",
      ["friendly-bard-1.0.dist-info/METADATA"],
      "friendly-bard-1.0.dist-info",
    ],
    [
      "mixed case and separators",
      "friendly_bard-1.0-py3-none-any.whl",
      ["FrIeNdLy-._.-bArD-1.0.dist-info/METADATA"],
      "FrIeNdLy-._.-bArD-1.0.dist-info",
    ],
    ["an equal but differently written version", "pkg-1.0-py3-none-any.whl", ["pkg-1.0.0.dist-info/METADATA"], "pkg-1.0.0.dist-info"],
  ])("accepts %s", (_label, filename, paths, expected) => {
    expect(findDistInfo(filename, filename, [...rest, ...paths])).toBe(expected);
  });

  it.each([
    ["no .dist-info at all", "pkg-1.0-py3-none-any.whl", [], /has no \*\.dist-info\/METADATA at its root for "pkg" \(found none\)/],
    [
      "only another project's",
      "friendly_bard-1.0-py3-none-any.whl",
      ["other_package-1.0.dist-info/METADATA"],
      /found only other_package-1\.0\.dist-info/,
    ],
    [
      "a prefix of the name is not the name",
      "friendly_bard-1.0-py3-none-any.whl",
      ["friendly_bard_extra-1.0.dist-info/METADATA"],
      /found only friendly_bard_extra/,
    ],
    ["one not at the root", "pkg-1.0-py3-none-any.whl", ["deep/pkg-1.0.dist-info/METADATA"], /found none/],
    ["a .dist-info without METADATA", "pkg-1.0-py3-none-any.whl", ["pkg-1.0.dist-info/WHEEL"], /has pkg-1\.0\.dist-info without METADATA/],
    ["no version part", "friendly_bard-1.0-py3-none-any.whl", ["friendly_bard.dist-info/METADATA"], /its file name says version 1\.0/],
    [
      "a vendored project beside it (pip and uv want exactly one)",
      "pkg-2.0-py3-none-any.whl",
      ["vendored-9.9.dist-info/METADATA", "pkg-2.0.dist-info/METADATA"],
      /several \.dist-info directories: pkg-2\.0\.dist-info, vendored-9\.9\.dist-info/,
    ],
    [
      "two for the same project",
      "pkg-1.0-py3-none-any.whl",
      ["pkg-1.0.dist-info/METADATA", "PKG-1.0.dist-info/METADATA"],
      /several \.dist-info directories: PKG-1\.0\.dist-info, pkg-1\.0\.dist-info/,
    ],
    [
      "another version",
      "pkg-1.0-py3-none-any.whl",
      ["pkg-2.0.dist-info/METADATA"],
      /has pkg-2\.0\.dist-info, but its file name says version 1\.0/,
    ],
  ])("refuses %s with INVALID_METADATA naming the wheel", (_label, filename, paths, message) => {
    let error: unknown;
    try {
      findDistInfo(filename, filename, [...rest, ...paths]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: "INVALID_METADATA",
      message: expect.stringMatching(new RegExp(`^${filename.replace(/\./g, "\\.")} `)),
    });
    expect((error as Error).message).toMatch(message);
  });

  it("refuses a file name that is not a wheel's", () => {
    expect(() => findDistInfo("x.zip", "x.zip", ["x-1.0.dist-info/METADATA"])).toThrow(
      expect.objectContaining({ code: "INVALID_WHEEL_FILENAME" }),
    );
  });
});

describe("what a .dist-info name says", () => {
  it("splits name and version at the last dash", () => {
    expect(distInfoNameVersion("Demo_Pkg-1.2.dist-info")).toEqual(["Demo_Pkg", "1.2"]);
    expect(distInfoNameVersion("plain.dist-info")).toEqual(["plain", ""]);
    expect(dataDirOf("Demo_Pkg-1.2.dist-info")).toBe("Demo_Pkg-1.2.data");
  });

  it.each([
    ["pkg/_speedups.so", true],
    ["pkg/_speedups.cpython-311-x86_64-linux-gnu.so", true],
    ["pkg.libs/libfoo.so.1.2", true],
    ["pkg/native.pyd", true],
    ["pkg/lib.dylib", true],
    ["pkg/so.py", false],
    ["pkg/readme.sources", false],
  ])("%s is native code: %s", (path, native) => {
    expect(hasNativeCode(["pkg/__init__.py", path])).toBe(native);
  });
});
