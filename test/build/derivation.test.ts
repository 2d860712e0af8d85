// The build key: the same inputs in any order give the same key; any input that can change the wheel
// changes it.

import { describe, expect, it } from "vitest";
import { buildKey, makeDerivation } from "../../src/build/derivation.js";

const base = {
  sdist: { filename: "cadd-1.0.tar.gz", sha256: "A".repeat(64) },
  buildRequires: [
    { filename: "wheel-0.38.4-py3-none-any.whl", sha256: "b".repeat(64) },
    { filename: "setuptools-66.1.1-py3-none-any.whl", sha256: "c".repeat(64) },
  ],
  interpreter: { implementation: "cpython", version: "3.11.2", platform: "linux-x86_64", soabi: "cpython-311-x86_64-linux-gnu" },
  network: false,
};

describe("buildKey", () => {
  it("ignores the order of build requirements and the case of digests", () => {
    const reordered = { ...base, buildRequires: [...base.buildRequires].reverse(), sdist: { ...base.sdist, sha256: "a".repeat(64) } };
    expect(buildKey(makeDerivation(reordered))).toBe(buildKey(makeDerivation(base)));
    expect(buildKey(makeDerivation(base))).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ["the sdist", { sdist: { ...base.sdist, sha256: "d".repeat(64) } }],
    ["a build requirement", { buildRequires: [base.buildRequires[0]] }],
    ["the interpreter's version", { interpreter: { ...base.interpreter, version: "3.11.7" } }],
    ["the network flag", { network: true }],
  ])("changes with %s", (_label, change) => {
    expect(buildKey(makeDerivation({ ...base, ...change }))).not.toBe(buildKey(makeDerivation(base)));
  });
});
