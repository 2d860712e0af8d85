// The closure artifact's bytes (deterministic whatever the input order) and the checks a reader makes on
// what a registry hands back.

import { describe, expect, it } from "vitest";
import { buildClosureArtifact, type ClosureWheel, parseClosureConfig, parseClosureManifest } from "../../src/oci/closure-artifact.js";
import { thrown } from "../standards/thrown.js";

const wheel = (name: string, hex: string): ClosureWheel => ({
  filename: `${name}-1.0-py3-none-any.whl`,
  sha256: hex.repeat(64 / hex.length),
  size: 100,
  name,
  version: "1.0",
  tags: ["py3-none-any"],
  dependencies: [],
});

const A = wheel("alpha", "a");
const B = wheel("beta", "b");

describe("buildClosureArtifact", () => {
  it("gives the same bytes for the same wheels in any order, duplicates dropped", () => {
    const one = buildClosureArtifact([A, B], { lockSha256: "c".repeat(64) });
    const two = buildClosureArtifact([B, A, B], { lockSha256: "c".repeat(64) });
    expect(Buffer.compare(one.manifest.bytes, two.manifest.bytes)).toBe(0);
    expect(one.manifest.digest).toBe(two.manifest.digest);
    expect(one.layers.map((l) => l.filename)).toEqual([A.filename, B.filename]);
    expect(buildClosureArtifact([A, B]).manifest.digest).not.toBe(one.manifest.digest);
  });

  it("refuses an empty closure", () => {
    expect(thrown(() => buildClosureArtifact([])).code).toBe("USAGE");
  });

  it("round-trips through the reader", () => {
    const artifact = buildClosureArtifact([A, B], { lockSha256: "c".repeat(64) });
    const parsed = parseClosureManifest(artifact.manifest.bytes, "ref");
    expect(parsed.lockSha256).toBe("c".repeat(64));
    expect(parsed.config).toEqual({ digest: artifact.config.digest, size: artifact.config.size });
    expect(parseClosureConfig(artifact.config.bytes, "ref", parsed.layers).wheels).toEqual([A, B]);
  });
});

interface Doc {
  mediaType?: string;
  artifactType?: string;
  config: { mediaType: string };
  layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
  annotations: Record<string, string>;
}

describe("what a reader refuses", () => {
  const good = () => JSON.parse(buildClosureArtifact([A, B]).manifest.bytes.toString()) as Doc;
  const refuse = (doc: unknown) => thrown(() => parseClosureManifest(Buffer.from(JSON.stringify(doc)), "oci://r/x:t"));

  it.each([
    [
      "a container image config",
      (m: Doc) => (m.config.mediaType = "application/vnd.oci.image.config.v1+json"),
      /not application\/vnd.pystore.closure.config/,
    ],
    ["another artifact type", (m: Doc) => (m.artifactType = "application/vnd.example"), /not a pystore closure/],
    ["an index", (m: Doc) => (m.mediaType = "application/vnd.oci.image.index.v1+json"), /not an OCI image manifest/],
    ["a layer that is not a wheel", (m: Doc) => (m.layers[0].mediaType = "application/octet-stream"), /not a wheel/],
    [
      "a title with a path",
      (m: Doc) => (m.layers[0].annotations["org.opencontainers.image.title"] = "../alpha-1.0-py3-none-any.whl"),
      /no wheel file name/,
    ],
    ["a repeated layer", (m: Doc) => m.layers.push(m.layers[0]), /repeats/],
    ["no layers", (m: Doc) => (m.layers = []), /no layers/],
    ["a bad digest", (m: Doc) => (m.layers[0].digest = "sha512:00"), /no sha256 digest/],
  ])("%s", (_what, edit, message) => {
    const m = good();
    edit(m);
    const error = refuse(m);
    expect(error.code).toBe("INVALID_ARTIFACT");
    expect(error.message).toMatch(message);
  });

  it("an unknown version is a store format error", () => {
    const m = good();
    m.annotations["dev.pystore.closure.version"] = "2";
    expect(refuse(m).code).toBe("STORE_FORMAT");
  });

  it("a config that disagrees with the layers", () => {
    const artifact = buildClosureArtifact([A, B]);
    const { layers } = parseClosureManifest(artifact.manifest.bytes, "r");
    const config = JSON.parse(artifact.config.bytes.toString());
    config.wheels[1].filename = "gamma-1.0-py3-none-any.whl";
    expect(thrown(() => parseClosureConfig(Buffer.from(JSON.stringify(config)), "r", layers)).message).toMatch(/does not match any layer/);
    config.wheels.pop();
    expect(thrown(() => parseClosureConfig(Buffer.from(JSON.stringify(config)), "r", layers)).message).toMatch(/lists 1 wheel/);
  });
});
