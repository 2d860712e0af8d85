// Core metadata (packaging.python.org core-metadata spec): parsing METADATA headers and choosing Requires-Dist for an environment.

import { describe, expect, it } from "vitest";
import { dependenciesFor, parseCoreMetadata, parseHeaders } from "../../src/standards/metadata.js";
import { formatRequirement, type MarkerEnvironment } from "../../src/standards/pep508.js";

const env: MarkerEnvironment = {
  implementation_name: "cpython",
  implementation_version: "3.11.7",
  os_name: "posix",
  platform_machine: "x86_64",
  platform_release: "6.1.0",
  platform_system: "Linux",
  platform_version: "#1",
  python_full_version: "3.11.7",
  platform_python_implementation: "CPython",
  python_version: "3.11",
  sys_platform: "linux",
};

const METADATA_24 = [
  "Metadata-Version: 2.4",
  "Name: Sample_Project",
  "Version: 2.31.0",
  "Summary: A sample project",
  "Requires-Python: >=3.8, <4",
  "Requires-Dist: charset-normalizer<4,>=2",
  "Requires-Dist: idna (>=2.5,<4)",
  'Requires-Dist: tomli>=1.1; python_version < "3.11"',
  'Requires-Dist: colorama; sys_platform == "win32"',
  'Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"',
  'Requires-Dist: chardet<6,>=3.0.2; extra == "use_chardet_on_py3"',
  "Provides-Extra: socks",
  "Provides-Extra: use_chardet_on_py3",
  "Provides-Extra: Socks",
  "Dynamic: license-file",
  "License-Expression: MIT",
  "Description-Content-Type: text/markdown",
  "",
  "# Sample",
  "",
  "Requires-Dist: not-a-header",
].join("\n");

describe("core metadata", () => {
  it("reads the fields pystore needs", () => {
    const meta = parseCoreMetadata(METADATA_24, "sample-2.31.0.dist-info/METADATA");
    expect(meta).toMatchObject({
      metadataVersion: "2.4",
      name: "Sample_Project",
      version: "2.31.0",
      summary: "A sample project",
      requiresPython: "<4,>=3.8",
      providesExtra: ["socks", "use-chardet-on-py3"],
      dynamic: ["license-file"],
    });
    expect(meta.requiresDist.map(formatRequirement)).toEqual([
      "charset-normalizer<4,>=2",
      "idna<4,>=2.5",
      'tomli>=1.1; python_version < "3.11"',
      'colorama; sys_platform == "win32"',
      'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
      'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"',
    ]);
  });

  it.each(["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4"])("accepts Metadata-Version %s", (v) => {
    expect(parseCoreMetadata(`Metadata-Version: ${v}\nName: a\nVersion: 1.0\n`).metadataVersion).toBe(v);
  });

  it("handles CRLF, header case, continuation lines and a body", () => {
    const text =
      "metadata-version: 2.1\r\nNAME: x\r\nversion: 1\r\nSummary: first\r\n  second\r\nRequires-Dist: a>=1;\r\n  python_version>'3'\r\n\r\nbody";
    const meta = parseCoreMetadata(text);
    expect(meta.summary).toBe("first\nsecond");
    expect(meta.requiresDist.map(formatRequirement)).toEqual(['a>=1; python_version > "3"']);
    expect(parseHeaders(text).body).toBe("body");
  });

  it("selects dependencies for an environment and extras", () => {
    const meta = parseCoreMetadata(METADATA_24);
    const names = (extras: string[]) => dependenciesFor(meta, env, extras).map((r) => r.name);
    expect(names([])).toEqual(["charset-normalizer", "idna"]);
    expect(names(["SOCKS"])).toEqual(["charset-normalizer", "idna", "PySocks"]);
    expect(names(["socks", "use-chardet-on-py3"])).toEqual(["charset-normalizer", "idna", "PySocks", "chardet"]);
    expect(dependenciesFor(meta, { ...env, python_version: "3.10", sys_platform: "win32" }, []).map((r) => r.name)).toEqual([
      "charset-normalizer",
      "idna",
      "tomli",
      "colorama",
    ]);
  });

  it.each([
    ["Name: a\nVersion: 1\n", "Metadata-Version: missing"],
    ["Metadata-Version: 3.0\nName: a\nVersion: 1\n", "Metadata-Version"],
    ["Metadata-Version: two\nName: a\nVersion: 1\n", "Metadata-Version"],
    ["Metadata-Version: 2.1\nVersion: 1\n", "Name: missing"],
    ["Metadata-Version: 2.1\nName: -bad-\nVersion: 1\n", 'Name: "-bad-"'],
    ["Metadata-Version: 2.1\nName: a\n", "Version: missing"],
    ["Metadata-Version: 2.1\nName: a\nVersion: one\n", 'Version: "one"'],
    ["Metadata-Version: 2.1\nName: a\nName: b\nVersion: 1\n", "Name: appears 2 times"],
    ["Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b >= 1 c\n", 'Requires-Dist: "b >= 1 c"'],
    ["Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Python: >=3.x\n", "Requires-Python"],
    ["Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Version\n", "Dynamic"],
  ])("rejects malformed metadata %#, naming source and field", (text, fragment) => {
    expect(() => parseCoreMetadata(text, "pkg/METADATA")).toThrow(
      expect.objectContaining({
        code: "INVALID_METADATA",
        message: expect.stringMatching(new RegExp(`pkg/METADATA: ${fragment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`)),
      }),
    );
  });
});
