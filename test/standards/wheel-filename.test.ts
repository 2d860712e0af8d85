// PEP 427 / binary distribution format filenames and sdist filenames, with the specs' own examples.

import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { isWheelFilename, parseSdistFilename, parseWheelFilename } from "../../src/standards/wheel-filename.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof PystoreError ? e.code : "not-a-PystoreError";
  }
  return undefined;
}

describe("parseWheelFilename", () => {
  it("parses PEP 427's examples", () => {
    const plain = parseWheelFilename("package-1.0-py27-none-any.whl");
    expect(plain).toMatchObject({
      name: "package",
      normalizedName: "package",
      version: "1.0",
      pythonTags: ["py27"],
      abiTags: ["none"],
      platformTags: ["any"],
      tags: ["py27-none-any"],
    });
    expect(plain.buildTag).toBeUndefined();

    const built = parseWheelFilename("distribution-1.0-1-py27-none-any.whl");
    expect(built.buildTag).toEqual({ number: 1, suffix: "" });
    expect(built.tags).toEqual(["py27-none-any"]);
  });

  it("expands PEP 425 compressed tag sets in filename order", () => {
    expect(parseWheelFilename("simple-0.1-py2.py3-none-any.whl").tags).toEqual(["py2-none-any", "py3-none-any"]);
    const numpy = parseWheelFilename("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    expect(numpy.platformTags).toEqual(["manylinux_2_17_x86_64", "manylinux2014_x86_64"]);
    expect(numpy.tags).toEqual(["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"]);
    const cross = parseWheelFilename("x-1-cp38.cp39-abi3.none-win32.win_amd64.whl");
    expect(cross.tags).toHaveLength(8);
    expect(cross.tags[0]).toBe("cp38-abi3-win32");
    expect(cross.tags[7]).toBe("cp39-none-win_amd64");
  });

  it.each([
    ["Foo_Bar-2.0-py3-none-any.whl", "Foo_Bar", "foo-bar"],
    ["zope.interface-6.0-cp311-cp311-macosx_11_0_arm64.whl", "zope.interface", "zope-interface"],
    ["typing_extensions-4.9.0-py3-none-any.whl", "typing_extensions", "typing-extensions"],
  ])("normalizes the name of %s", (filename, name, normalized) => {
    const parsed = parseWheelFilename(filename);
    expect(parsed.name).toBe(name);
    expect(parsed.normalizedName).toBe(normalized);
    expect(parsed.filename).toBe(filename);
  });

  it("lower-cases tags (tags compare case-insensitively) but keeps the parts as written", () => {
    const parsed = parseWheelFilename("pkg-1.0-CP311-CP311-Linux_X86_64.whl");
    expect(parsed.pythonTags).toEqual(["CP311"]);
    expect(parsed.tags).toEqual(["cp311-cp311-linux_x86_64"]);
  });

  it("splits a build tag into number and suffix", () => {
    expect(parseWheelFilename("pkg-1.0-20240101abc-py3-none-any.whl").buildTag).toEqual({ number: 20240101, suffix: "abc" });
    expect(parseWheelFilename("pkg-1.0-2_x-py3-none-any.whl").buildTag).toEqual({ number: 2, suffix: "_x" });
  });

  it.each([
    ["pkg-1.0-py3-none-any.zip", "does not end in `.whl`"],
    ["pkg-1.0-none-any.whl", "found 4"],
    ["pkg-1.0-1-2-py3-none-any.whl", "found 7"],
    ["pkg-1.0-abc-py3-none-any.whl", "build tag `abc` does not start with a digit"],
    ["pkg-not.a.version!-py3-none-any.whl", "not a valid PEP 440 version"],
    ["-1.0-py3-none-any.whl", "not a valid project name"],
    ["pkg!-1.0-py3-none-any.whl", "not a valid project name"],
    ["pkg-1.0-py3..py2-none-any.whl", "python tag `py3..py2` is malformed"],
    ["pkg-1.0-py3-none-.whl", "platform tag `` is malformed"],
  ])("rejects %s", (filename, reason) => {
    let error: unknown;
    try {
      parseWheelFilename(filename);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PystoreError);
    const err = error as PystoreError;
    expect(err.code).toBe("INVALID_WHEEL_FILENAME");
    expect(err.message).toContain(`\`${filename}\``);
    expect(err.message).toContain(reason);
    expect(err.exitCode).toBe(3);
  });

  it("isWheelFilename answers without throwing", () => {
    expect(isWheelFilename("a-1-py3-none-any.whl")).toBe(true);
    expect(isWheelFilename("a-1.tar.gz")).toBe(false);
    expect(isWheelFilename("a-1-x-py3-none-any.whl")).toBe(false);
  });
});

describe("parseSdistFilename", () => {
  it.each([
    ["requests-2.31.0.tar.gz", "requests", "requests", "2.31.0", ".tar.gz"],
    ["Django-4.2.zip", "Django", "django", "4.2", ".zip"],
    ["zope.interface-6.0.tar.gz", "zope.interface", "zope-interface", "6.0", ".tar.gz"],
    ["my-legacy_pkg-1.0rc1.tar.gz", "my-legacy_pkg", "my-legacy-pkg", "1.0rc1", ".tar.gz"],
  ])("parses %s", (filename, name, normalizedName, version, extension) => {
    expect(parseSdistFilename(filename)).toEqual({ filename, name, normalizedName, version, extension });
  });

  it.each([
    ["requests-2.31.0.tar.bz2", "does not end in"],
    ["requests.tar.gz", "no `-`"],
    ["requests-two.tar.gz", "not a valid PEP 440 version"],
    ["-1.0.tar.gz", "no `-`"],
  ])("rejects %s", (filename, reason) => {
    expect(codeOf(() => parseSdistFilename(filename))).toBe("INVALID_SDIST_FILENAME");
    expect(() => parseSdistFilename(filename)).toThrow(reason);
    expect(() => parseSdistFilename(filename)).toThrow(filename);
  });
});
