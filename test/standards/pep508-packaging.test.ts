// Cross-checks requirement parsing against the pypa/packaging that pip vendors on this machine
// (pip 23.2.1 vendors packaging 21.3): name, extras, specifier, URL and marker, in ONE python3 process.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatMarker, parseRequirement } from "../../src/standards/pep508.js";

const ORACLE = String.raw`
import json, sys
from pip._vendor import packaging
from pip._vendor.packaging.requirements import Requirement, InvalidRequirement
out = []
for text in json.load(sys.stdin):
    try:
        r = Requirement(text)
        out.append({"name": r.name, "extras": sorted(r.extras), "specifier": str(r.specifier), "url": r.url,
                    "marker": str(r.marker) if r.marker else None})
    except InvalidRequirement:
        out.append(None)
json.dump({"packaging": packaging.__version__, "parsed": out}, sys.stdout)
`;

// The PEP 508 test list and the spec page's examples first, then real-world shapes.
const VALID = [
  "A",
  "A.B-C_D",
  "aa",
  "name",
  "name<=1",
  "name>=3",
  "name>=3,<2",
  "name@http://foo.com",
  "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
  "name[quux, strange];python_version<'2.7' and platform_version=='2'",
  "name; os_name=='a' or os_name=='b'",
  "name; os_name=='a' and os_name=='b' or os_name=='c'",
  "name; os_name=='a' and (os_name=='b' or os_name=='c')",
  "name; os_name=='a' or os_name=='b' and os_name=='c'",
  "name; (os_name=='a' or os_name=='b') and os_name=='c'",
  'requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"',
  "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
  "requests",
  "requests>=2.31.0",
  "requests (>=2.0,<3)",
  "requests ( >= 2.0 , < 3 )",
  "Requests[Socks]>=2.0; python_version>='3.7'",
  "zope.interface>=5",
  'typing_extensions>=4.0; python_version < "3.11"',
  "foo==1.0.*",
  "foo~=1.4.2",
  "foo===1.0-weird",
  "foo!=1.5,>1.0,<=2.0",
  "foo>=1.0a1",
  "foo==1.0+local.1",
  "foo[]",
  "foo [ a , b ] ( ==1.0 )",
  "  foo  ",
  "colorama; sys_platform == 'win32'",
  "pywin32>=300; platform_system=='Windows' and platform_python_implementation!='PyPy'",
  "tomli>=1.1.0; python_full_version <= '3.11.0a6'",
  "importlib-metadata>=4.6; python_version<'3.10'",
  "pytest>=7; extra == 'test'",
  'sphinx; extra == "docs" or extra == "dev"',
  "foo @ file:///tmp/foo-1.0-py3-none-any.whl",
  "foo@https://example.com/foo.tar.gz ; os_name=='nt'",
  "foo @ https://example.com/foo.whl#sha256=0123",
  "foo[bar,baz]==2.0;extra=='x'",
  "foo>=1;python_version>'3'",
  "foo>=1 ;python_version>'3'",
  "foo  >=1  ;  python_version  >  '3'",
  "a-b.c_d[e-f]",
  "A1",
  "1a",
];
const INVALID = [
  "",
  "=foo",
  "foo-",
  "-foo",
  "foo >= 1.0 bar",
  "foo[bar",
  "foo[bar,]",
  "foo[,bar]",
  "foo ; ",
  "foo (>=1.0",
  "foo >=1.0)",
  "foo @",
  "foo; os_name = 'nt'",
  "foo >=1.0; python_version",
  "foo >=1.0; bogus == '1'",
  "foo~=1",
  "foo == 1.0 == 2.0",
  "foo[b ar]",
  "foo bar",
  "name @ http://foo.com; os_name=='nt' and",
];

// 21.3 still reads these as legacy (pre-PEP 440) specifiers; packaging 22+ rejects them, and so do we.
const LEGACY_ONLY = ["foo >=", "foo>=1.*", "foo>=1.0+local", "foo >= 1.0-beta-x"];

it.each(LEGACY_ONLY)("rejects the legacy specifier in %j", (text) => {
  expect(() => parseRequirement(text)).toThrow(expect.objectContaining({ code: "INVALID_REQUIREMENT" }));
});

const probe = spawnSync("python3", ["-c", "import pip._vendor.packaging.requirements"], { encoding: "utf8" });

// Conditional on the machine: skipped only where python3 with pip (and its vendored packaging) is absent.
describe.runIf(probe.status === 0)("requirements agree with pip's vendored packaging", () => {
  const run = spawnSync("python3", ["-c", ORACLE], { input: JSON.stringify([...VALID, ...INVALID]), encoding: "utf8" });
  const oracle = JSON.parse(run.stdout || "{}") as { packaging: string; parsed: unknown[] };

  it(`ran the oracle (pip vendors packaging ${oracle.packaging})`, () => {
    expect(run.stderr).toBe("");
    expect(oracle.parsed).toHaveLength(VALID.length + INVALID.length);
  });

  it.each(VALID.map((text, i) => [text, i] as const))("parses %j like packaging", (text, i) => {
    const r = parseRequirement(text);
    const ours = {
      name: r.name,
      extras: [...r.extras].sort(),
      specifier: r.specifier,
      url: r.url ?? null,
      marker: r.marker ? formatMarker(r.marker) : null,
    };
    expect(ours).toEqual(oracle.parsed[i]);
  });

  it.each(INVALID.map((text, i) => [text, VALID.length + i] as const))("rejects %j like packaging", (text, i) => {
    expect(oracle.parsed[i]).toBeNull();
    expect(() => parseRequirement(text)).toThrow(expect.objectContaining({ code: "INVALID_REQUIREMENT" }));
  });
});
