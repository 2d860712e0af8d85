// PEP 751 installer semantics for one target: markers pick entries, tags pick the wheel.

import { describe, expect, it } from "vitest";
import type { PystoreError } from "../../src/errors.js";
import { selectForTarget } from "../../src/lock/select.js";
import type { Pylock, PylockPackage } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";

const linux311 = resolveTarget("manylinux_x86_64", "3.11");
const linux312 = resolveTarget("manylinux_x86_64", "3.12");
const win = resolveTarget("win_amd64", "3.11");
const mac = resolveTarget("macosx_arm64", "3.11");

const sha = (c: string) => c.repeat(64);
const wheel = (name: string, c: string) => ({ name, url: `https://x/${name}`, hashes: { sha256: sha(c) } });

function lock(packages: PylockPackage[], extra: Partial<Pylock> = {}): Pylock {
  return { lockVersion: "1.0", extras: [], dependencyGroups: [], defaultGroups: [], createdBy: "t", packages, ...extra };
}

const multi = lock([
  { name: "zeta", version: "1.0", wheels: [wheel("zeta-1.0-py3-none-any.whl", "a")] },
  {
    name: "numpy",
    version: "2.0",
    wheels: [
      wheel("numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "b"),
      wheel("numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "c"),
      wheel("numpy-2.0-cp311-cp311-win_amd64.whl", "d"),
      wheel("numpy-2.0-py3-none-any.whl", "e"),
    ],
  },
  { name: "winonly", version: "1.0", marker: 'sys_platform == "win32"', wheels: [wheel("winonly-1.0-py3-none-any.whl", "f")] },
  { name: "old", version: "1.0", marker: 'python_version < "3.12"', wheels: [wheel("old-1.0-py3-none-any.whl", "1")] },
  { name: "old", version: "2.0", marker: 'python_version >= "3.12"', wheels: [wheel("old-2.0-py3-none-any.whl", "2")] },
]);

describe("selectForTarget", () => {
  it("picks the best wheel per target and evaluates markers, sorted by name", () => {
    const l = selectForTarget(multi, linux311);
    expect(l.map((s) => `${s.name} ${s.version} ${s.wheel.name}`)).toEqual([
      "numpy 2.0 numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "old 1.0 old-1.0-py3-none-any.whl",
      "zeta 1.0 zeta-1.0-py3-none-any.whl",
    ]);
    expect(l[0].sha256).toBe(sha("b"));
    expect(selectForTarget(multi, linux312).map((s) => s.wheel.name)).toContain(
      "numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    );
    expect(selectForTarget(multi, linux312).find((s) => s.name === "old")?.version).toBe("2.0");
    expect(selectForTarget(multi, win).map((s) => s.name)).toEqual(["numpy", "old", "winonly", "zeta"]);
    // No platform wheel for macOS: the pure wheel is the fallback.
    expect(selectForTarget(multi, mac).find((s) => s.name === "numpy")?.wheel.name).toBe("numpy-2.0-py3-none-any.whl");
  });

  it("names the package, the target and the locked wheels when none fits", () => {
    const l = lock([{ name: "native", version: "1.0", wheels: [wheel("native-1.0-cp311-cp311-win_amd64.whl", "a")] }]);
    try {
      selectForTarget(l, linux311);
      expect.unreachable();
    } catch (error) {
      expect((error as PystoreError).code).toBe("NO_MATCHING_WHEEL");
      expect((error as PystoreError).message).toContain("native 1.0");
      expect((error as PystoreError).message).toContain(linux311.id);
      expect((error as PystoreError).message).toContain("native-1.0-cp311-cp311-win_amd64.whl");
    }
  });

  it("refuses sdist-only entries, saying sdists are not built", () => {
    const l = lock([{ name: "src", version: "1.0", sdist: { name: "src-1.0.tar.gz", url: "https://x", hashes: { sha256: sha("a") } } }]);
    expect(() => selectForTarget(l, linux311)).toThrow(/building sdists is not supported/);
  });

  it("refuses a target outside the lock's environments or requires-python", () => {
    const l = lock([], { environments: ['sys_platform == "linux"'] });
    expect(() => selectForTarget(l, win)).toThrow(/does not cover target win_amd64-cp311/);
    expect(selectForTarget(l, linux311)).toEqual([]);
    expect(() => selectForTarget(lock([], { requiresPython: ">=3.12" }), linux311)).toThrow(/requires-python >=3.12/);
  });

  it("refuses overlapping entries for one package", () => {
    const l = lock([
      { name: "dup", version: "1.0", wheels: [wheel("dup-1.0-py3-none-any.whl", "a")] },
      { name: "dup", version: "2.0", wheels: [wheel("dup-2.0-py3-none-any.whl", "b")] },
    ]);
    expect(() => selectForTarget(l, linux311)).toThrow(/markers overlap/);
  });

  it("needs sha256 hashes", () => {
    const l = lock([
      { name: "md5only", version: "1.0", wheels: [{ name: "md5only-1.0-py3-none-any.whl", url: "https://x", hashes: { md5: "ab" } }] },
    ]);
    expect(() => selectForTarget(l, linux311)).toThrow(/no sha256/);
  });

  it("evaluates PEP 751 extras and dependency_groups markers", () => {
    const l = lock(
      [
        { name: "dev-tool", version: "1.0", marker: "'dev' in dependency_groups", wheels: [wheel("dev_tool-1.0-py3-none-any.whl", "a")] },
        { name: "fast", version: "1.0", marker: "'speed' in extras", wheels: [wheel("fast-1.0-py3-none-any.whl", "b")] },
      ],
      { dependencyGroups: ["dev"], defaultGroups: [], extras: ["speed"] },
    );
    expect(selectForTarget(l, linux311)).toEqual([]);
    expect(selectForTarget(l, linux311, { groups: ["dev"], extras: ["speed"] }).map((s) => s.name)).toEqual(["dev-tool", "fast"]);
  });
});
