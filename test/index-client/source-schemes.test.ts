// --index-url / --find-links values with a scheme no transport reads are refused as URLs (credentials
// redacted), never mistaken for a relative directory named "ftp:".

import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { sourceFor, type SourceContext } from "../../src/index-client/sources.js";

const ctx = {} as SourceContext;

describe("sourceFor", () => {
  it.each([
    ["ftp://u:pw@host/simple/", "index"],
    ["s3://AKIA:secret@bucket/wheels/", "find-links"],
    ["oci://user:tok@registry.example/pystore", "index"],
  ] as const)("refuses %s without quoting its credentials", (location, kind) => {
    let caught: unknown;
    try {
      sourceFor(location, kind, ctx, "/tmp");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PystoreError);
    const error = caught as PystoreError;
    expect(error.code).toBe("UNSUPPORTED_URL");
    expect(error.message).toMatch(/unsupported scheme/);
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toMatch(/pw|secret|tok@/);
  });

  it("still takes local directories, Windows drive paths and file: URLs", () => {
    expect(() => sourceFor("wheels", "find-links", ctx, "/tmp")).not.toThrow();
    expect(() => sourceFor("C:/wheels", "find-links", ctx, "/tmp")).not.toThrow();
    expect(() => sourceFor("file:///srv/simple/", "index", ctx, "/tmp")).not.toThrow();
  });
});
