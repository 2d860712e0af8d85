// `pystore tree`'s pure part: the installed graph per target and selection, and the inverted view.

import { describe, expect, it } from "vitest";
import { buildLock } from "../../src/lock/build-lock.js";
import type { LockInputs } from "../../src/lock/inputs.js";
import { formatTree, invertedTree, lockTree } from "../../src/lock/tree.js";
import { selectableRequirements, type Pyproject } from "../../src/project/pyproject.js";
import { parsePylock, writePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { memoryProvider, type MemIndex } from "../resolver/memory-index.js";
import { thrown } from "../standards/thrown.js";

const linux = resolveTarget("manylinux_x86_64", "3.11");
const win = resolveTarget("win_amd64", "3.11");

const INDEX: MemIndex = {
  web: { "1.0": { deps: ["core", 'colorama; sys_platform == "win32"'] } },
  core: { "1.0": { deps: ["util"] } },
  util: { "1.0": {} },
  colorama: { "0.4": {} },
  cli: { "2.0": { deps: ["util"] } },
};

const project = {
  path: "/p/pyproject.toml",
  name: "app",
  dependencies: ["web>=1"],
  optionalDependencies: { cli: ["cli"] },
  dependencyGroups: {},
} as unknown as Pyproject;

async function lock() {
  const inputs: LockInputs = {
    rootName: "app",
    requirements: selectableRequirements(project, ["cli"], []),
    constraints: [],
    extras: ["cli"],
    groups: [],
    targets: [linux, win],
    indexUrl: "https://mem.test/simple/",
    extraIndexUrls: [],
    findLinks: [],
    indexStrategy: "first-index",
    prerelease: "if-necessary-or-explicit",
  };
  return parsePylock(writePylock((await buildLock(memoryProvider(INDEX), inputs)).lock));
}

describe("lockTree", () => {
  it("draws what the target installs, repeated subtrees marked once", async () => {
    const l = await lock();
    expect(formatTree(lockTree(l, linux, { extras: ["cli"] }))).toBe(
      [
        "app (manylinux_2_28_x86_64-cp311)",
        '├── cli 2.0  [requirement cli; "cli" in extras; marker "cli" in extras]',
        "│   └── util 1.0",
        "└── web 1.0  [requirement web>=1]",
        "    └── core 1.0",
        "        └── util 1.0 (*)",
        "",
      ].join("\n"),
    );
  });

  it("follows the target's markers and the selection", async () => {
    const l = await lock();
    const names = (t: ReturnType<typeof lockTree>) => JSON.stringify(t.nodes.map((n) => [n.name, n.children.map((c) => c.name)]));
    expect(names(lockTree(l, linux))).toBe(JSON.stringify([["web", ["core"]]]));
    expect(names(lockTree(l, win))).toBe(JSON.stringify([["web", ["colorama", "core"]]]));
  });

  it("inverted, shows every path from the roots to a package", async () => {
    const l = await lock();
    const text = formatTree(invertedTree(l, linux, "UTIL", { extras: ["cli"] }), { inverted: true });
    expect(text).toBe(
      [
        "app (manylinux_2_28_x86_64-cp311)",
        "util 1.0",
        '├── cli 2.0  [requirement cli; "cli" in extras; marker "cli" in extras]',
        "└── core 1.0",
        "    └── web 1.0  [requirement web>=1]",
        "",
      ].join("\n"),
    );
  });

  it("says why a package is absent", async () => {
    const l = await lock();
    expect(thrown(() => invertedTree(l, linux, "cli")).message).toContain("locked but not installed");
    expect(thrown(() => invertedTree(l, linux, "nope")).message).toContain("not in the lock");
  });
});
