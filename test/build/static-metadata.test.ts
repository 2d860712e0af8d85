// PEP 643: PKG-INFO answers the resolver only from Metadata-Version 2.2 on, and only when the fields the
// resolver reads are not Dynamic; any metadata must name the sdist's project and version.

import { describe, expect, it } from "vitest";
import { isStaticForResolver, readPkgInfo } from "../../src/build/static-metadata.js";
import { parseCoreMetadata } from "../../src/standards/metadata.js";
import { pkgInfo } from "../../fixtures/sdists.js";

const identity = { name: "Demo.Pkg", version: "1.0" };

describe("isStaticForResolver", () => {
  it.each([
    ["2.1", [], false],
    ["2.2", [], true],
    ["2.4", ["Summary"], true],
    ["2.2", ["Requires-Dist"], false],
    ["2.3", ["requires-python"], false],
    ["1.2", [], false],
  ] as [string, string[], boolean][])("Metadata-Version %s with Dynamic %j: %s", (version, dynamic, expected) => {
    const meta = parseCoreMetadata(pkgInfo("demo-pkg", "1.0", { metadataVersion: version, dynamic }));
    expect(isStaticForResolver(meta)).toBe(expected);
  });
});

describe("readPkgInfo", () => {
  it("accepts the sdist's own name in any normal form and the same version", () => {
    const { meta, static: isStatic } = readPkgInfo(
      pkgInfo("demo_pkg", "1.0.0", { metadataVersion: "2.2", requiresDist: ["helper>=1"] }),
      identity,
      "demo_pkg-1.0.tar.gz/PKG-INFO",
    );
    expect(isStatic).toBe(true);
    expect(meta.requiresDist.map((r) => r.name)).toEqual(["helper"]);
  });

  it("refuses a PKG-INFO that lies about the name or the version", () => {
    for (const [name, version] of [
      ["requests", "1.0"],
      ["demo-pkg", "9.9"],
    ]) {
      let code = "";
      try {
        readPkgInfo(pkgInfo(name, version, { metadataVersion: "2.2" }), identity, "demo_pkg-1.0.tar.gz/PKG-INFO");
      } catch (error) {
        code = (error as { code: string }).code;
        expect((error as Error).message).toContain(`says ${name} ${version}, but the sdist is Demo.Pkg 1.0`);
      }
      expect(code).toBe("INVALID_METADATA");
    }
  });
});
