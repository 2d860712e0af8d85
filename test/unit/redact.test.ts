// src/util/redact.ts: credentials removed from URLs and free text before anything prints or stores them.

import { describe, expect, it } from "vitest";
import { redactText, redactUrl, stripCredentials } from "../../src/util/redact.js";

describe("redaction", () => {
  it.each([
    ["https://user:s3cret@example.org/simple/", "https://****@example.org/simple/"],
    ["https://tok@example.org/simple/", "https://****@example.org/simple/"],
    ["https://example.org/simple/?token=abc&x=1", "https://example.org/simple/?token=****&x=1"],
    ["https://example.org/simple/", "https://example.org/simple/"],
  ])("redactUrl(%s)", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it("redacts credentials inside free text", () => {
    expect(redactText("GET http://alice:pw@10.0.0.1:8080/x failed")).toBe("GET http://****@10.0.0.1:8080/x failed");
    expect(redactText("see https://h/x?api_key=zzz#frag")).toBe("see https://h/x?api_key=****#frag");
  });

  it("keeps the USER:PASSWORD placeholder of hints readable, but not real credentials", () => {
    expect(redactText("use --index-url https://USER:PASSWORD@host/simple/")).toBe("use --index-url https://USER:PASSWORD@host/simple/");
    expect(redactText("https://USER:hunter2@host/")).toBe("https://****@host/");
  });

  it("strips credentials from stored URLs", () => {
    expect(stripCredentials("https://u:p@idx.example/simple/?token=t")).toBe("https://idx.example/simple/");
  });
});
