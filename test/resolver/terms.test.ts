// Resolver bugs surface as PystoreError INTERNAL (exit 70, "this is a bug"), never as a bare Error.

import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { makeUniverse, versionBit } from "../../src/resolver/terms.js";

describe("versionBit", () => {
  it("gives each known version its own bit", () => {
    const u = makeUniverse("a", "a", ["1.0", "2.0"]);
    expect(versionBit(u, "1.0")).toBe(2n);
    expect(versionBit(u, "2.0")).toBe(4n);
  });

  it("reports an unknown version as an INTERNAL PystoreError", () => {
    const u = makeUniverse("a", "a[x]", ["1.0"]);
    let thrown: unknown;
    try {
      versionBit(u, "3.0");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PystoreError);
    expect(thrown).toMatchObject({ code: "INTERNAL", message: "internal: a[x] has no version 3.0" });
  });
});
