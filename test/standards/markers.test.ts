// PEP 508 environment markers: evaluation (the spec's examples, extras per PEP 685, packaging 22+ rules), formatting, and/or.

import { describe, expect, it } from "vitest";
import {
  evaluateMarker,
  formatMarker,
  markerAnd,
  markerExtras,
  markerOr,
  parseMarker,
  type EvaluationContext,
  type MarkerEnvironment,
} from "../../src/standards/pep508.js";

const linux311: MarkerEnvironment = {
  implementation_name: "cpython",
  implementation_version: "3.11.7",
  os_name: "posix",
  platform_machine: "x86_64",
  platform_release: "6.1.0-18-amd64",
  platform_system: "Linux",
  platform_version: "#1 SMP Debian 6.1.76-1",
  python_full_version: "3.11.7",
  platform_python_implementation: "CPython",
  python_version: "3.11",
  sys_platform: "linux",
};
const win39: MarkerEnvironment = {
  ...linux311,
  os_name: "nt",
  platform_machine: "AMD64",
  platform_release: "10",
  platform_system: "Windows",
  platform_version: "10.0.19045",
  python_full_version: "3.9.13",
  implementation_version: "3.9.13",
  python_version: "3.9",
  sys_platform: "win32",
};

describe("marker evaluation (the spec's examples)", () => {
  it.each([
    ['python_version < "2.7"', false, false],
    ['python_version >= "3.6" and os_name == "posix"', true, false],
    ["python_version>'2'", true, true],
    ['sys_platform == "win32"', false, true],
    ['platform_machine == "x86_64" and platform_python_implementation == "CPython"', true, false],
    ["os_name=='a' or os_name=='b'", false, false],
    ["python_version > '3.9' or sys_platform == 'win32' and platform_machine == 'AMD64'", true, true],
    ["(python_version > '3.9' or sys_platform == 'win32') and platform_machine == 'x86_64'", true, false],
    ['python_full_version >= "3.9.1"', true, true],
    ['python_full_version >= "3.9.14"', true, false],
    ['implementation_name == "cpython" and implementation_version ~= "3.11.0"', true, false],
    ['"linux" in sys_platform', true, false],
    ['sys_platform in "linux darwin"', true, false],
    ['sys_platform not in "linux darwin"', false, true],
    ['python_version == "3.*"', true, true],
    ['python_version == "3.1*"', false, false],
    ['platform_release >= "10"', false, true],
    ['platform_release == "6.1.0-18-amd64"', true, false],
    ['os.name == "nt" or python_implementation == "PyPy"', false, true],
  ])("%s: linux/3.11 %s, win32/3.9 %s", (marker, onLinux, onWindows) => {
    expect(evaluateMarker(marker, linux311)).toBe(onLinux);
    expect(evaluateMarker(parseMarker(marker), win39)).toBe(onWindows);
  });
});

describe("extras", () => {
  it("treats `extra` as empty unless one is given, and normalizes both sides (PEP 685)", () => {
    expect(evaluateMarker('extra == "test"', linux311)).toBe(false);
    expect(evaluateMarker('extra == "test"', linux311, { extra: "test" })).toBe(true);
    expect(evaluateMarker('extra == "Foo_Bar"', linux311, { extra: "foo.bar" })).toBe(true);
    expect(evaluateMarker('"FOO-bar" == extra', linux311, { extra: "foo_bar" })).toBe(true);
    expect(evaluateMarker('extra != "test"', linux311)).toBe(true);
    expect(formatMarker('extra == "Foo_Bar"')).toBe('extra == "foo-bar"');
  });

  const cases: [string, EvaluationContext, boolean][] = [
    ["'test' in extras", { extras: ["test"] }, true],
    ["'test' in extras", { extras: ["docs"] }, false],
    ["'test' in extras", {}, false],
    ["'Test_Extra' in extras", { extras: ["test-extra"] }, true],
    ["'test' not in extras", { extras: [] }, true],
    ["'dev' in dependency_groups", { dependency_groups: ["dev"] }, true],
    ["'dev' in dependency_groups", { dependency_groups: ["test"] }, false],
    ["'dev' in dependency_groups and python_version >= '3.10'", { dependency_groups: ["Dev"] }, true],
    ["'docs' in extras or 'docs' in dependency_groups", { dependency_groups: ["docs"] }, true],
  ];
  it.each(cases)("PEP 751 sets: %s with %j -> %s", (marker, ctx, expected) => {
    expect(evaluateMarker(marker, linux311, ctx)).toBe(expected);
  });

  it("lists the extras a marker mentions", () => {
    expect(markerExtras(parseMarker("extra == 'B' or (python_version > '3' and extra == 'a_b')"))).toEqual(["a-b", "b"]);
    expect(markerExtras(parseMarker("python_version > '3'"))).toEqual([]);
  });
});

describe("what packaging 22+ changed (and 21.3 did differently)", () => {
  it("orders only the version variables; other strings answer no for < and >, equality for <= and >=", () => {
    expect(evaluateMarker('sys_platform < "win32"', linux311)).toBe(false);
    expect(evaluateMarker('sys_platform > "a"', linux311)).toBe(false);
    expect(evaluateMarker('sys_platform >= "linux"', linux311)).toBe(true);
    expect(evaluateMarker('sys_platform <= "darwin"', linux311)).toBe(false);
    expect(evaluateMarker('platform_version == "10.0.19045.0"', win39)).toBe(false);
  });

  it("admits pre-release environments in version comparisons", () => {
    const rc = { ...linux311, python_full_version: "3.13.0rc1", python_version: "3.13" };
    expect(evaluateMarker('python_full_version >= "3.12"', rc)).toBe(true);
    expect(evaluateMarker('python_full_version > "3.12.5"', rc)).toBe(true);
    // Still the spec's exclusive rule: "<3.13" does not admit 3.13's own pre-releases.
    expect(evaluateMarker('python_full_version < "3.13"', rc)).toBe(false);
  });

  it("repairs a '+' python_full_version of an untagged build", () => {
    expect(evaluateMarker('python_full_version >= "3.11"', { ...linux311, python_full_version: "3.11.7+" })).toBe(true);
  });

  it("answers no for version comparisons against a value that is not a version", () => {
    expect(evaluateMarker('platform_release >= "5.0"', linux311)).toBe(false);
    expect(evaluateMarker('platform_release != "5.0"', linux311)).toBe(false);
  });

  it.each(['os_name ~= "posix"', 'sys_platform === "linux"', 'python_version > "3.*" and os_name ~= "x"'])(
    "refuses undefined comparison %s",
    (m) => {
      expect(() => evaluateMarker(m, linux311)).toThrow(expect.objectContaining({ code: "INVALID_MARKER" }));
    },
  );

  it("refuses to use the set variables as strings", () => {
    expect(() => evaluateMarker("extras == 'a'", linux311)).toThrow(expect.objectContaining({ code: "INVALID_MARKER" }));
  });
});

describe("formatting and combining", () => {
  it.each([
    ["python_version>'2'", 'python_version > "2"'],
    ["  (os_name=='nt')  ", 'os_name == "nt"'],
    ["((os_name=='nt'))", 'os_name == "nt"'],
    [
      "os.name=='nt' and (sys.platform=='x' or platform.machine=='y')",
      'os_name == "nt" and (sys_platform == "x" or platform_machine == "y")',
    ],
    ["python_implementation=='PyPy'", 'platform_python_implementation == "PyPy"'],
    ["'3' not  in python_version", '"3" not in python_version'],
    [`os_name == '"quoted"'`, `os_name == '"quoted"'`],
  ])("%j -> %s", (input, canonical) => {
    expect(formatMarker(parseMarker(input))).toBe(canonical);
    expect(formatMarker(canonical)).toBe(canonical);
  });

  it("combines with and/or, keeping precedence explicit", () => {
    const a = parseMarker("os_name == 'nt' or os_name == 'posix'");
    const b = parseMarker("python_version >= '3.9'");
    expect(formatMarker(markerAnd(a, b)!)).toBe('(os_name == "nt" or os_name == "posix") and python_version >= "3.9"');
    expect(formatMarker(markerOr(b, a)!)).toBe('python_version >= "3.9" or (os_name == "nt" or os_name == "posix")');
    expect(markerAnd(undefined, b)).toBe(b);
    expect(markerOr(undefined, b)).toBeUndefined();
    expect(evaluateMarker(markerAnd(a, b)!, win39)).toBe(true);
    expect(evaluateMarker(markerAnd(a, parseMarker("python_version >= '3.10'"))!, win39)).toBe(false);
  });

  it.each([
    ["python_version >= 3.6", "Expected a marker variable or quoted string", 18],
    ["os_name = 'nt'", "Expected a marker operator", 8],
    ["(os_name == 'nt'", "Expected matching ')'", 0],
    ["os_name == 'nt' xor 1", "Expected 'and', 'or' or the end of the marker", 16],
    ["os_name == 'nt\"", "Expected a marker variable or quoted string", 11],
  ])("rejects %j with a caret", (text, summary, column) => {
    try {
      parseMarker(text);
      expect.unreachable();
    } catch (e) {
      const err = e as { code: string; message: string };
      expect(err.code).toBe("INVALID_MARKER");
      expect(err.message).toContain(summary);
      const lines = err.message.split("\n");
      expect(lines[1]).toBe(`    ${text}`);
      expect(lines[2].indexOf("^")).toBe(4 + column);
    }
  });
});
