// Archive-entry safety checks (pure): names, symlinks, duplicates, zip-bomb limits.

import { describe, expect, it } from "vitest";
import { checkArchiveEntries, checkEntryName, isExecutableEntry, isSymlinkEntry, type ArchiveEntryInfo } from "../../src/wheel/safety.js";
import { PystoreError } from "../../src/errors.js";

const entry = (name: string, size = 10, compressed = size, mode = 0o100644): ArchiveEntryInfo => ({
  name,
  compressedSize: compressed,
  uncompressedSize: size,
  externalAttributes: (mode << 16) >>> 0,
});

function refusal(fn: () => unknown): PystoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("UNSAFE_WHEEL");
    return error as PystoreError;
  }
  throw new Error("expected a refusal");
}

describe("checkEntryName", () => {
  it.each(["a/../../b", "..", "/etc/passwd", "//server/share/x", "C:/x", "c:x", "a\\b", "a\u0000b", "a\nb", "a\u007fb", ""])(
    "refuses %j",
    (name) => {
      expect(refusal(() => checkEntryName("w.whl", name)).message).toContain("w.whl");
    },
  );

  it("normalises harmless spellings", () => {
    expect(checkEntryName("w.whl", "./pkg//mod.py")).toBe("pkg/mod.py");
    expect(checkEntryName("w.whl", "pkg/")).toBe("pkg");
    expect(checkEntryName("w.whl", "pkg/ünïcode.py")).toBe("pkg/ünïcode.py");
  });
});

describe("checkArchiveEntries", () => {
  it("returns file names in archive order without directories", () => {
    expect(checkArchiveEntries("w.whl", [entry("pkg/", 0, 0, 0o40755), entry("pkg/b.py"), entry("pkg/a.py")])).toEqual([
      "pkg/b.py",
      "pkg/a.py",
    ]);
  });

  it("refuses duplicates after normalisation", () => {
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("pkg/a.py"), entry("pkg/a.py")])).message).toMatch(/duplicate/);
    // A second spelling of a path is refused on its own: one name per file.
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("./pkg/a.py")])).message).toMatch(/not in canonical form/);
  });

  it("refuses a file that is also used as a directory", () => {
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("pkg/a"), entry("pkg/a/b.py")])).message).toMatch(/runs through the file/);
  });

  it("refuses symlinks", () => {
    expect(isSymlinkEntry(entry("l", 1, 1, 0o120777))).toBe(true);
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("pkg/l", 5, 5, 0o120777)])).message).toMatch(/symbolic link/);
  });

  it("refuses zip bombs by ratio, total size and entry count", () => {
    const limits = { maxTotalBytes: 1000, maxEntries: 3, maxRatio: 10, ratioFloorBytes: 100 };
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("a", 5000, 10)], { ...limits, maxTotalBytes: 1e9 })).message).toMatch(
      /ratio 500:1/,
    );
    // Below the floor a high ratio is fine (small files of zeros are legitimate).
    expect(checkArchiveEntries("w.whl", [entry("a", 90, 1)], limits)).toEqual(["a"]);
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("a", 600), entry("b", 600)], limits)).message).toMatch(/more than 1000 bytes/);
    expect(refusal(() => checkArchiveEntries("w.whl", [entry("a"), entry("b"), entry("c"), entry("d")], limits)).message).toMatch(
      /more than 3 entries/,
    );
  });

  it("reads execute bits only from regular-file modes", () => {
    expect(isExecutableEntry(entry("x", 1, 1, 0o100755))).toBe(true);
    expect(isExecutableEntry(entry("x", 1, 1, 0o100644))).toBe(false);
    expect(isExecutableEntry({ externalAttributes: 0 })).toBe(false);
  });
});
