// Cross-checks marker parsing, formatting and evaluation against the pypa/packaging that pip vendors on
// this machine (pip 23.2.1 vendors packaging 21.3), with every case answered by ONE python3 process.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { evaluateMarker, formatMarker, parseMarker, type MarkerEnvironment } from "../../src/standards/pep508.js";
import { isValidVersion, parseSpecifier } from "../../src/standards/pep440.js";

const ORACLE = String.raw`
import json, sys
from pip._vendor import packaging
from pip._vendor.packaging.markers import Marker, InvalidMarker
data = json.load(sys.stdin)
formatted, results = [], []
for m in data["markers"]:
    try:
        formatted.append(str(Marker(m)))
    except InvalidMarker:
        formatted.append(None)
for m, env, extra in data["cases"]:
    try:
        results.append(Marker(m).evaluate(dict(data["envs"][env], extra=extra)))
    except Exception as e:
        results.append("error")
json.dump({"packaging": packaging.__version__, "formatted": formatted, "results": results}, sys.stdout)
`;

const ENVS: Record<string, MarkerEnvironment> = {
  "linux-cp311": {
    implementation_name: "cpython",
    implementation_version: "3.11.7",
    os_name: "posix",
    platform_machine: "x86_64",
    platform_release: "6.1.0-18-amd64",
    platform_system: "Linux",
    platform_version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
    python_full_version: "3.11.7",
    platform_python_implementation: "CPython",
    python_version: "3.11",
    sys_platform: "linux",
  },
  "darwin-arm64-cp39": {
    implementation_name: "cpython",
    implementation_version: "3.9.18",
    os_name: "posix",
    platform_machine: "arm64",
    platform_release: "23.2.0",
    platform_system: "Darwin",
    platform_version: "Darwin Kernel Version 23.2.0: Wed Nov 15 21:53:18 PST 2023; root:xnu-10002.61.3~2/RELEASE_ARM64_T6000",
    python_full_version: "3.9.18",
    platform_python_implementation: "CPython",
    python_version: "3.9",
    sys_platform: "darwin",
  },
  "win32-cp312": {
    implementation_name: "cpython",
    implementation_version: "3.12.1",
    os_name: "nt",
    platform_machine: "AMD64",
    platform_release: "10",
    platform_system: "Windows",
    platform_version: "10.0.19045",
    python_full_version: "3.12.1",
    platform_python_implementation: "CPython",
    python_version: "3.12",
    sys_platform: "win32",
  },
  "linux-pypy310": {
    implementation_name: "pypy",
    implementation_version: "7.3.15",
    os_name: "posix",
    platform_machine: "aarch64",
    platform_release: "5.15.0-1051-aws",
    platform_system: "Linux",
    platform_version: "#56~20.04.1-Ubuntu SMP Tue Nov 28 15:43:31 UTC 2023",
    python_full_version: "3.10.13",
    platform_python_implementation: "PyPy",
    python_version: "3.10",
    sys_platform: "linux",
  },
};

const VERSION_VALUES: Record<string, string[]> = {
  python_version: ["2.7", "3", "3.9", "3.10", "3.11", "3.12", "3.11.0", "3.*", "3.1*", "3.11.*"],
  python_full_version: ["3.9.18", "3.10", "3.11.7", "3.12.0", "3.11.*", "3.12.1"],
  implementation_version: ["3.11", "7.3", "7.3.15", "3.12.1"],
  platform_release: ["5.0", "10", "23", "23.2.0", "6.1.0-18-amd64"],
};
const STRING_VALUES: Record<string, string[]> = {
  os_name: ["posix", "nt", "java"],
  sys_platform: ["linux", "darwin", "win32", "linux2", "cygwin"],
  platform_system: ["Linux", "Darwin", "Windows", "Java"],
  platform_machine: ["x86_64", "arm64", "AMD64", "aarch64", "i686"],
  platform_python_implementation: ["CPython", "PyPy", "Jython"],
  implementation_name: ["cpython", "pypy"],
  platform_version: ["10.0.19045", "#1 SMP", "Ubuntu", "Darwin Kernel"],
};
const ALIASES = [
  "os.name",
  "sys.platform",
  "platform.machine",
  "platform.version",
  "platform.python_implementation",
  "python_implementation",
];
const VERSION_OPS = ["<", "<=", "==", "!=", ">=", ">", "~=", "==="];

const markers: string[] = [];
// packaging 22+ compares only the four version-valued variables as versions, and gives ordered
// comparisons of plain strings the answer "no"; 21.3 used version or string ordering everywhere.
// Those ordered string comparisons are checked in markers.test.ts, not here.
for (const [variable, values] of Object.entries(VERSION_VALUES)) {
  for (const value of values) {
    for (const op of VERSION_OPS) {
      if (!parseSpecifier(`${op}${value}`) && op !== "==" && op !== "!=") continue;
      markers.push(`${variable} ${op} '${value}'`);
    }
    markers.push(`'${value}' in ${variable}`, `${variable} not in "${value}"`);
  }
}
for (const [variable, values] of Object.entries(STRING_VALUES)) {
  for (const value of values) {
    markers.push(`${variable} == "${value}"`, `"${value}" in ${variable}`);
    // 21.3 also compared version-looking values of string variables as versions (failing on the
    // non-version side); packaging 22+ compares them as strings, as we do (see markers.test.ts).
    if (!isValidVersion(value)) markers.push(`${variable}!='${value}'`, `${variable} not in '${value} other'`, `${variable} ~= "${value}"`);
  }
}
markers.push(`platform_version == "${ENVS["darwin-arm64-cp39"].platform_version}"`);
for (const alias of ALIASES) markers.push(`${alias} == "posix"`, `${alias} != "CPython"`, `"64" in ${alias}`);
for (const extra of ["test", "docs", "foo-bar"]) markers.push(`extra == "${extra}"`, `extra != "${extra}"`, `"${extra}" == extra`);
markers.push(
  `python_version >= "3.6" and (os_name == "posix" or extra == "test")`,
  `python_version < "3.10" or sys_platform == "win32" and platform_machine == "AMD64"`,
  `(python_version < "3.10" or sys_platform == "win32") and platform_machine == "AMD64"`,
  `sys_platform == "linux" and platform_machine == "x86_64" and implementation_name == "cpython"`,
  `platform_system != "Windows" and (platform_machine == "aarch64" or platform_machine == "arm64")`,
  `((python_version > "3.8")) and ((extra == "docs") or (extra == "test"))`,
  `python_full_version >= "3.9.0" and python_full_version < "3.12.0" or implementation_name == "pypy"`,
  `os_name == "nt" or os_name == "posix" and python_version == "3.9"`,
  `platform_python_implementation == "PyPy" and python_version >= "3.10"`,
  `python_version>"3.9"and os_name=="posix"`,
  `python_version ~= "3.11" and platform_release >= "5.0"`,
  `implementation_name == "cpython" and implementation_version >= "3.11" or implementation_version < "7.4"`,
  `extra == "test" and python_version >= "3.10" or extra == "docs" and sys_platform == "darwin"`,
  `sys_platform == "darwin" and platform_release >= "22"`,
  `python_version in "2.7 3.9 3.10"`,
  `python_version not in "3.11 3.12"`,
);
// Malformed markers: both sides must refuse them.
const INVALID = [
  `python_version`,
  `python_version >= `,
  `python_version >= 3.6`,
  `os_name = "posix"`,
  `(os_name == "nt"`,
  `os_name == "nt")`,
  `os_name == "nt" and`,
  `os_name == "nt" xor os_name == "posix"`,
  `foo == "bar"`,
  `os_name == 'nt"`,
  `os_name is "nt"`,
  `os_name == "nt" "posix"`,
  ``,
];

const EXTRAS = ["", "test", "docs"];
const cases: [string, string, string][] = [];
for (const m of markers) {
  for (const env of Object.keys(ENVS)) {
    for (const extra of m.includes("extra") ? EXTRAS : [""]) cases.push([m, env, extra]);
  }
}

const probe = spawnSync("python3", ["-c", "import pip._vendor.packaging.markers"], { encoding: "utf8" });

// Conditional on the machine: skipped only where python3 with pip (and its vendored packaging) is absent.
describe.runIf(probe.status === 0)("markers agree with pip's vendored packaging", () => {
  const run = spawnSync("python3", ["-c", ORACLE], {
    input: JSON.stringify({ markers: [...markers, ...INVALID], cases, envs: ENVS }),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const oracle = JSON.parse(run.stdout || "{}") as { packaging: string; formatted: (string | null)[]; results: (boolean | "error")[] };

  it(`ran the oracle (pip vendors packaging ${oracle.packaging}) over a broad table`, () => {
    expect(run.stderr).toBe("");
    expect(oracle.packaging).toMatch(/^\d+\.\d+/);
    expect(markers.length).toBeGreaterThanOrEqual(150);
    expect(cases.length).toBeGreaterThanOrEqual(600);
    expect(oracle.results).toHaveLength(cases.length);
  });

  it("parses, rejects and formats every marker the same way", () => {
    const diffs: string[] = [];
    [...markers, ...INVALID].forEach((m, i) => {
      let ours: string | null;
      try {
        ours = formatMarker(parseMarker(m));
      } catch {
        ours = null;
      }
      if (ours !== oracle.formatted[i]) diffs.push(`${m}: ours ${ours}, packaging ${oracle.formatted[i]}`);
    });
    expect(diffs).toEqual([]);
  });

  it(`evaluates ${markers.length} markers in ${Object.keys(ENVS).length} environments (${cases.length} cases) the same way`, () => {
    const diffs: string[] = [];
    let trues = 0;
    cases.forEach(([m, env, extra], i) => {
      let ours: boolean | "error";
      try {
        ours = evaluateMarker(m, ENVS[env], { extra });
      } catch {
        ours = "error";
      }
      if (ours === true) trues++;
      if (ours !== oracle.results[i]) diffs.push(`${m} @ ${env} extra=${extra}: ours ${ours}, packaging ${oracle.results[i]}`);
    });
    expect(diffs).toEqual([]);
    // The table must exercise both answers, or it proves little.
    expect(trues).toBeGreaterThan(cases.length / 5);
    expect(trues).toBeLessThan((cases.length * 4) / 5);
  });
});
