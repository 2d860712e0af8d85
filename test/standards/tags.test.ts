// Tag generation rules (PEP 425/600/656, macOS, Windows) and wheel ranking, table-driven.

import { describe, expect, it } from "vitest";
import {
  bestWheel,
  compatibleTags,
  cpythonTags,
  LEGACY_MANYLINUX_GLIBC,
  macPlatforms,
  manylinuxFloor,
  manylinuxPlatforms,
  musllinuxPlatforms,
  platformLibc,
  platformTags,
  rankWheel,
} from "../../src/standards/tags.js";
import { resolveTarget } from "../../src/standards/targets.js";

describe("platform lists", () => {
  it("PEP 600: manylinux from the target glibc down to 2_5 on x86_64, legacy aliases after their twin", () => {
    const list = manylinuxPlatforms("x86_64", { major: 2, minor: 17 });
    expect(list[0]).toBe("manylinux_2_17_x86_64");
    expect(list[1]).toBe("manylinux2014_x86_64");
    expect(list.indexOf("manylinux2010_x86_64")).toBe(list.indexOf("manylinux_2_12_x86_64") + 1);
    expect(list.at(-2)).toBe("manylinux_2_5_x86_64");
    expect(list.at(-1)).toBe("manylinux1_x86_64");
    // 13 versions (2.17 … 2.5) plus three aliases.
    expect(list).toHaveLength(16);
  });

  it("PEP 600: aarch64 stops at 2_17 and so has only the manylinux2014 alias", () => {
    const list = manylinuxPlatforms("aarch64", { major: 2, minor: 28 });
    expect(list[0]).toBe("manylinux_2_28_aarch64");
    expect(list.slice(-2)).toEqual(["manylinux_2_17_aarch64", "manylinux2014_aarch64"]);
    expect(list.some((p) => p.includes("manylinux1") || p.includes("manylinux2010"))).toBe(false);
  });

  it("PEP 656: musllinux from the target musl down to 1_0", () => {
    expect(musllinuxPlatforms("x86_64", { major: 1, minor: 2 })).toEqual([
      "musllinux_1_2_x86_64",
      "musllinux_1_1_x86_64",
      "musllinux_1_0_x86_64",
    ]);
  });

  it("linux lists end in linux_ARCH; musl targets get no manylinux tags", () => {
    const glibc = platformTags({ os: "linux", arch: "x86_64", libc: { kind: "glibc", major: 2, minor: 28 } });
    expect(glibc.at(-1)).toBe("linux_x86_64");
    expect(glibc.some((p) => p.startsWith("musllinux"))).toBe(false);
    const musl = platformTags({ os: "linux", arch: "aarch64", libc: { kind: "musl", major: 1, minor: 1 } });
    expect(musl).toEqual(["musllinux_1_1_aarch64", "musllinux_1_0_aarch64", "linux_aarch64"]);
  });

  it("macOS arm64 11.0: arm64 and universal2, then universal2 for 10.16 … 10.4", () => {
    const list = macPlatforms([11, 0], "arm64");
    expect(list.slice(0, 3)).toEqual(["macosx_11_0_arm64", "macosx_11_0_universal2", "macosx_10_16_universal2"]);
    expect(list.at(-1)).toBe("macosx_10_4_universal2");
    expect(list).toHaveLength(2 + 13);
  });

  it("macOS x86_64 10.12: every binary format, newest release first", () => {
    const list = macPlatforms([10, 12], "x86_64");
    expect(list.slice(0, 6)).toEqual([
      "macosx_10_12_x86_64",
      "macosx_10_12_intel",
      "macosx_10_12_fat64",
      "macosx_10_12_fat32",
      "macosx_10_12_universal2",
      "macosx_10_12_universal",
    ]);
    // Before 10.4 there are no x86_64 formats at all.
    expect(list.at(-1)).toBe("macosx_10_4_universal");
    expect(list.some((p) => p.startsWith("macosx_10_3_"))).toBe(false);
  });

  it("macOS 13 counts majors down to 11 with minor 0", () => {
    const majors = macPlatforms([13, 2], "arm64").filter((p) => p.endsWith("_arm64"));
    expect(majors).toEqual(["macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"]);
  });

  it("Windows has exactly one platform tag", () => {
    expect(platformTags({ os: "windows", platform: "win_arm64" })).toEqual(["win_arm64"]);
  });
});

describe("interpreter tags (PEP 425 order)", () => {
  it("cp3X-cp3X, cp3X-abi3, cp3X-none, then older abi3 down to cp32", () => {
    const tags = cpythonTags([3, 11], ["linux_x86_64"]);
    expect(tags.slice(0, 4)).toEqual([
      "cp311-cp311-linux_x86_64",
      "cp311-abi3-linux_x86_64",
      "cp311-none-linux_x86_64",
      "cp310-abi3-linux_x86_64",
    ]);
    expect(tags.at(-1)).toBe("cp32-abi3-linux_x86_64");
    expect(tags).toHaveLength(3 + 9);
  });

  it("each group spans every platform before the next group starts", () => {
    const tags = cpythonTags([3, 8], ["a", "b"]);
    expect(tags.slice(0, 4)).toEqual(["cp38-cp38-a", "cp38-cp38-b", "cp38-abi3-a", "cp38-abi3-b"]);
  });

  it("compatible tags: py3X, py3, py3(X-1) … py30 per platform, then cp3X-none-any, then pure -any", () => {
    const tags = compatibleTags([3, 10], ["win32"], "cp310");
    expect(tags.slice(0, 3)).toEqual(["py310-none-win32", "py3-none-win32", "py39-none-win32"]);
    expect(tags.indexOf("py30-none-win32")).toBe(11);
    expect(tags[12]).toBe("cp310-none-any");
    expect(tags.slice(13, 15)).toEqual(["py310-none-any", "py3-none-any"]);
    expect(tags.at(-1)).toBe("py30-none-any");
  });

  it("a resolved target has no duplicate tags", () => {
    const tags = resolveTarget("manylinux_2_28_x86_64", "3.12").tags;
    expect(new Set(tags).size).toBe(tags.length);
  });
});

describe("rankWheel / bestWheel", () => {
  const target = resolveTarget("manylinux_2_17_x86_64", "3.11");

  it("ranks by the best matching tag; incompatible is undefined", () => {
    expect(rankWheel(target, ["cp311-cp311-manylinux_2_17_x86_64"])).toBe(0);
    expect(rankWheel(target, ["py3-none-any"])).toBe(target.tags.indexOf("py3-none-any"));
    expect(rankWheel(target, ["cp311-cp311-win_amd64"])).toBeUndefined();
    expect(rankWheel(target, ["cp311-cp311-manylinux_2_28_x86_64"])).toBeUndefined();
    expect(rankWheel(target, ["CP311-CP311-MANYLINUX2014_X86_64"])).toBe(1);
    expect(rankWheel(target, ["cp311-cp311-win_amd64", "cp311-abi3-manylinux1_x86_64"])).toBe(
      target.tags.indexOf("cp311-abi3-manylinux1_x86_64"),
    );
  });

  it("picks the most specific compatible wheel regardless of input order", () => {
    const wheels = [
      { filename: "a-1-py3-none-any.whl", tags: ["py3-none-any"] },
      { filename: "a-1-cp38-abi3-manylinux2014_x86_64.whl", tags: ["cp38-abi3-manylinux2014_x86_64"] },
      { filename: "a-1-cp311-cp311-win_amd64.whl", tags: ["cp311-cp311-win_amd64"] },
    ];
    expect(bestWheel(target, wheels)?.filename).toBe("a-1-cp38-abi3-manylinux2014_x86_64.whl");
    expect(bestWheel(target, [...wheels].reverse())?.filename).toBe("a-1-cp38-abi3-manylinux2014_x86_64.whl");
    expect(bestWheel(target, [wheels[2]!])).toBeUndefined();
  });

  it("breaks ties by higher build tag, then by filename", () => {
    const tie = [
      { filename: "a-1-1-py3-none-any.whl", tags: ["py3-none-any"] },
      { filename: "a-1-2-py3-none-any.whl", tags: ["py3-none-any"] },
      { filename: "a-1-py3-none-any.whl", tags: ["py3-none-any"] },
    ];
    expect(bestWheel(target, tie)?.filename).toBe("a-1-2-py3-none-any.whl");
    expect(bestWheel(target, [...tie].reverse())?.filename).toBe("a-1-2-py3-none-any.whl");
    const names = [
      { filename: "b-1-py3-none-any.whl", tags: ["py3-none-any"] },
      { filename: "a-1-py3-none-any.whl", tags: ["py3-none-any"] },
    ];
    expect(bestWheel(target, names)?.filename).toBe("a-1-py3-none-any.whl");
  });
});

describe("bestWheel with the shapes callers pass", () => {
  const target = resolveTarget("win_amd64", "3.12");
  it("finds the filename in a PylockWheel's name or a wrapper's wheel", () => {
    const lock = [
      { name: "a-1.0-1-py3-none-any.whl", tags: ["py3-none-any"] },
      { name: "a-1.0-3-py3-none-any.whl", tags: ["py3-none-any"] },
    ];
    expect(bestWheel(target, lock)?.name).toBe("a-1.0-3-py3-none-any.whl");
    const wrapped = lock.map((w) => ({ wheel: w, tags: w.tags }));
    expect(bestWheel(target, wrapped)?.wheel.name).toBe("a-1.0-3-py3-none-any.whl");
    expect(bestWheel(target, [...wrapped].reverse())?.wheel.name).toBe("a-1.0-3-py3-none-any.whl");
  });
});

describe("the C library a platform tag promises (PEP 600 / PEP 656)", () => {
  it.each([
    ["manylinux_2_28_x86_64", { kind: "glibc", major: 2, minor: 28 }],
    ["manylinux_2_5_i686", { kind: "glibc", major: 2, minor: 5 }],
    ["manylinux2014_aarch64", { kind: "glibc", major: 2, minor: 17 }],
    ["manylinux2010_x86_64", { kind: "glibc", major: 2, minor: 12 }],
    ["manylinux1_x86_64", { kind: "glibc", major: 2, minor: 5 }],
    ["musllinux_1_1_x86_64", { kind: "musl", major: 1, minor: 1 }],
    ["linux_x86_64", undefined],
    ["macosx_11_0_arm64", undefined],
    ["win_amd64", undefined],
  ])("%s", (tag, libc) => {
    expect(platformLibc(tag)).toEqual(libc);
  });

  it("the legacy names, the tag lists and the floors agree: each alias follows its manylinux_2_X twin", () => {
    for (const [name, minor] of Object.entries(LEGACY_MANYLINUX_GLIBC)) {
      const list = manylinuxPlatforms("x86_64", { major: 2, minor: 28 });
      expect(list[list.indexOf(`manylinux_2_${minor}_x86_64`) + 1]).toBe(`${name}_x86_64`);
      expect(platformLibc(`${name}_x86_64`)).toEqual({ kind: "glibc", major: 2, minor });
    }
    expect(manylinuxFloor("x86_64")).toBe(5);
    expect(manylinuxFloor("i686")).toBe(5);
    expect(manylinuxFloor("aarch64")).toBe(17);
  });
});
