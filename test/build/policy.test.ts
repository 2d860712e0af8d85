// When an sdist stands in for a version: the build policy (--no-build, --no-build-package,
// --no-binary-package) as the candidate table applies it. A wheel always wins when both fit.

import { describe, expect, it } from "vitest";
import { buildPolicy, DEFAULT_BUILD_SETTINGS } from "../../src/build/policy.js";
import { versionTable } from "../../src/resolver/candidates.js";
import { buildSystemOf, LEGACY_BUILD_SYSTEM } from "../../src/build/source-tree.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { resolveTarget } from "../../src/standards/targets.js";

const target = resolveTarget("manylinux_x86_64", "3.11");
const file = (filename: string): ProjectFile => ({
  filename,
  url: `https://example.org/${filename}`,
  hashes: { sha256: "0".repeat(64) },
  index: "",
});
const FILES = [
  file("pkg-1.0.tar.gz"),
  file("pkg-1.0.zip"),
  file("pkg-1.0-cp311-cp311-win_amd64.whl"),
  file("pkg-2.0.tar.gz"),
  file("pkg-2.0-py3-none-any.whl"),
];

function table(sdists: "no" | "fallback" | "only") {
  return versionTable(FILES, { target, prerelease: "allow", explicitPrerelease: false, pinned: () => false, sdists });
}

describe("sdists as candidates", () => {
  it("builds only where no wheel fits, preferring the PEP 625 .tar.gz", () => {
    const t = table("fallback");
    expect(t.usable.get("1.0")?.sdist?.filename).toBe("pkg-1.0.tar.gz");
    expect(t.usable.get("1.0")?.wheels).toEqual([]);
    expect(t.usable.get("2.0")?.sdist).toBeUndefined();
    expect(t.usable.get("2.0")?.wheels.map((w) => w.filename)).toEqual(["pkg-2.0-py3-none-any.whl"]);
  });

  it("never builds with no (the NO_MATCHING_WHEEL reason names the sdists)", () => {
    const t = table("no");
    expect(t.usable.has("1.0")).toBe(false);
    expect(t.unavailable[0].reason).toContain("has no wheel for target");
  });

  it("builds even where a wheel fits with only (--no-binary-package)", () => {
    expect(table("only").usable.get("2.0")?.sdist?.filename).toBe("pkg-2.0.tar.gz");
  });

  it("maps the flags per project, canonical names", () => {
    const policy = buildPolicy({ ...DEFAULT_BUILD_SETTINGS, noBuildPackages: ["No_Build"], noBinaryPackages: ["From.Source"] });
    expect(policy.sdists("no-build")).toBe("no");
    expect(policy.sdists("from-source")).toBe("only");
    expect(policy.sdists("other")).toBe("fallback");
    expect(buildPolicy({ ...DEFAULT_BUILD_SETTINGS, noBuild: true }).sdists("from-source")).toBe("no");
  });
});

describe("buildSystemOf", () => {
  it("uses setuptools' legacy default without pyproject.toml or [build-system]", () => {
    for (const text of [undefined, "[project]\nname = 'x'\n"]) {
      const bs = buildSystemOf(text, "x-1.0.tar.gz");
      expect(bs.backend).toBe(LEGACY_BUILD_SYSTEM.backend);
      expect(bs.requires.map((r) => r.name)).toEqual(["setuptools"]);
    }
  });

  it("refuses a backend-path leaving the source tree", () => {
    expect(() =>
      buildSystemOf('[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["../elsewhere"]\n', "x-1.0.tar.gz"),
    ).toThrow(/leaves the source tree/);
  });
});
