// One lock for several targets from an in-memory index: merging, markers, agreement between
// targets, the existing lock's preferences, and `--check` against the recorded inputs.

import { describe, expect, it } from "vitest";
import { buildLock } from "../../src/lock/build-lock.js";
import { checkLock } from "../../src/lock/check.js";
import { environmentMarker, type LockInputs } from "../../src/lock/inputs.js";
import { selectForTarget } from "../../src/lock/select.js";
import { parseRequirement } from "../../src/standards/pep508.js";
import { parsePylock, writePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { memoryProvider, type MemIndex } from "../resolver/memory-index.js";

const linux311 = resolveTarget("manylinux_x86_64", "3.11");
const linux312 = resolveTarget("manylinux_x86_64", "3.12");
const win311 = resolveTarget("win_amd64", "3.11");

function inputs(reqs: string[], targets = [linux311, linux312, win311], extra: Partial<LockInputs> = {}): LockInputs {
  return {
    rootName: "app",
    requirements: reqs.map(parseRequirement),
    constraints: [],
    extras: [],
    groups: [],
    targets,
    indexUrl: "https://user:secret@mem.test/simple/",
    extraIndexUrls: [],
    findLinks: [],
    indexStrategy: "first-index",
    prerelease: "if-necessary-or-explicit",
    ...extra,
  };
}

const INDEX: MemIndex = {
  web: { "1.0": { deps: ['colorama; sys_platform == "win32"', "core"] } },
  colorama: { "0.4": {} },
  core: {
    "1.0": {
      tags: [
        "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp311-cp311-win_amd64",
      ],
    },
    // 2.0 has no Python 3.11 wheels, so 3.11 targets stay on 1.0.
    "2.0": { tags: ["cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"] },
  },
};

describe("buildLock", () => {
  it("merges targets: shared packages once, markers where needed, every target's wheel", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(["web"]));
    expect(lock.environments).toEqual([linux311, linux312, win311].map(environmentMarker));
    const byName = (n: string) => lock.packages.filter((p) => p.name === n);
    expect(byName("web")[0].marker).toBeUndefined();
    expect(byName("colorama")[0].marker).toBe(environmentMarker(win311));
    expect(byName("web")[0].dependencies).toEqual([{ name: "colorama" }, { name: "core" }]);
    // The 3.12 target prefers what 3.11 chose, so all targets agree on core 1.0.
    expect(byName("core").map((p) => p.version)).toEqual(["1.0"]);
    expect(byName("core")[0].wheels?.map((w) => w.name)).toEqual([
      "core-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "core-1.0-cp311-cp311-win_amd64.whl",
      "core-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]);
    expect(lock.packages[0].index).toBe("https://mem.test/simple/");
    expect(writePylock(lock)).not.toContain("secret");
  });

  it("emits two entries with markers when targets need different versions", async () => {
    const { lock } = await buildLock(memoryProvider(INDEX), inputs(["core>=1", "web"], [linux312, win311]));
    const core = lock.packages.filter((p) => p.name === "core");
    expect(core.map((p) => [p.version, p.marker])).toEqual([
      ["1.0", environmentMarker(win311)],
      ["2.0", environmentMarker(linux312)],
    ]);
    // A dependency with two entries is named with its version, per target.
    expect(lock.packages.find((p) => p.name === "web")?.dependencies).toEqual([
      { name: "colorama" },
      { name: "core", version: "1.0" },
      { name: "core", version: "2.0" },
    ]);
    const parsed = parsePylock(writePylock(lock));
    expect(selectForTarget(parsed, linux312).find((s) => s.name === "core")?.version).toBe("2.0");
    expect(selectForTarget(parsed, win311).find((s) => s.name === "core")?.version).toBe("1.0");
  });

  it("re-locking with the existing lock changes nothing, even when newer versions appear", async () => {
    const first = await buildLock(memoryProvider({ a: { "1.0": {} } }), inputs(["a"]));
    const text = writePylock(first.lock);
    const newer = { a: { "1.0": {}, "1.5": {} } };
    const again = await buildLock(memoryProvider(newer), inputs(["a"]), { existing: parsePylock(text) });
    expect(writePylock(again.lock)).toBe(text);
    const upgraded = await buildLock(memoryProvider(newer), inputs(["a"]), { existing: parsePylock(text), upgradePackages: ["A"] });
    expect(upgraded.lock.packages[0].version).toBe("1.5");
    const all = await buildLock(memoryProvider(newer), inputs(["a"]), { existing: parsePylock(text), upgrade: true });
    expect(all.lock.packages[0].version).toBe("1.5");
  });

  it("refuses a target outside the project's requires-python", async () => {
    await expect(buildLock(memoryProvider(INDEX), inputs(["web"], [linux311], { requiresPython: ">=3.12" }))).rejects.toMatchObject({
      code: "INVALID_TARGET",
    });
  });
});

describe("checkLock", () => {
  it("is fresh for the same inputs and names what changed otherwise", async () => {
    const base = inputs(["web"]);
    const lock = parsePylock(writePylock((await buildLock(memoryProvider(INDEX), base)).lock));
    expect(checkLock(lock, base)).toEqual([]);
    expect(checkLock(lock, { ...base, requirements: [parseRequirement("web>=1")] })).toEqual(['requirements changed: +"web>=1", -"web"']);
    expect(checkLock(lock, { ...base, targets: [linux311] }).join()).toContain("targets changed");
    expect(checkLock(lock, { ...base, prerelease: "allow" })).toEqual(['prerelease changed: "if-necessary-or-explicit" -> "allow"']);
    expect(checkLock(lock, { ...base, excludeNewer: "2024-01-01T00:00:00.000Z" })).toEqual([
      'exclude-newer changed: null -> "2024-01-01T00:00:00.000Z"',
    ]);
  });

  it("catches a hand-edited lock that no longer satisfies the requirements", async () => {
    const base = inputs(["web"], [linux311]);
    const lock = parsePylock(writePylock((await buildLock(memoryProvider(INDEX), base)).lock));
    lock.packages = lock.packages.filter((p) => p.name !== "web");
    expect(checkLock(lock, base)).toEqual([`${linux311.id}: web is not in the lock`]);
  });

  it("says when the lock was not written by pystore", () => {
    const foreign = parsePylock(`lock-version = "1.0"\ncreated-by = "other"\npackages = []\n`);
    expect(checkLock(foreign, inputs(["web"]))[0]).toContain("no [tool.pystore]");
  });
});
