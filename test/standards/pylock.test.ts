// PEP 751 pylock.toml: the spec's own example round-tripped through our writer, validation errors
// with dotted paths, and deterministic output.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { parsePylock, writePylock, type Pylock } from "../../src/standards/pylock.js";

const GOLDEN = join(import.meta.dirname, "..", "golden", "lock");
const SHA = "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a";

function invalid(text: string): PystoreError {
  try {
    parsePylock(text, "test.toml");
  } catch (error) {
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("INVALID_LOCK");
    return error as PystoreError;
  }
  throw new Error("expected INVALID_LOCK");
}

const base = `lock-version = "1.0"\ncreated-by = "t"\n`;
const wheelPkg = (name: string, version: string, extra = "") =>
  `\n[[packages]]\nname = "${name}"\nversion = "${version}"\n${extra}\n[[packages.wheels]]\nname = "${name}-${version}-py3-none-any.whl"\nurl = "https://x/${name}-${version}-py3-none-any.whl"\nhashes = {sha256 = "${SHA}"}\n`;

describe("PEP 751 example", () => {
  const source = readFileSync(join(GOLDEN, "pep751-example.toml"), "utf8");
  const lock = parsePylock(source, "pep751-example.toml");

  it("reads every field of the spec's example", () => {
    expect(lock.lockVersion).toBe("1.0");
    expect(lock.environments).toEqual(["sys_platform == 'win32'", "sys_platform == 'linux'"]);
    expect(lock.requiresPython).toBe("== 3.12.*");
    expect(lock.createdBy).toBe("mousebender");
    expect(lock.packages.map((p) => p.name)).toEqual(["attrs", "cattrs", "numpy"]);
    expect(lock.packages[1].dependencies).toEqual([{ name: "attrs" }]);
    expect(lock.packages[2].wheels?.map((w) => w.size)).toEqual([12626357, 16116679]);
    // Microseconds survive (a plain JS Date would keep milliseconds only).
    expect(lock.packages[0].wheels?.[0].uploadTime).toBe("2025-01-25T11:30:10.164985+00:00");
    expect(lock.packages[0].attestationIdentities?.[0]).toMatchObject({ kind: "GitHub", repository: "python-attrs/attrs" });
  });

  it("writes it back to the golden text, which reads back to the same lock", () => {
    const written = writePylock(lock);
    const goldenPath = join(GOLDEN, "pep751-example.written.toml");
    if (process.env.PYSTORE_UPDATE_GOLDEN === "1") writeFileSync(goldenPath, written);
    expect(written).toBe(readFileSync(goldenPath, "utf8"));
    expect(parsePylock(written)).toEqual(lock);
    expect(writePylock(parsePylock(written))).toBe(written);
  });

  it("keeps inline hash tables and unquoted datetimes", () => {
    const written = writePylock(lock);
    expect(written).toContain(`    hashes = {sha256 = "${SHA}"}\n`);
    expect(written).toContain("    upload-time = 2025-01-25T11:30:10.164985+00:00\n");
    expect(written).toContain("run-on = 2025-03-06T12:28:57.760769\n");
  });
});

describe("validation", () => {
  it("refuses an unknown major lock-version", () => {
    expect(invalid(`lock-version = "2.0"\ncreated-by = "t"\npackages = []\n`).message).toContain("lock-version");
  });

  it("reads a newer minor lock-version", () => {
    expect(parsePylock(`lock-version = "1.7"\ncreated-by = "t"\npackages = []\n`).lockVersion).toBe("1.7");
  });

  it("requires created-by and packages", () => {
    expect(invalid(`lock-version = "1.0"\npackages = []\n`).message).toContain("created-by: is required");
    expect(invalid(base).message).toContain("packages: is required");
  });

  it("names the dotted path of a wheel without hashes", () => {
    const text =
      base +
      wheelPkg("a", "1.0") +
      `\n[[packages]]\nname = "b"\nversion = "1.0"\n\n[[packages.wheels]]\nname = "b-1.0-py3-none-any.whl"\nurl = "https://x/b"\n`;
    const error = invalid(text);
    expect(error.message).toContain("packages[1].wheels[0].hashes");
    expect(error.details).toEqual({ path: "packages[1].wheels[0].hashes" });
  });

  it("refuses duplicate (name, version) entries, also when spelled differently", () => {
    const error = invalid(base + wheelPkg("Foo_Bar", "1.0") + wheelPkg("foo-bar", "1.0"));
    expect(error.message).toContain("packages[1]");
    expect(error.message).toContain("duplicate");
  });

  it("accepts the same name at different versions (one entry per target marker)", () => {
    const lock = parsePylock(
      base + wheelPkg("a", "1.0", `marker = 'sys_platform == "linux"'\n`) + wheelPkg("a", "2.0", `marker = 'sys_platform == "win32"'\n`),
    );
    expect(lock.packages.map((p) => p.version)).toEqual(["1.0", "2.0"]);
  });

  it("refuses a package with both a directory and wheels", () => {
    const text = `${base + wheelPkg("a", "1.0")}\n[packages.directory]\npath = "src"\n`;
    expect(invalid(text).message).toContain("packages[0]: has directory and wheels");
  });

  it("refuses paths outside the project", () => {
    const dir = (p: string) => `${base}\n[[packages]]\nname = "a"\n[packages.directory]\npath = "${p}"\n`;
    expect(invalid(dir("../elsewhere")).message).toContain("packages[0].directory.path");
    expect(invalid(dir("/etc")).message).toContain("absolute");
    expect(invalid(dir("sub/../../x")).message).toContain("outside the project");
    expect(parsePylock(dir("sub/../pkg")).packages[0].directory).toEqual({ path: "sub/../pkg" });
  });

  it("refuses wrongly typed values and bad markers with their path", () => {
    expect(invalid(base + wheelPkg("a", "1.0", "size = 3\n").replace(`url = "https`, `size = "big"\nurl = "https`)).message).toContain(
      "packages[0].wheels[0].size",
    );
    expect(invalid(base + wheelPkg("a", "1.0", `marker = "python_version >>> '3'"\n`)).message).toContain("packages[0].marker");
    expect(invalid(`lock-version = "1.0"\ncreated-by = "t"\nenvironments = ["os_name == "]\npackages = []\n`).message).toContain(
      "environments[0]",
    );
    expect(invalid(base + wheelPkg("a", "1.0").replace(SHA, "xyz")).message).toContain("packages[0].wheels[0].hashes.sha256");
    expect(invalid(base + wheelPkg("a", "1.0", `requires-python = ">>3"\n`)).message).toContain("packages[0].requires-python");
  });

  it("reports TOML syntax errors as INVALID_LOCK naming the file", () => {
    expect(invalid("lock-version = \n").message).toContain("test.toml: not valid TOML");
  });

  it("derives a wheel's name from its url when absent", () => {
    const text =
      base +
      `\n[[packages]]\nname = "a"\nversion = "1.0"\n\n[[packages.wheels]]\nurl = "https://x/y/a-1.0-py3-none-any.whl"\nhashes = {sha256 = "${SHA}"}\n`;
    expect(parsePylock(text).packages[0].wheels?.[0].name).toBe("a-1.0-py3-none-any.whl");
  });
});

describe("writer", () => {
  const lock: Pylock = {
    lockVersion: "1.0",
    environments: ['sys_platform == "linux"'],
    requiresPython: ">=3.9",
    extras: [],
    dependencyGroups: [],
    defaultGroups: [],
    createdBy: "pystore",
    packages: [
      {
        name: "a",
        version: "1.0",
        marker: 'sys_platform == "linux"',
        dependencies: [{ name: "b" }, { name: "c", version: "2.0" }],
        index: "https://example.test/simple/",
        wheels: [
          {
            name: "a-1.0-py3-none-any.whl",
            url: "https://example.test/a.whl",
            size: 10,
            uploadTime: "2024-01-01T00:00:00Z",
            hashes: { sha256: SHA },
          },
        ],
      },
    ],
    tool: {
      pystore: {
        "format-version": 1,
        requirements: ["a>=1", 'quote"d', `both"'`, "tab\there"],
        targets: [{ platform: "linux", python: "3.11" }],
      },
    },
  };

  it("is deterministic and round-trips", () => {
    const text = writePylock(lock);
    expect(writePylock(structuredClone(lock))).toBe(text);
    expect(parsePylock(text)).toEqual(lock);
  });

  it("lays out the spec's order with inline tables", () => {
    const text = writePylock(lock);
    expect(text.indexOf("lock-version")).toBeLessThan(text.indexOf("environments"));
    expect(text.indexOf("requires-python")).toBeLessThan(text.indexOf("created-by"));
    expect(text).toContain('dependencies = [\n    {name = "b"},\n    {name = "c", version = "2.0"},\n]\n');
    expect(text).toContain("[tool.pystore]\nformat-version = 1\n");
    expect(text).toContain('targets = [\n    {platform = "linux", python = "3.11"},\n]\n');
    expect(text).toContain(`'quote"d'`);
    expect(text).toContain(`"both\\"'"`);
    expect(text).toContain(`"tab\\there"`);
    expect(text).not.toContain("\n[tool]\n");
  });
});

describe("a lock with no packages (a project without dependencies)", () => {
  // The spec makes `packages` required but allows it to be empty; `[[packages]]` cannot say "none".
  const empty: Pylock = {
    lockVersion: "1.0",
    requiresPython: ">=3.9",
    extras: [],
    dependencyGroups: [],
    defaultGroups: [],
    createdBy: "pystore",
    packages: [],
  };

  it("writes `packages = []` and round-trips", () => {
    const text = writePylock(empty);
    expect(text).toMatch(/^created-by = "pystore"\npackages = \[\]\n$/m);
    expect(parsePylock(text, "empty.toml")).toEqual(empty);
    expect(writePylock(parsePylock(text))).toBe(text);
  });

  it("keeps `packages = []` in the top-level table when [tool] sections follow", () => {
    const withTool: Pylock = { ...empty, tool: { pystore: { "format-version": 1, requirements: [] } } };
    const text = writePylock(withTool);
    expect(text.indexOf("packages = []")).toBeGreaterThan(0);
    expect(text.indexOf("packages = []")).toBeLessThan(text.indexOf("[tool.pystore]"));
    expect(parsePylock(text)).toEqual(withTool);
  });

  it("still writes `[[packages]]` sections, not an inline array, when there are packages", () => {
    const text = writePylock({
      ...empty,
      packages: [
        { name: "a", version: "1.0", wheels: [{ name: "a-1.0-py3-none-any.whl", url: "https://x/a.whl", hashes: { sha256: SHA } }] },
      ],
    });
    expect(text).not.toContain("packages = [");
    expect(text).toContain("\n[[packages]]\n");
  });
});
