// Partial marker evaluation: decided where the environment decides, the rest kept as a residual marker.

import { describe, expect, it } from "vitest";
import { formatMarker, type MarkerEnvironment, reduceMarker } from "../../src/standards/pep508.js";

const linux311: MarkerEnvironment = {
  implementation_name: "cpython",
  implementation_version: "3.11.0",
  os_name: "posix",
  platform_machine: "x86_64",
  platform_release: "",
  platform_system: "Linux",
  platform_version: "",
  python_full_version: "3.11.0",
  platform_python_implementation: "CPython",
  python_version: "3.11",
  sys_platform: "linux",
};

function show(r: ReturnType<typeof reduceMarker>): boolean | string {
  return typeof r === "boolean" ? r : formatMarker(r);
}

describe("reduceMarker with unknown selections", () => {
  const reduce = (m: string) => show(reduceMarker(m, linux311, {}, { selections: true }));
  it.each([
    ['"x" in extras', '"x" in extras'],
    ['sys_platform == "linux" and "x" in extras', '"x" in extras'],
    ['sys_platform == "win32" and "x" in extras', false],
    ['sys_platform == "win32" or "dev" in dependency_groups', '"dev" in dependency_groups'],
    ['sys_platform == "linux" or "dev" in dependency_groups', true],
    ['("a" in extras or "b" in extras) and python_version >= "3.8"', '"a" in extras or "b" in extras'],
    ['"a" in extras and "b" in extras or "dev" in dependency_groups', '("a" in extras and "b" in extras) or "dev" in dependency_groups'],
    ['"a" not in extras', '"a" not in extras'],
  ])("%s → %s", (marker, expected) => {
    expect(reduce(marker)).toBe(expected);
  });

  it("decides selections when they are known", () => {
    expect(show(reduceMarker('"x" in extras', linux311, { extras: ["X"] }, {}))).toBe(true);
    expect(show(reduceMarker('"x" in extras', linux311, {}, {}))).toBe(false);
  });

  it("with no environment keeps every environment comparison and decides the selections", () => {
    const r = (m: string, extras: string[]) => show(reduceMarker(m, undefined, { extras }, { environment: true }));
    expect(r('sys_platform == "linux" and "x" in extras', [])).toBe(false);
    expect(r('sys_platform == "linux" and "x" in extras', ["x"])).toBe('sys_platform == "linux"');
    expect(r('sys_platform == "linux"', [])).toBe('sys_platform == "linux"');
  });
});

describe("reduceMarker with an unknown patch level (--python 3.11)", () => {
  const reduce = (m: string) => show(reduceMarker(m, linux311, {}, { pythonPatch: true }));
  it.each([
    ['python_full_version < "3.11.3"', 'python_full_version < "3.11.3"'],
    ['python_full_version >= "3.11.3"', 'python_full_version >= "3.11.3"'],
    ['python_full_version == "3.11.5"', 'python_full_version == "3.11.5"'],
    ['python_full_version != "3.11.5"', 'python_full_version != "3.11.5"'],
    ['python_full_version ~= "3.11.2"', 'python_full_version ~= "3.11.2"'],
    ['python_full_version <= "3.11"', 'python_full_version <= "3.11"'],
    // Decided for every 3.11.N:
    ['python_full_version >= "3.8.1"', true],
    ['python_full_version < "3.11"', false],
    ['python_full_version >= "3.11"', true],
    ['python_full_version == "3.11.*"', true],
    ['python_full_version < "3.12"', true],
    ['python_full_version < "3.10.4"', false],
    ['python_version >= "3.11"', true],
    ['python_full_version < "3.11.3" and sys_platform == "win32"', false],
    ['python_full_version < "3.11.3" or sys_platform == "linux"', true],
  ])("%s → %s", (marker, expected) => {
    expect(reduce(marker)).toBe(expected);
  });

  it("with the patch known, decides by it", () => {
    expect(show(reduceMarker('python_full_version < "3.11.3"', { ...linux311, python_full_version: "3.11.7" }, {}, {}))).toBe(false);
    expect(show(reduceMarker('python_full_version < "3.11.3"', { ...linux311, python_full_version: "3.11.2" }, {}, {}))).toBe(true);
  });
});
