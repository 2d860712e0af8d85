// Extras and dependency groups stay selectable in the lock (PEP 751 `extras`, `dependency-groups` and
// package markers), and a target named X.Y leaves the patch level to the markers that depend on it.

import { describe, expect, it } from "vitest";
import { buildLock } from "../../src/lock/build-lock.js";
import { checkLock } from "../../src/lock/check.js";
import type { LockInputs } from "../../src/lock/inputs.js";
import { selectForTarget } from "../../src/lock/select.js";
import { selectableRequirements, type Pyproject } from "../../src/project/pyproject.js";
import { formatMarker, parseRequirement } from "../../src/standards/pep508.js";
import { parsePylock, writePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { memoryProvider, type MemIndex } from "../resolver/memory-index.js";
import { thrown } from "../standards/thrown.js";

const linux311 = resolveTarget("manylinux_x86_64", "3.11");
const win311 = resolveTarget("win_amd64", "3.11");

function project(extra: Partial<Pyproject> = {}): Pyproject {
  return {
    path: "/p/pyproject.toml",
    name: "app",
    dependencies: ["web"],
    optionalDependencies: { fast: ["speedups"], all: ["app[fast]", "extra-only"] },
    dependencyGroups: { dev: ["pytest", { "include-group": "lint" }], lint: ["ruff"] },
    ...extra,
  } as Pyproject;
}

function inputs(p: Pyproject, targets = [linux311], over: Partial<LockInputs> = {}): LockInputs {
  const extras = Object.keys(p.optionalDependencies).sort();
  const groups = Object.keys(p.dependencyGroups).sort();
  return {
    rootName: "app",
    requirements: selectableRequirements(p, extras, groups),
    constraints: [],
    extras,
    groups,
    targets,
    indexUrl: "https://mem.test/simple/",
    extraIndexUrls: [],
    findLinks: [],
    indexStrategy: "first-index",
    prerelease: "if-necessary-or-explicit",
    ...over,
  };
}

const INDEX: MemIndex = {
  web: { "1.0": { deps: ["core", 'socks; extra == "proxy"'], extras: ["proxy"] } },
  core: { "1.0": {} },
  socks: { "1.0": {} },
  speedups: { "1.0": { deps: ["core", "cython-rt"] } },
  "cython-rt": { "1.0": {} },
  "extra-only": { "1.0": {} },
  pytest: { "8.0": { deps: ["pluggy", 'colorama; sys_platform == "win32"'] } },
  pluggy: { "1.0": {} },
  colorama: { "0.4": {} },
  ruff: { "0.5": {} },
};

const names = (lock: Awaited<ReturnType<typeof buildLock>>["lock"], opts = {}, target = linux311) =>
  selectForTarget(lock, target, opts).map((s) => s.name);

describe("selectable extras and groups", () => {
  it("marks root requirements with what brings them in", () => {
    const reqs = selectableRequirements(project(), ["all", "fast"], ["dev", "lint"]);
    expect(reqs.map((r) => [r.name, r.marker ? formatMarker(r.marker) : undefined])).toEqual([
      ["extra-only", '"all" in extras'],
      ["pytest", '"dev" in dependency_groups'],
      // Reached from "dev" through include-group and from "lint" directly.
      ["ruff", '"dev" in dependency_groups or "lint" in dependency_groups'],
      // Reached from "fast" directly and from "all" through app[fast].
      ["speedups", '"all" in extras or "fast" in extras'],
      ["web", undefined],
    ]);
  });

  it("keeps a requirement's own marker beside the selection", () => {
    const p = project({ optionalDependencies: { fast: ['speedups; sys_platform == "linux"'] }, dependencyGroups: {} });
    const [speedups] = selectableRequirements(p, ["fast"], []).filter((r) => r.name === "speedups");
    expect(formatMarker(speedups.marker!)).toBe('"fast" in extras and sys_platform == "linux"');
  });

  it("locks every extra and group once, each package behind the marker of what needs it", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(project()));
    expect(lock.extras).toEqual(["all", "fast"]);
    expect(lock.dependencyGroups).toEqual(["dev", "lint"]);
    const marker = (n: string) => lock.packages.find((p) => p.name === n)?.marker;
    expect(marker("web")).toBeUndefined();
    // core is needed by web (always) and by speedups: always wins.
    expect(marker("core")).toBeUndefined();
    expect(marker("speedups")).toBe('"all" in extras or "fast" in extras');
    expect(marker("cython-rt")).toBe('"all" in extras or "fast" in extras');
    expect(marker("extra-only")).toBe('"all" in extras');
    expect(marker("pytest")).toBe('"dev" in dependency_groups');
    expect(marker("ruff")).toBe('"dev" in dependency_groups or "lint" in dependency_groups');
    // colorama only on Windows, and there only for dev: no Windows target here, so it is not locked.
    expect(marker("colorama")).toBeUndefined();
    expect(lock.packages.some((p) => p.name === "colorama")).toBe(false);
    // The written lock reads back the same.
    const again = parsePylock(writePylock(lock));
    expect(again.extras).toEqual(["all", "fast"]);
    expect(again.dependencyGroups).toEqual(["dev", "lint"]);
  });

  it("installs nothing optional by default, and exactly what is chosen", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(project()));
    expect(names(lock)).toEqual(["core", "web"]);
    expect(names(lock, { extras: ["fast"] })).toEqual(["core", "cython-rt", "speedups", "web"]);
    expect(names(lock, { extras: ["ALL"] })).toEqual(["core", "cython-rt", "extra-only", "speedups", "web"]);
    expect(names(lock, { groups: ["lint"] })).toEqual(["core", "ruff", "web"]);
    expect(names(lock, { groups: ["dev"] })).toEqual(["core", "pluggy", "pytest", "ruff", "web"]);
  });

  it("combines a target marker with the selection where both matter", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(project(), [linux311, win311]));
    const colorama = lock.packages.find((p) => p.name === "colorama");
    expect(colorama?.marker).toBe(
      '"dev" in dependency_groups and sys_platform == "win32" and platform_machine == "AMD64" and implementation_name == "cpython" and python_version == "3.11"',
    );
    expect(names(lock, { groups: ["dev"] }, win311)).toContain("colorama");
    expect(names(lock, { groups: ["dev"] }, linux311)).not.toContain("colorama");
    expect(names(lock, {}, win311)).not.toContain("colorama");
  });

  it("refuses unknown extra and group names, listing the known ones", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(project()));
    const e = thrown(() => selectForTarget(lock, linux311, { extras: ["fsat"] }));
    expect(e.code).toBe("USAGE");
    expect(e.message).toContain('--extra "fsat"');
    expect(e.message).toContain("all, fast");
    const g = thrown(() => selectForTarget(lock, linux311, { groups: ["test"] }));
    expect(g.message).toContain("dev, lint");
  });

  it("keeps a lock fresh for its own inputs and reports a new extra as a change", async () => {
    const p = project();
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(p));
    const reread = parsePylock(writePylock(lock));
    expect(checkLock(reread, inputs(p))).toEqual([]);
    const grown = project({ optionalDependencies: { ...p.optionalDependencies, docs: ["extra-only"] } });
    expect(checkLock(reread, inputs(grown)).join("\n")).toContain("extras changed: +");
  });

  it("is byte-identical when locked twice", async () => {
    const a = writePylock((await buildLock(memoryProvider(INDEX), inputs(project(), [linux311, win311]))).lock);
    const b = writePylock((await buildLock(memoryProvider(INDEX), inputs(project(), [linux311, win311]))).lock);
    expect(a).toBe(b);
  });
});

describe("the patch level of --python X.Y", () => {
  const PATCHY: MemIndex = {
    app2: { "1.0": { deps: ['backport; python_full_version < "3.11.3"', 'modern; python_full_version >= "3.11.3"'] } },
    backport: { "1.0": {} },
    modern: { "1.0": {} },
    newish: { "1.0": { requiresPython: ">=3.11.5" } },
  };
  const reqInputs = (reqs: string[], targets = [linux311]): LockInputs => ({
    ...inputs(project({ optionalDependencies: {}, dependencyGroups: {} }), targets),
    requirements: reqs.map(parseRequirement),
  });

  it("locks both sides of a patch-level marker with that marker, instead of deciding as if X.Y.0", async () => {
    const { lock } = await buildLock(memoryProvider(PATCHY), reqInputs(["app2"]));
    const marker = (n: string) => lock.packages.find((p) => p.name === n)?.marker;
    expect(marker("backport")).toBe('python_full_version < "3.11.3"');
    expect(marker("modern")).toBe('python_full_version >= "3.11.3"');
  });

  it("installs by the patch level when the target names one, and asks for it when not", async () => {
    const { lock } = await buildLock(memoryProvider(PATCHY), reqInputs(["app2"]));
    expect(names(lock, {}, resolveTarget("manylinux_x86_64", "3.11.7"))).toEqual(["app2", "modern"]);
    expect(names(lock, {}, resolveTarget("manylinux_x86_64", "3.11.1"))).toEqual(["app2", "backport"]);
    const e = thrown(() => selectForTarget(lock, linux311));
    expect(e.code).toBe("INVALID_TARGET");
    expect(e.hint).toContain("--python 3.11.");
  });

  it("accepts a release whose Requires-Python holds for later patch levels (pip on 3.11.7 would)", async () => {
    const { lock } = await buildLock(memoryProvider(PATCHY), reqInputs(["newish"]));
    expect(lock.packages.map((p) => [p.name, p.requiresPython])).toEqual([["newish", ">=3.11.5"]]);
    // Named as 3.11.0 the target really is too old.
    const e = await buildLock(memoryProvider(PATCHY), reqInputs(["newish"], [resolveTarget("manylinux_x86_64", "3.11.0")])).catch((x) => x);
    expect(e.code).toBe("NO_SOLUTION");
    expect(e.message).toContain("requires Python >=3.11.5 (target manylinux_2_28_x86_64-cp311 has 3.11.0)");
  });

  it("decides markers that hold for every patch of the series without keeping them", async () => {
    const idx: MemIndex = {
      a: { "1.0": { deps: ['b; python_full_version >= "3.8.1"', 'c; python_full_version < "3.10.2"'] } },
      b: { "1.0": {} },
      c: { "1.0": {} },
    };
    const { lock } = await buildLock(memoryProvider(idx), reqInputs(["a"]));
    expect(lock.packages.map((p) => [p.name, p.marker])).toEqual([
      ["a", undefined],
      ["b", undefined],
    ]);
  });
});
