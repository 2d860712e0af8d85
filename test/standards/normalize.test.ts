// PEP 503 project-name normalization and validity.

import { describe, expect, it } from "vitest";
import { assertProjectName, canonicalizeName, isValidProjectName } from "../../src/standards/normalize.js";

describe("PEP 503 name normalization", () => {
  // The spec's own example: all of these normalize to "friendly-bard".
  it.each(["friendly-bard", "Friendly-Bard", "FRIENDLY-BARD", "friendly.bard", "friendly_bard", "friendly--bard", "FrIeNdLy-._.-bArD"])(
    "%s -> friendly-bard",
    (name) => expect(canonicalizeName(name)).toBe("friendly-bard"),
  );

  it.each([
    ["Django", "django"],
    ["zope.interface", "zope-interface"],
    ["typing_extensions", "typing-extensions"],
    ["A__B..C--D", "a-b-c-d"],
  ])("%s -> %s", (name, expected) => expect(canonicalizeName(name)).toBe(expected));

  it.each(["a", "A1", "1a", "zope.interface", "a-b_c.d", "X"])("accepts %j", (name) => {
    expect(isValidProjectName(name)).toBe(true);
    expect(assertProjectName(name)).toBe(name);
  });

  it.each(["", "-a", "a-", ".a", "a_", "a b", "é", "a/b", "a+b"])("rejects %j with INVALID_NAME quoting it", (name) => {
    expect(isValidProjectName(name)).toBe(false);
    expect(() => assertProjectName(name)).toThrow(
      expect.objectContaining({ code: "INVALID_NAME", message: expect.stringContaining(JSON.stringify(name)) }),
    );
  });
});
