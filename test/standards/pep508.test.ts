// PEP 508 requirements: parsing the spec's examples, formatting, caret error messages, the parse cache.

import { describe, expect, it } from "vitest";
import { formatMarker, formatRequirement, parseRequirement } from "../../src/standards/pep508.js";
import { thrown } from "./thrown.js";

describe("requirements (the spec's examples)", () => {
  it.each([
    ["A", { name: "A", extras: [], specifier: "" }],
    ["A.B-C_D", { name: "A.B-C_D", extras: [], specifier: "" }],
    ["name>=3,<2", { name: "name", extras: [], specifier: "<2,>=3" }],
    ["name@http://foo.com", { name: "name", extras: [], specifier: "", url: "http://foo.com" }],
    [
      "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
      { name: "name", extras: ["fred", "bar"], specifier: "", url: "http://foo.com" },
    ],
    [
      'requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"',
      { name: "requests", extras: ["security", "tests"], specifier: "==2.8.*,>=2.8.1" },
    ],
    [
      "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
      {
        name: "pip",
        extras: [],
        specifier: "",
        url: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
      },
    ],
    ["foo (>=1.0, <2)", { name: "foo", extras: [], specifier: "<2,>=1.0" }],
    ["foo[a,a,b]", { name: "foo", extras: ["a", "b"], specifier: "" }],
    ["foo @ https://x/y.whl;os_name=='nt'", { name: "foo", extras: [], specifier: "", url: "https://x/y.whl;os_name=='nt'" }],
  ])("%j", (text, expected) => {
    const { marker, ...rest } = parseRequirement(text);
    expect(rest).toEqual(expected);
    expect(marker !== undefined).toBe(text.includes(" ; ") || text.includes(" ;python") || text.includes("; python"));
  });

  it.each([
    ["name; os_name=='a' and os_name=='b' or os_name=='c'", 'os_name == "a" and os_name == "b" or os_name == "c"'],
    ["name; os_name=='a' and (os_name=='b' or os_name=='c')", 'os_name == "a" and (os_name == "b" or os_name == "c")'],
    ["name; (os_name=='a' or os_name=='b') and os_name=='c'", '(os_name == "a" or os_name == "b") and os_name == "c"'],
    ["name[quux, strange];python_version<'2.7' and platform_version=='2'", 'python_version < "2.7" and platform_version == "2"'],
  ])("keeps the marker's grouping: %j", (text, marker) => {
    expect(formatMarker(parseRequirement(text).marker!)).toBe(marker);
  });

  it.each([
    [
      "requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < '2.7'",
      'requests[security,tests]==2.8.*,>=2.8.1; python_version < "2.7"',
    ],
    ["name [fred,bar] @ http://foo.com ; python_version=='2.7'", 'name[bar,fred] @ http://foo.com ; python_version == "2.7"'],
    ["name@http://foo.com", "name @ http://foo.com"],
    ["foo (>=1)", "foo>=1"],
    ["Foo_Bar[Extra_One]; extra == 'Test_Extra'", 'Foo_Bar[Extra_One]; extra == "test-extra"'],
  ])("formats %j canonically", (text, formatted) => {
    expect(formatRequirement(parseRequirement(text))).toBe(formatted);
    // Formatting is a fixed point: the canonical text parses back to the same requirement.
    expect(formatRequirement(parseRequirement(formatted))).toBe(formatted);
  });

  it.each([
    ["foo >=1.0 bar", "Expected end or semicolon (after version specifier)", 4],
    ["", "Expected a package name", 0],
    ["foo[bar", "Expected ',' or ']'", 7],
    ["foo (>=1.0", "Expected ')'", 10],
    ["foo>=1.*", "Invalid version specifier ('.*' only follows == or !=)", 3],
    ["foo>=1.0+local", "Invalid version specifier (local versions only follow == or !=)", 3],
    ["foo @ ", "Expected a URL after @", 6],
    ["foo @ http://x ;", "Expected a marker variable or quoted string", 16],
    ["foo; os_name = 'nt'", "Expected a marker operator", 13],
    ["foo; bogus == '1'", "Expected a marker variable or quoted string", 5],
    ["foo @ http://x ; (os_name == 'nt'", "Expected matching ')'", 17],
  ])("rejects %j with a caret", (text, summary, column) => {
    const err = thrown(() => parseRequirement(text));
    expect(err.code).toBe("INVALID_REQUIREMENT");
    expect(err.message).toContain(summary);
    expect(err.message).toContain(JSON.stringify(text));
    const lines = err.message.split("\n");
    expect(lines[1]).toBe(`    ${text}`);
    expect(lines[2].indexOf("^")).toBe(4 + column);
    expect(err.details).toMatchObject({ column });
  });

  it("returns independent copies from its cache", () => {
    const a = parseRequirement("cachetest[x]>=1");
    a.extras.push("mutated");
    expect(parseRequirement("cachetest[x]>=1").extras).toEqual(["x"]);
  });
});
