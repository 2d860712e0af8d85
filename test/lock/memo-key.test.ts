// The lock memo's key: everything a resolution reads besides the index pages changes it, and nothing
// else does; and the runs that may neither use nor record a memo.

import { describe, expect, it } from "vitest";
import type { LockInputs } from "../../src/lock/inputs.js";
import { lockMemoKey, memoBlocker, type MemoKeyParts } from "../../src/lock/memo-key.js";
import { parseRequirement } from "../../src/standards/pep508.js";
import type { Pylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";

function inputs(): LockInputs {
  return {
    rootName: "app",
    requirements: [parseRequirement("top>=1"), parseRequirement('win-only; sys_platform == "win32"')],
    constraints: [],
    requiresPython: ">=3.10",
    extras: [],
    groups: [],
    targets: [resolveTarget("manylinux_x86_64", "3.11")],
    indexUrl: "https://pypi.org/simple/",
    extraIndexUrls: [],
    findLinks: [],
    indexStrategy: "first-index",
    prerelease: "if-necessary-or-explicit",
    requirementFiles: [],
  };
}

function existing(): Pylock {
  return {
    lockVersion: "1.0",
    extras: [],
    dependencyGroups: [],
    defaultGroups: [],
    createdBy: "pystore",
    packages: [
      { name: "dep", version: "1.2" },
      { name: "top", version: "1.0", marker: 'sys_platform == "linux"' },
    ],
    tool: {
      pystore: {
        pythons: [
          {
            target: "manylinux_2_28_x86_64-cp311",
            sha256: "a".repeat(64),
            implementation: "cpython",
            version: "3.11.9",
            os: "linux",
            machine: "x86_64",
            libc: "glibc",
          },
        ],
      },
    },
  };
}

function parts(): MemoKeyParts {
  return {
    version: "0.1.0",
    output: "/src/app/pylock.toml",
    inputs: inputs(),
    build: { noBuild: false, noBuildPackages: [], noBinaryPackages: [], network: false },
    existing: existing(),
  };
}

const base = lockMemoKey(parts());

describe("lockMemoKey", () => {
  it("is a sha256, the same for the same parts whatever the order of their keys", () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(lockMemoKey(parts())).toBe(base);
    const reordered = Object.fromEntries(Object.entries(inputs()).reverse()) as unknown as LockInputs;
    expect(lockMemoKey({ ...parts(), inputs: reordered })).toBe(base);
  });

  const changes: [string, (p: MemoKeyParts) => void][] = [
    ["pystore's version", (p) => (p.version = "0.2.0")],
    ["the lock file's path", (p) => (p.output = "/src/other/pylock.toml")],
    ["a requirement", (p) => (p.inputs.requirements = [parseRequirement("top>=2")])],
    ["a requirement's marker", (p) => (p.inputs.requirements[1] = parseRequirement('win-only; sys_platform == "darwin"'))],
    ["a constraint", (p) => (p.inputs.constraints = [parseRequirement("dep<2")])],
    ["requires-python", (p) => (p.inputs.requiresPython = ">=3.11")],
    ["the extras", (p) => (p.inputs.extras = ["web"])],
    ["the groups", (p) => (p.inputs.groups = ["dev"])],
    ["a target", (p) => (p.inputs.targets = [resolveTarget("manylinux_x86_64", "3.12")])],
    ["a target's tags", (p) => (p.inputs.targets = [{ ...p.inputs.targets[0]!, tags: p.inputs.targets[0]!.tags.slice(1) }])],
    [
      "a target's marker environment",
      (p) =>
        (p.inputs.targets = [{ ...p.inputs.targets[0]!, markers: { ...p.inputs.targets[0]!.markers, python_full_version: "3.11.7" } }]),
    ],
    ["the index", (p) => (p.inputs.indexUrl = "https://mirror.test/simple/")],
    ["an extra index", (p) => (p.inputs.extraIndexUrls = ["https://extra.test/simple/"])],
    ["an index pin", (p) => (p.inputs.indexPins = { dep: "https://extra.test/simple/" })],
    ["the index strategy", (p) => (p.inputs.indexStrategy = "unsafe-best-match")],
    ["the prerelease mode", (p) => (p.inputs.prerelease = "allow")],
    ["--exclude-newer", (p) => (p.inputs.excludeNewer = "2024-06-01T23:59:59.000Z")],
    ["the requirement files", (p) => (p.inputs.requirementFiles = ["requirements.in"])],
    ["the building flags", (p) => (p.inputs.building = { noBuildPackages: ["dep"] })],
    ["the build settings", (p) => (p.build = { noBuild: false, noBuildPackages: [], noBinaryPackages: [], network: true })],
    [
      "the build interpreter",
      (p) => (p.build = { noBuild: false, noBuildPackages: [], noBinaryPackages: [], network: false, python: "/usr/bin/python3.12" }),
    ],
    ["no existing lock", (p) => (p.existing = undefined)],
    ["a locked version", (p) => (p.existing!.packages[0]!.version = "1.3")],
    ["a locked package's marker", (p) => (p.existing!.packages[1]!.marker = undefined)],
    ["a locked package more", (p) => p.existing!.packages.push({ name: "extra-dep", version: "0.1" })],
    ["the pinned interpreters", (p) => (p.existing!.tool = {})],
  ];
  for (const [what, change] of changes) {
    it(`changes with ${what}`, () => {
      const changed = parts();
      change(changed);
      expect(lockMemoKey(changed)).not.toBe(base);
    });
  }

  it("ignores what the resolver does not read from the existing lock (its wheels, its other [tool.pystore] keys)", () => {
    const more = parts();
    more.existing!.packages[0]!.wheels = [{ name: "dep-1.2-py3-none-any.whl", hashes: { sha256: "b".repeat(64) } }];
    (more.existing!.tool!.pystore as Record<string, unknown>).project = "app";
    expect(lockMemoKey(more)).toBe(base);
  });
});

describe("memoBlocker", () => {
  it("lets a run against http(s) indexes use and record memos", () => {
    expect(memoBlocker(inputs(), {})).toBeUndefined();
    expect(memoBlocker({ ...inputs(), indexPins: { dep: "http://10.0.0.1/simple/" } }, {})).toBeUndefined();
  });

  const blocked: [string, Partial<LockInputs>, Parameters<typeof memoBlocker>[1], RegExp][] = [
    ["--upgrade", {}, { upgrade: true }, /--upgrade/],
    ["--upgrade-package", {}, { upgradePackages: ["dep"] }, /--upgrade/],
    ["--offline", {}, { offline: true }, /offline/],
    ["--check-builds", {}, { checkBuilds: true }, /--check-builds/],
    ["a change of the pinned interpreters", {}, { pinChange: true }, /pinned interpreters/],
    ["--no-index", { noIndex: true }, {}, /--no-index/],
    ["find-links", { findLinks: ["https://files.test/links.html"] }, {}, /find-links/],
    ["an index directory", { indexUrl: "file:///srv/simple/" }, {}, /file:\/\/\/srv\/simple\//],
    ["a pin to an index directory", { indexPins: { dep: "/srv/simple" } }, {}, /\/srv\/simple/],
  ];
  for (const [what, changed, run, reason] of blocked) {
    it(`refuses ${what}`, () => {
      expect(memoBlocker({ ...inputs(), ...changed }, run)).toMatch(reason);
    });
  }

  it("names an index without its credentials", () => {
    expect(memoBlocker({ ...inputs(), extraIndexUrls: ["file://user:secret@host/simple/"] }, {})).not.toContain("secret");
  });
});
