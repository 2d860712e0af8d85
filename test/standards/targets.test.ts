// Named targets → platform, id and PEP 508 marker environment; Python validation; complete platforms.

import { describe, expect, it } from "vitest";
import { evaluateMarker } from "../../src/standards/pep508.js";
import { parsePythonVersion, resolveTarget, targetFromCompletePlatform } from "../../src/standards/targets.js";
import { thrown } from "./thrown.js";

describe("resolveTarget: named platforms", () => {
  it.each([
    ["manylinux_x86_64", "manylinux_2_28_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["manylinux_aarch64", "manylinux_2_28_aarch64", "linux", "Linux", "aarch64", "posix"],
    ["manylinux_2_17_x86_64", "manylinux_2_17_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["manylinux2010_i686", "manylinux_2_12_i686", "linux", "Linux", "i686", "posix"],
    ["manylinux1_x86_64", "manylinux_2_5_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["musllinux_x86_64", "musllinux_1_2_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["musllinux_aarch64", "musllinux_1_2_aarch64", "linux", "Linux", "aarch64", "posix"],
    ["musllinux_1_1_x86_64", "musllinux_1_1_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["linux_x86_64", "linux_x86_64", "linux", "Linux", "x86_64", "posix"],
    ["macosx_arm64", "macosx_11_0_arm64", "darwin", "Darwin", "arm64", "posix"],
    ["macosx_x86_64", "macosx_10_12_x86_64", "darwin", "Darwin", "x86_64", "posix"],
    ["macosx_14_0_arm64", "macosx_14_0_arm64", "darwin", "Darwin", "arm64", "posix"],
    ["win_amd64", "win_amd64", "win32", "Windows", "AMD64", "nt"],
    ["win32", "win32", "win32", "Windows", "x86", "nt"],
    ["win_arm64", "win_arm64", "win32", "Windows", "ARM64", "nt"],
  ])("%s", (name, platform, sysPlatform, system, machine, osName) => {
    const target = resolveTarget(name, "3.11");
    expect(target.platform).toBe(platform);
    expect(target.id).toBe(`${platform}-cp311`);
    expect(target.python).toBe("3.11");
    expect(target.implementation).toBe("cp");
    expect(target.tags[0]).toBe(`cp311-cp311-${platform}`);
    expect(target.tags.at(-1)).toBe("py30-none-any");
    expect(target.markers).toEqual({
      implementation_name: "cpython",
      implementation_version: "3.11.0",
      os_name: osName,
      platform_machine: machine,
      platform_python_implementation: "CPython",
      platform_release: "",
      platform_system: system,
      platform_version: "",
      python_full_version: "3.11.0",
      python_version: "3.11",
      sys_platform: sysPlatform,
    });
    // Deterministic output: marker keys come sorted.
    expect(Object.keys(target.markers)).toEqual([...Object.keys(target.markers)].sort());
  });

  it("the first tag names the canonical platform", () => {
    expect(resolveTarget("manylinux2014_aarch64", "3.12").tags[0]).toBe("cp312-cp312-manylinux_2_17_aarch64");
    expect(resolveTarget("musllinux_x86_64", "3.10").tags[0]).toBe("cp310-cp310-musllinux_1_2_x86_64");
  });

  it("accepts spelling variants of a platform name", () => {
    expect(resolveTarget("MANYLINUX-2.17-X86_64", "3.9").platform).toBe("manylinux_2_17_x86_64");
  });

  it("a full X.Y.Z Python sets python_full_version", () => {
    const target = resolveTarget("win_amd64", "3.12.4");
    expect(target.python).toBe("3.12");
    expect(target.markers.python_full_version).toBe("3.12.4");
    expect(target.markers.implementation_version).toBe("3.12.4");
    expect(target.id).toBe("win_amd64-cp312");
  });

  it.each([
    ["windows", "Unknown platform `windows`"],
    ["manylinux_sparc", "unsupported Linux architecture `sparc`"],
    ["manylinux_2_3_x86_64", "outside manylinux's range"],
    ["manylinux_2_12_aarch64", "outside manylinux's range"],
    ["manylinux1_aarch64", "only defined for x86_64 and i686"],
    ["musllinux_2_0_x86_64", "not a musl 1.x version"],
    ["macosx_10_12_arm64", "arm64 Macs start at macOS 11.0"],
    ["macosx_11_0_ppc", "unsupported macOS architecture `ppc`"],
  ])("rejects platform %s", (platform, message) => {
    const error = thrown(() => resolveTarget(platform, "3.11"));
    expect(error.code).toBe("INVALID_TARGET");
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(message);
  });

  it.each(["2.7", "3.7", "3.15", "4.0", "3", "three", "3.11.x", ""])("rejects Python %j", (python) => {
    const error = thrown(() => resolveTarget("manylinux_x86_64", python));
    expect(error.code).toBe("INVALID_TARGET");
    expect(error.message).toContain(`\`${python}\``);
    expect(error.hint).toContain("3.8");
  });

  it("covers 3.8 through 3.14", () => {
    for (let minor = 8; minor <= 14; minor++) {
      expect(parsePythonVersion(`3.${minor}`).version).toEqual([3, minor]);
      expect(resolveTarget("win_amd64", `3.${minor}`).tags[0]).toBe(`cp3${minor}-cp3${minor}-win_amd64`);
    }
  });
});

describe("marker environments evaluate as each OS's CPython would", () => {
  it.each([
    ['sys_platform == "win32" and platform_machine == "AMD64"', "win_amd64", "3.11", true],
    ['os_name == "nt"', "win32", "3.11", true],
    ['sys_platform == "linux" and platform_machine == "aarch64"', "manylinux_aarch64", "3.12", true],
    ['platform_system == "Darwin" and platform_machine == "arm64"', "macosx_arm64", "3.11", true],
    ['sys_platform == "darwin"', "manylinux_x86_64", "3.11", false],
    ['python_version < "3.10"', "musllinux_x86_64", "3.9", true],
    ['python_version < "3.10"', "musllinux_x86_64", "3.10", false],
    ['python_full_version >= "3.12.0" and implementation_name == "cpython"', "win_arm64", "3.12", true],
    ['platform_python_implementation == "PyPy"', "win_arm64", "3.12", false],
  ])("%s on %s/%s", (marker, platform, python, expected) => {
    expect(evaluateMarker(marker, resolveTarget(platform, python).markers)).toBe(expected);
  });
});

describe("targetFromCompletePlatform", () => {
  const markers = {
    implementation_name: "cpython",
    implementation_version: "3.11.7",
    os_name: "posix",
    platform_machine: "x86_64",
    platform_python_implementation: "CPython",
    platform_release: "6.1.0",
    platform_system: "Linux",
    platform_version: "#1 SMP",
    python_full_version: "3.11.7",
    python_version: "3.11",
    sys_platform: "linux",
  };
  const tags = ["cp311-cp311-manylinux_2_35_x86_64", "cp311-abi3-manylinux_2_35_x86_64", "py3-none-any"];

  it("takes tags verbatim and markers as given", () => {
    const target = targetFromCompletePlatform({ marker_environment: markers, compatible_tags: tags, path: "/usr/bin/python3" }, "cp.json");
    expect(target).toEqual({
      id: "manylinux_2_35_x86_64-cp311",
      platform: "manylinux_2_35_x86_64",
      python: "3.11",
      implementation: "cp",
      tags,
      markers,
      fullVersionKnown: true,
    });
    expect(target.tags).not.toBe(tags);
  });

  it("fills the machine-only markers and the full version when absent", () => {
    const partial: Record<string, string> = { ...markers };
    delete partial.platform_release;
    delete partial.platform_version;
    delete partial.python_full_version;
    delete partial.implementation_version;
    const target = targetFromCompletePlatform({ marker_environment: partial, compatible_tags: tags }, "cp.json");
    expect(target.markers.platform_release).toBe("");
    // A placeholder only: nothing is decided on the patch level the file did not give.
    expect(target.markers.python_full_version).toBe("3.11.0");
    expect(target.markers.implementation_version).toBe("3.11.0");
    expect(target.fullVersionKnown).toBe(false);
  });

  it("knows the patch level of X.Y.Z and of the host, not of X.Y", () => {
    expect(resolveTarget("manylinux_x86_64", "3.11").fullVersionKnown).toBe(false);
    expect(resolveTarget("manylinux_x86_64", "3.11.7").fullVersionKnown).toBe(true);
    expect(resolveTarget("manylinux_x86_64", "3.11.7").markers.python_full_version).toBe("3.11.7");
  });

  it.each([
    [[], "top level is not a JSON object"],
    [{ compatible_tags: tags }, "`marker_environment` is missing"],
    [{ marker_environment: { ...markers, os_name: 3 }, compatible_tags: tags }, "`marker_environment.os_name` is not a string"],
    [
      { marker_environment: { ...markers, sys_platform: undefined }, compatible_tags: tags },
      "`marker_environment.sys_platform` is missing",
    ],
    [{ marker_environment: { ...markers, python_version: "3" }, compatible_tags: tags }, "expected MAJOR.MINOR"],
    [{ marker_environment: markers, compatible_tags: [] }, "`compatible_tags` is missing or empty"],
    [{ marker_environment: markers, compatible_tags: ["cp311-cp311"] }, "`compatible_tags[0]`"],
  ])("rejects %j", (json, message) => {
    const error = thrown(() => targetFromCompletePlatform(JSON.parse(JSON.stringify(json)), "plat.json"));
    expect(error.code).toBe("INVALID_PLATFORM_FILE");
    expect(error.message).toContain("`plat.json`");
    expect(error.message).toContain(message);
  });
});

describe("unknown platform names", () => {
  it.each([
    ["alpine", "did you mean `musllinux_x86_64` (Alpine Linux uses musl libc)?"],
    ["alpine-aarch64", "did you mean `musllinux_aarch64`"],
    ["ubuntu", "did you mean `manylinux_x86_64`"],
    ["linux-arm64", "unsupported Linux architecture `arm64` (Linux calls it `aarch64`)"],
    ["macos", "did you mean `macosx_arm64`?"],
    ["darwin_x86_64", "did you mean `macosx_x86_64`?"],
    ["windows", "did you mean `win_amd64`?"],
    ["manylnux_x86_64", "did you mean `manylinux_x86_64`?"],
  ])("%s suggests the named platform it means", (name, suggestion) => {
    const e = thrown(() => resolveTarget(name, "3.11"));
    expect(e.code).toBe("INVALID_TARGET");
    expect(e.message).toContain(suggestion);
  });

  it("suggests nothing for a name that resembles no platform", () => {
    expect(thrown(() => resolveTarget("sparc", "3.11")).message).toBe("Unknown platform `sparc`");
  });
});
