// store-format/oci-artifacts.md checked against the code: its media types and annotations are the code's
// constants, and its example config and manifest are exactly what buildClosureArtifact writes for them.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OCI_CLOSURE_ARTIFACT_VERSION } from "../../src/format-versions.js";
import { buildClosureArtifact, type ClosureWheel, defaultClosureTag } from "../../src/oci/closure-artifact.js";
import * as media from "../../src/oci/media-types.js";

const SPEC = readFileSync(join(import.meta.dirname, "..", "..", "store-format", "oci-artifacts.md"), "utf8");

function section(title: string): string {
  const start = SPEC.indexOf(`\n## ${title}\n`);
  expect(start, `oci-artifacts.md has a "## ${title}" section`).toBeGreaterThan(0);
  const end = SPEC.indexOf("\n## ", start + 4);
  return SPEC.slice(start, end < 0 ? undefined : end);
}

const jsonBlock = (text: string) => JSON.parse(/```json\n([\s\S]*?)```/.exec(text)![1]) as Record<string, unknown>;

describe("store-format/oci-artifacts.md", () => {
  it("names exactly the media types and annotations the code writes", () => {
    const table = section("Media types and annotations");
    const values = [...table.matchAll(/^\| [^|]+ \| `([^`]+)` \|$/gm)].map((m) => m[1]).sort();
    expect(values).toEqual(
      [media.OCI_MANIFEST, media.CLOSURE_ARTIFACT_TYPE, media.CLOSURE_CONFIG_MEDIA_TYPE, media.WHEEL_LAYER_MEDIA_TYPE].sort(),
    );
    const annotations = [...table.matchAll(/^\| `([^`]+)` \| (?:each layer|the manifest) \|/gm)].map((m) => m[1]).sort();
    expect(annotations).toEqual([media.TITLE_ANNOTATION, media.CLOSURE_VERSION_ANNOTATION, media.LOCK_SHA256_ANNOTATION].sort());
  });

  it("shows the config and manifest buildClosureArtifact writes for its example, with the stated size and digest", () => {
    const config = jsonBlock(section("The config blob"));
    expect(config.version).toBe(OCI_CLOSURE_ARTIFACT_VERSION);
    const artifact = buildClosureArtifact(config.wheels as ClosureWheel[], { lockSha256: config.lockSha256 as string });
    expect(JSON.parse(artifact.config.bytes.toString("utf8"))).toEqual(config);
    const manifestSection = section("The manifest");
    expect(JSON.parse(artifact.manifest.bytes.toString("utf8"))).toEqual(jsonBlock(manifestSection));
    expect(manifestSection).toContain(`(${artifact.config.size} bytes,`);
    expect(manifestSection).toContain(`\`${artifact.manifest.digest}\``);
    // The bytes section's promise: compact, sorted, no trailing newline.
    expect(artifact.manifest.bytes.toString("utf8")).toBe(JSON.stringify(JSON.parse(artifact.manifest.bytes.toString("utf8"))));
    expect(artifact.manifest.bytes.toString("utf8").startsWith('{"annotations":')).toBe(true);
  });

  it("documents the default tags the code chooses", () => {
    const tags = section("Tags");
    const lock = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    expect(defaultClosureTag({ lockSha256: lock, configDigest: "sha256:x" })).toBe(`lock-${lock}`);
    expect(defaultClosureTag({ lockSha256: lock, target: "manylinux_x86_64-cp311", configDigest: "sha256:x" })).toBe(
      `lock-${lock}-manylinux_x86_64-cp311`,
    );
    expect(defaultClosureTag({ configDigest: `sha256:${"ab".repeat(32)}` })).toBe(`closure-${"ab".repeat(32)}`);
    expect(tags).toContain("`lock-<sha256 hex of the lock file's bytes>`");
    expect(tags).toContain("`lock-<sha256>-<target id>`");
    expect(tags).toContain("`closure-<sha256 hex of the config blob>`");
  });

  it("leaves bundle images to their own spec, in one line", () => {
    const lines = section("Bundle images").trim().split("\n").filter(Boolean);
    expect(lines).toEqual(["## Bundle images", "Bundle images (a bundle as a runnable OCI image) are specified separately."]);
    expect(SPEC).not.toMatch(/\bTODO\b|\bTBD\b/);
  });
});
