// Resolver scenarios on generated in-memory indexes: the PubGrub core, per-target filtering and
// the explanations people read when nothing fits.

import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { directFile, resolve, type ResolveOptions } from "../../src/resolver/resolve.js";
import { parseRequirement } from "../../src/standards/pep508.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { memoryLogger } from "../../src/util/log.js";
import { memoryProvider, type MemIndex } from "./memory-index.js";

const linux = resolveTarget("manylinux_x86_64", "3.11");
const windows = resolveTarget("win_amd64", "3.11");

async function run(index: MemIndex, reqs: string[], opts: Partial<ResolveOptions> = {}) {
  const provider = memoryProvider(index);
  const resolution = await resolve(provider, { target: linux, rootName: "app", requirements: reqs.map(parseRequirement), ...opts });
  return { pins: Object.fromEntries(resolution.packages.map((p) => [p.name, p.version])), resolution, provider };
}

async function failure(index: MemIndex, reqs: string[], opts: Partial<ResolveOptions> = {}): Promise<PystoreError> {
  try {
    await run(index, reqs, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(PystoreError);
    return error as PystoreError;
  }
  throw new Error("expected resolution to fail");
}

describe("basic graphs", () => {
  it("resolves a diamond to the version both sides accept", async () => {
    const { pins, resolution } = await run(
      {
        a: { "1.0": { deps: ["c>=1.0"] } },
        b: { "1.0": { deps: ["c<2"] } },
        c: { "0.9": {}, "1.0": {}, "1.5": {}, "2.0": {} },
      },
      ["a", "b"],
    );
    expect(pins).toEqual({ a: "1.0", b: "1.0", c: "1.5" });
    expect(resolution.packages.find((p) => p.name === "a")?.dependencies).toEqual(["c"]);
  });

  it("backtracks through several versions to find a consistent set", async () => {
    const index: MemIndex = { a: {}, b: {}, c: { "1.0": {} } };
    for (let n = 1; n <= 6; n++) {
      // Every newer a needs a b whose own dependency does not exist.
      index.a[`${n}.0`] = n === 1 ? { deps: ["b==1.0"] } : { deps: [`b==${n}.0`] };
      index.b[`${n}.0`] = n === 1 ? { deps: ["c"] } : { deps: ["c>=9"] };
    }
    const { pins, provider } = await run(index, ["a"]);
    expect(pins).toEqual({ a: "1.0", b: "1.0", c: "1.0" });
    // Conflict learning keeps this from trying every combination.
    expect(provider.metadataCalls.length).toBeLessThan(20);
  });

  it("handles dependency cycles", async () => {
    const { pins } = await run({ a: { "1.0": { deps: ["b"] } }, b: { "1.0": { deps: ["a"] } } }, ["a"]);
    expect(pins).toEqual({ a: "1.0", b: "1.0" });
  });

  it("normalizes names and ignores the project's own name", async () => {
    const { pins } = await run({ "Foo.Bar": { "1.0": {} } }, ["foo_bar", "app[extra]"]);
    expect(pins).toEqual({ "foo-bar": "1.0" });
  });

  it("applies constraints only to packages that are needed", async () => {
    const { pins } = await run({ a: { "1.0": { deps: ["b"] } }, b: { "1.0": {}, "2.0": {} }, unused: { "1.0": {} } }, ["a"], {
      constraints: [parseRequirement("b<2"), parseRequirement("unused==1.0")],
    });
    expect(pins).toEqual({ a: "1.0", b: "1.0" });
  });
});

describe("explanations", () => {
  const conflict: MemIndex = {
    a: { "1.0": {}, "2.0": { deps: ["b<1"] }, "2.1": { deps: ["b<1"] } },
    b: { "0.5": {}, "1.0": {}, "1.1": {} },
  };

  it("explains the conflict chain in words", async () => {
    const error = await failure(conflict, ["a>=2", "b>=1"]);
    expect(error.code).toBe("NO_SOLUTION");
    expect(error.message).toContain("manylinux_2_28_x86_64-cp311");
    expect(error.message).toContain("app depends on a>=2");
    expect(error.message).toContain("app depends on b>=1");
    expect(error.message).toContain("every a>=2.0 depends on b<1");
    expect(error.message.trimEnd().endsWith("so no solution")).toBe(true);
    const lines = error.details?.explanation as string[];
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(new Set(lines).size).toBe(lines.length);
  });

  it("says when no version matches at all", async () => {
    const error = await failure({ a: { "1.0": {}, "1.1": {} } }, ["a>=5"]);
    expect(error.code).toBe("NO_SOLUTION");
    expect(error.message).toContain("app depends on a>=5");
    expect(error.message).toContain("no version of a matches");
    expect(error.message.trimEnd().endsWith("so no solution")).toBe(true);
    expect(error.message).toContain("1.0, 1.1");
  });

  it("reports a dependency no source has as PACKAGE_NOT_FOUND, with the source's words and the chain", async () => {
    const error = await failure({ a: { "1.0": { deps: ["ghost>=1"] } } }, ["a"]);
    expect(error.code).toBe("PACKAGE_NOT_FOUND");
    expect(error.exitCode).toBe(4);
    expect(error.message.split("\n")[0]).toBe("ghost not found");
    expect(error.message).toContain("a 1.0 depends on ghost>=1");
    expect(error.message).toContain("no source has any");
    expect(error.details).toMatchObject({ package: "ghost", missing: ["ghost"], target: linux.id });
  });

  it("names the first missing project by name when several are missing", async () => {
    const error = await failure({}, ["zeta", "Alpha_Missing"]);
    expect(error.code).toBe("PACKAGE_NOT_FOUND");
    expect(error.details?.package).toBe("alpha-missing");
  });

  it("does not blame a missing project the solution never needed", async () => {
    const { pins } = await run({ a: { "1.0": {}, "2.0": { deps: ["ghost"] } } }, ["a"]);
    expect(pins).toEqual({ a: "1.0" });
  });
});

describe("targets and markers", () => {
  const index: MemIndex = {
    a: { "1.0": { deps: ['winonly; sys_platform == "win32"', 'linuxonly>=1; sys_platform == "linux"'] } },
    winonly: { "1.0": { tags: ["cp311-cp311-win_amd64"] } },
    linuxonly: { "1.0": { tags: ["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"] } },
  };

  it("evaluates markers per target", async () => {
    expect((await run(index, ["a"], { target: linux })).pins).toEqual({ a: "1.0", linuxonly: "1.0" });
    expect((await run(index, ["a"], { target: windows })).pins).toEqual({ a: "1.0", winonly: "1.0" });
  });

  it("picks the best wheel for the target first", async () => {
    const { resolution } = await run(
      { n: { "1.0": { tags: ["py3-none-any", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp311-cp311-win_amd64"] } } },
      ["n"],
    );
    expect(resolution.packages[0].wheels.map((w) => w.filename)).toEqual([
      "n-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "n-1.0-py3-none-any.whl",
    ]);
  });

  it("falls back to an older version that has a wheel for the target", async () => {
    const { pins } = await run({ n: { "1.0": {}, "2.0": { tags: ["cp311-cp311-win_amd64"] } } }, ["n"]);
    expect(pins).toEqual({ n: "1.0" });
  });

  it("reports NO_MATCHING_WHEEL naming the package, the target and the wheels that exist", async () => {
    const error = await failure({ n: { "2.0": { tags: ["cp311-cp311-win_amd64", "cp311-cp311-macosx_11_0_arm64"] } } }, ["n"]);
    expect(error.code).toBe("NO_MATCHING_WHEEL");
    expect(error.message).toContain("no wheel of n");
    expect(error.message).toContain(linux.id);
    expect(error.message).toContain("n-2.0-cp311-cp311-win_amd64.whl");
    expect(error.message).toContain("does not build sdists");
  });

  it("reports sdist-only packages as NO_MATCHING_WHEEL", async () => {
    const error = await failure({ s: { "1.0": { sdistOnly: true } } }, ["s"]);
    expect(error.code).toBe("NO_MATCHING_WHEEL");
    expect(error.message).toContain("only sdists");
  });
});

describe("extras", () => {
  it("includes an extra's dependencies, following self-referencing extras", async () => {
    const index: MemIndex = {
      a: { "1.0": { extras: ["x", "y"], deps: ['a[y]; extra == "x"', 'c; extra == "y"', 'd; extra == "z"'] } },
      c: { "1.0": {} },
      d: { "1.0": {} },
    };
    const { pins, resolution } = await run(index, ["a[x]"]);
    expect(pins).toEqual({ a: "1.0", c: "1.0" });
    expect(resolution.packages.find((p) => p.name === "a")?.dependencies).toEqual(["c"]);
    expect((await run(index, ["a"])).pins).toEqual({ a: "1.0" });
  });

  it("keeps the extra's package at the same version as the base", async () => {
    const index: MemIndex = {
      a: { "1.0": { extras: ["x"], deps: ['c; extra == "x"'] }, "2.0": { extras: ["x"], deps: ['c>=2; extra == "x"'] } },
      c: { "1.0": {} },
    };
    const { pins } = await run(index, ["a[x]"]);
    expect(pins).toEqual({ a: "1.0", c: "1.0" });
  });
});

describe("filters", () => {
  it("drops files whose requires-python excludes the target", async () => {
    const { pins } = await run({ b: { "1.0": {}, "2.0": { fileRequiresPython: ">=3.12" } } }, ["b"]);
    expect(pins).toEqual({ b: "1.0" });
  });

  it("drops versions whose METADATA requires-python excludes the target", async () => {
    const { pins } = await run({ b: { "1.0": {}, "2.0": { requiresPython: ">=3.12", fileRequiresPython: "" } } }, ["b"]);
    expect(pins).toEqual({ b: "1.0" });
  });

  it("explains a requires-python exclusion", async () => {
    const error = await failure({ b: { "2.0": { fileRequiresPython: ">=3.12" } } }, ["b"]);
    expect(error.message).toContain("requires Python >=3.12");
  });

  it("skips yanked versions unless pinned with ==, warning with the reason", async () => {
    const index: MemIndex = { b: { "1.0": {}, "2.0": { yanked: "broken build" } } };
    expect((await run(index, ["b"])).pins).toEqual({ b: "1.0" });
    expect((await run(index, ["b>=1.5"]).catch((e: PystoreError) => e)) as PystoreError).toMatchObject({ code: "NO_SOLUTION" });
    const log = memoryLogger();
    expect((await run(index, ["b==2.0"], { log })).pins).toEqual({ b: "2.0" });
    expect(log.lines.some((l) => l.startsWith("warn:") && l.includes("broken build"))).toBe(true);
  });

  it("uses pre-releases only when allowed, named, or the only option", async () => {
    const index: MemIndex = { b: { "1.0": {}, "2.0b1": {} }, p: { "0.1a1": {}, "0.1a2": {} } };
    expect((await run(index, ["b"])).pins).toEqual({ b: "1.0" });
    expect((await run(index, ["b"], { prerelease: "allow" })).pins).toEqual({ b: "2.0b1" });
    expect((await run(index, ["b>=2.0b1"])).pins).toEqual({ b: "2.0b1" });
    expect((await run(index, ["p"])).pins).toEqual({ p: "0.1a2" });
    expect((await run(index, ["p"], { prerelease: "disallow" }).catch((e: PystoreError) => e)) as PystoreError).toMatchObject({
      code: "NO_SOLUTION",
    });
  });

  it("skips a version whose METADATA does not parse, with a warning", async () => {
    const log = memoryLogger();
    const { pins } = await run({ b: { "1.0": {}, "2.0": { brokenMetadata: true } } }, ["b"], { log });
    expect(pins).toEqual({ b: "1.0" });
    expect(log.lines.some((l) => l.startsWith("warn: skipping b 2.0"))).toBe(true);
  });

  it("ignores files uploaded after --exclude-newer", async () => {
    const index: MemIndex = {
      b: { "1.0": { uploadTime: "2024-01-01T00:00:00Z" }, "2.0": { uploadTime: "2024-06-01T00:00:00Z" } },
    };
    expect((await run(index, ["b"], { excludeNewer: "2024-03-01T00:00:00Z" })).pins).toEqual({ b: "1.0" });
    expect((await run(index, ["b"])).pins).toEqual({ b: "2.0" });
  });
});

describe("direct URL requirements", () => {
  it("resolve to the one wheel the URL names, with the fragment's hash", async () => {
    const req = parseRequirement(`b @ https://files.test/b-1.5-py3-none-any.whl#sha256=${"AB".repeat(32)}`);
    const file = directFile(req);
    expect(file).toEqual({
      filename: "b-1.5-py3-none-any.whl",
      url: "https://files.test/b-1.5-py3-none-any.whl",
      hashes: { sha256: "ab".repeat(32) },
      index: "",
    });
    const { pins, resolution, provider } = await run({ b: { "1.0": {}, "1.5": {}, "2.0": {} } }, [], {
      requirements: [req],
      directFiles: new Map([["b", file]]),
    });
    expect(pins).toEqual({ b: "1.5" });
    expect(resolution.packages[0].wheels).toEqual([file]);
    expect(provider.pageCalls).toEqual([]);
  });

  it("refuses sdist URLs and mismatched names", () => {
    expect(() => directFile(parseRequirement("b @ https://files.test/b-1.0.tar.gz"))).toThrow(/not a wheel/);
    expect(() => directFile(parseRequirement("b @ https://files.test/c-1.0-py3-none-any.whl"))).toThrow(/not b/);
  });
});

describe("preferences", () => {
  const index: MemIndex = { a: { "1.0": { deps: ["b"] }, "2.0": { deps: ["b"] } }, b: { "1.0": {}, "2.0": {} } };

  it("keeps versions from the existing lock when they still fit", async () => {
    const preferences = new Map([
      ["a", "1.0"],
      ["b", "1.0"],
    ]);
    expect((await run(index, ["a"], { preferences })).pins).toEqual({ a: "1.0", b: "1.0" });
  });

  it("moves on when a preferred version no longer fits", async () => {
    const preferences = new Map([
      ["a", "1.0"],
      ["b", "1.0"],
    ]);
    expect((await run(index, ["a", "b>=2"], { preferences })).pins).toEqual({ a: "1.0", b: "2.0" });
  });

  it("takes the newest without preferences", async () => {
    expect((await run(index, ["a"])).pins).toEqual({ a: "2.0", b: "2.0" });
  });
});
