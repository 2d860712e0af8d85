// PEP 440 versions and specifiers: normalization, ordering, matching, pre-release handling (the spec's examples).

import { describe, expect, it } from "vitest";
import {
  compareVersions,
  filterVersions,
  isValidVersion,
  normalizeVersion,
  parseSpecifierSet,
  parseVersion,
  sortVersions,
  specifierContains,
} from "../../src/standards/pep440.js";

describe("version normalization (the spec's 'Normalization' examples)", () => {
  it.each([
    ["1.1RC1", "1.1rc1"],
    ["00", "0"],
    ["09000", "9000"],
    ["1.0+foo0100", "1.0+foo0100"],
    ["1.1.a1", "1.1a1"],
    ["1.1-a1", "1.1a1"],
    ["1.1_a1", "1.1a1"],
    ["1.0a.1", "1.0a1"],
    ["1.1alpha1", "1.1a1"],
    ["1.1beta2", "1.1b2"],
    ["1.1c3", "1.1rc3"],
    ["1.1pre3", "1.1rc3"],
    ["1.1preview3", "1.1rc3"],
    ["1.2a", "1.2a0"],
    ["1.2-post2", "1.2.post2"],
    ["1.2post2", "1.2.post2"],
    ["1.2.post.2", "1.2.post2"],
    ["1.0-r4", "1.0.post4"],
    ["1.0-rev4", "1.0.post4"],
    ["1.2.post", "1.2.post0"],
    ["1.0-1", "1.0.post1"],
    ["1.2-dev2", "1.2.dev2"],
    ["1.2dev2", "1.2.dev2"],
    ["1.2.dev", "1.2.dev0"],
    ["1.0+ubuntu-1", "1.0+ubuntu.1"],
    ["1.0+ubuntu_1", "1.0+ubuntu.1"],
    ["v1.0", "1.0"],
    ["V1.0", "1.0"],
    ["  1.0\n", "1.0"],
    ["1!2.0", "1!2.0"],
    ["0!1.0", "1.0"],
  ])("%j -> %s", (input, expected) => expect(normalizeVersion(input)).toBe(expected));

  it.each(["", "1.0-", "1.0+", "french toast", "1..0", "1.0.*", "a1.0", "1.0+a b", "1.0+-a"])("rejects %j with INVALID_VERSION", (v) => {
    expect(isValidVersion(v)).toBe(false);
    expect(() => parseVersion(v)).toThrow(
      expect.objectContaining({ code: "INVALID_VERSION", message: expect.stringContaining(JSON.stringify(v)) }),
    );
  });

  it("exposes the parts of a version", () => {
    expect(parseVersion("1!2.0rc3.post4.dev5+Local-7")).toEqual({
      text: "1!2.0rc3.post4.dev5+Local-7",
      normalized: "1!2.0rc3.post4.dev5+local.7",
      epoch: 1,
      release: [2, 0],
      pre: ["rc", 3],
      post: 4,
      dev: 5,
      local: "local.7",
      isPrerelease: true,
    });
    expect(parseVersion("1.0.post1").isPrerelease).toBe(false);
    expect(parseVersion("1.0.dev1").isPrerelease).toBe(true);
  });
});

describe("ordering (the spec's summary of permitted suffixes and relative ordering)", () => {
  const ordered = [
    "1.dev0",
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",
    "1.0+abc.7",
    "1.0+5",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
  ];

  it("sorts the spec's example list into the spec's order", () => {
    const shuffled = [...ordered].reverse();
    shuffled.push(shuffled.splice(3, 1)[0]);
    expect(sortVersions(shuffled)).toEqual(ordered);
  });

  it.each(ordered.slice(1).map((v, i) => [ordered[i], v]))("%s < %s", (a, b) => {
    expect(compareVersions(a, b)).toBeLessThan(0);
    expect(compareVersions(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ["1.0", "1.0.0"],
    ["1.0", "1"],
    ["1.0.post0", "1.0-0"],
    ["1!1.0", "1!1"],
    ["1.0a", "1.0a0"],
  ])("%s == %s", (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
  });

  it("puts epochs above everything else", () => {
    expect(compareVersions("1!0.1", "2024.1")).toBeGreaterThan(0);
  });
});

describe("specifiers (the spec's 'Version specifiers' examples)", () => {
  it.each([
    // Compatible release
    ["~= 2.2", "2.2", true],
    ["~= 2.2", "2.9", true],
    ["~= 2.2", "3.0", false],
    ["~= 2.2", "2.1", false],
    ["~= 1.4.5", "1.4.9", true],
    ["~= 1.4.5", "1.5.0", false],
    ["~= 2.2.post3", "2.2.post3", true],
    ["~= 2.2.post3", "2.3", true],
    ["~= 2.2.post3", "2.2", false],
    ["~= 1.4.5a4", "1.4.5a4", true],
    ["~= 1.4.5a4", "1.4.6", true],
    ["~= 1.4.5a4", "1.5", false],
    ["~=2.2.0", "2.2.1", true],
    ["~=2.2.0", "2.3.0", false],
    ["~=1!1.0", "1!1.5", true],
    ["~=1!1.0", "1.5", false],
    // Version matching (candidate 1.1.post1), zero padding and local labels
    ["== 1.1", "1.1.post1", false],
    ["== 1.1.post1", "1.1.post1", true],
    ["== 1.1.*", "1.1.post1", true],
    ["==1.1", "1.1.0", true],
    ["==1.1.0", "1.1", true],
    ["==1.*", "1", true],
    ["==1.0.*", "1", true],
    ["==1.1.*", "1.10", false],
    ["==1.0", "1.0+local", true],
    ["==1.0+local", "1.0+local", true],
    ["==1.0+local", "1.0+other", false],
    ["==1.0+local", "1.0", false],
    ["==1.*", "1.0+local", true],
    ["==1.1.*", "1.1a1", false],
    ["==1.1a1", "1.1a1", true],
    // Version exclusion
    ["!= 1.1", "1.1.post1", true],
    ["!= 1.1.post1", "1.1.post1", false],
    ["!= 1.1.*", "1.1.post1", false],
    ["!=1.0", "1.0+local", false],
    // Inclusive and exclusive ordered comparison
    [">=1.0", "1.0", true],
    ["<=1.0", "1.0+local", true],
    [">1.7", "1.7.1", true],
    [">1.7", "1.7.0.post1", false],
    [">1.7.post2", "1.7.1", true],
    [">1.7.post2", "1.7.0.post3", true],
    [">1.7.post2", "1.7.0", false],
    [">1.7", "1.7+local", false],
    ["<3.1", "3.1.dev0", false],
    ["<3.1", "3.0", true],
    ["<3.1rc1", "3.1b1", true],
    [">3.1a1", "3.1", true],
    // Arbitrary equality
    ["===foobar", "foobar", true],
    ["===1.0", "1.0+downstream1", false],
    ["===1.0", "1.0", true],
    ["===1.0", "1.0.0", false],
    // The spec's "Examples" section
    ["~=3.1", "3.1", true],
    ["~=3.1", "3.9.9", true],
    ["~=3.1", "4.0", false],
    ["~=3.1.2", "3.1.2", true],
    ["~=3.1.2", "3.1.9", true],
    ["~=3.1.2", "3.2.0", false],
    ["~=3.1a1", "3.1a1", true],
    ["~=3.1a1", "3.5", true],
    ["~=3.1a1", "4.0", false],
    ["== 3.1", "3.1.0", true],
    ["== 3.1", "3.1.post1", false],
    ["== 3.1", "3.1.dev1", false],
    ["== 3.1", "3.1.1", false],
    ["== 3.1.*", "3.1.5", true],
    ["~=3.1.0", "3.1.5", true],
    ["== 3.1.*", "3.2", false],
    ["~=3.1.0", "3.2", false],
    ["~=3.1.0, != 3.1.3", "3.1.3", false],
    ["~=3.1.0, != 3.1.3", "3.1.4", true],
    ["~=3.1.0, != 3.1.3", "3.2.0", false],
    ["~= 0.9, >= 1.0, != 1.3.4.*, < 2.0", "1.5", false],
    ["~= 0.9, >= 1.0, != 1.3.4.*, < 2.0", "0.9.5", false],
    // Sets
    [">=1.0,<2.0", "1.5", true],
    [">=1.0,<2.0", "2.0", false],
    ["", "1.0", true],
    [">=1.0, !=1.3.4.*, < 2.0", "1.3.4.1", false],
  ] as const)("%j contains %j: %s", (spec, version, expected) => {
    expect(specifierContains(spec, version)).toBe(expected);
  });

  it("excludes pre-releases unless asked for or named by the specifier", () => {
    expect(specifierContains(">=1.0", "2.0a1")).toBe(false);
    expect(specifierContains(">=1.0", "2.0a1", { prereleases: true })).toBe(true);
    expect(specifierContains(">=1.0b1", "2.0a1")).toBe(true);
    expect(specifierContains("", "2.0a1")).toBe(false);
    expect(specifierContains("!=2.0a1", "2.0a2")).toBe(false);
    expect(specifierContains(">=1.0", "1.5", { prereleases: false })).toBe(true);
    expect(specifierContains(">=1.0b1", "2.0a1", { prereleases: false })).toBe(false);
  });

  it("filters like packaging, falling back to pre-releases only when nothing else matches", () => {
    expect(filterVersions(">=1.0", ["0.9", "1.0", "1.5a1", "2.0"])).toEqual(["1.0", "2.0"]);
    expect(filterVersions(">=1.0", ["0.9", "1.5a1", "2.0b1"])).toEqual(["1.5a1", "2.0b1"]);
    expect(filterVersions(">=1.0", ["0.9", "1.5a1"], { prereleases: false })).toEqual([]);
    expect(filterVersions(">=1.0", ["1.0", "1.5a1"], { prereleases: true })).toEqual(["1.0", "1.5a1"]);
    expect(filterVersions("", ["1.0a1", "0.9"])).toEqual(["0.9"]);
    expect(filterVersions("", ["1.0a1"])).toEqual(["1.0a1"]);
    expect(filterVersions(parseSpecifierSet("<2"), ["2.0", "1.0", "1.9"])).toEqual(["1.0", "1.9"]);
  });

  it("normalizes the set's text: clauses trimmed, sorted, comma-joined", () => {
    expect(parseSpecifierSet(" <2.0 , >= 1.0 ,!=1.5").text).toBe("!=1.5,<2.0,>=1.0");
    expect(parseSpecifierSet("").specifiers).toEqual([]);
    expect(parseSpecifierSet(">=1.0,,<2").specifiers).toEqual([
      { operator: "<", version: "2" },
      { operator: ">=", version: "1.0" },
    ]);
  });

  it.each([
    "=>1.0",
    "~=1",
    "==1.0.*.post1",
    ">=1.0+local",
    "<=2.0+local",
    ">=1.*",
    "~=1.0.*",
    "1.0",
    "==1.0a1.*",
    "== ",
    ">=1.0 <2",
    "==1.0.dev1.*",
  ])("rejects %j with INVALID_SPECIFIER", (spec) => {
    expect(() => parseSpecifierSet(spec)).toThrow(expect.objectContaining({ code: "INVALID_SPECIFIER" }));
  });
});
