// Fuzzing the simple-API parsers (PEP 503 HTML, PEP 691 JSON): whatever an index serves, the answer is a
// project page whose every file has a usable URL and hex digests, or INVALID_INDEX_RESPONSE /
// UNSUPPORTED_API_VERSION, never another exception; credentials in the page URL never reach a message.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyText, htmlPageText, jsonPageText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { parseProjectHtml, parseProjectJson, type ProjectPage } from "../../src/standards/simple-api.js";

const CANARY = "canary-Zq8vX1";
const PAGE = `https://fuzz:${CANARY}@index.example/simple/pkg/`;
const INDEX = "https://index.example/simple/";
const CODES = ["INVALID_INDEX_RESPONSE", "UNSUPPORTED_API_VERSION"];

function checkPage(result: ProjectPage | PystoreError): void {
  if (result instanceof PystoreError) {
    expect(result.message).not.toContain(CANARY);
    expect(result.hint ?? "").not.toContain(CANARY);
    return;
  }
  expect(typeof result.name).toBe("string");
  expect(result.apiVersion).toMatch(/^\d+\.\d+$/);
  for (const file of result.files) {
    expect(typeof file.filename).toBe("string");
    expect(file.filename).not.toBe("");
    const url = new URL(file.url);
    expect(url.hash).toBe("");
    expect(file.index).toBe(INDEX);
    for (const [algorithm, digest] of Object.entries(file.hashes)) {
      expect(algorithm).toBe(algorithm.toLowerCase());
      expect(digest).toMatch(/^[0-9a-f]+$/);
    }
    if (file.size !== undefined) expect(Number.isSafeInteger(file.size) && file.size >= 0).toBe(true);
    if (file.requiresPython !== undefined) expect(typeof file.requiresPython).toBe("string");
  }
}

describe("simple API pages under fuzzing", () => {
  it("HTML: a page or a typed error, every file usable", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(htmlPageText, anyText), fc.boolean(), (body, strict) => {
        checkPage(onlyTyped(CODES, () => parseProjectHtml(body, PAGE, INDEX, { strict })));
      }),
      fuzzParams(400),
    );
  });

  it("JSON: a page or a typed error, every file usable", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(jsonPageText, anyText), (body) => {
        checkPage(onlyTyped(CODES, () => parseProjectJson(body, PAGE, INDEX)));
      }),
      fuzzParams(1500),
    );
  });

  it("JSON keys that name Object.prototype members do not leak into the page", () => {
    const body = JSON.stringify({
      meta: { "api-version": "1.1" },
      name: "pkg",
      files: [{ filename: "pkg-1.0-py3-none-any.whl", url: "x.whl", hashes: { ["__proto__"]: "ab", constructor: "cd", sha256: "ef" } }],
    });
    const page = parseProjectJson(body, PAGE, INDEX);
    expect(Object.getPrototypeOf(page.files[0].hashes)).toBe(Object.prototype);
    expect(page.files[0].hashes.sha256).toBe("ef");
  });

  it("a size past 2^53 is refused, not rounded", () => {
    const body = `{"meta":{"api-version":"1.1"},"name":"pkg","files":[{"filename":"pkg-1.0-py3-none-any.whl","url":"x.whl","hashes":{},"size":18014398509481985}]}`;
    const error = onlyTyped(CODES, () => parseProjectJson(body, PAGE, INDEX));
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).message).toContain("files[0].size must be a non-negative integer");
  });

  it("deeply nested or very long pages stay fast", () => {
    const nested = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    onlyTyped(CODES, () => parseProjectJson(nested, PAGE, INDEX), 500);
    const tags = `<a href="x.whl">${"<b>".repeat(50_000)}`;
    onlyTyped(CODES, () => parseProjectHtml(tags, PAGE, INDEX), 2_000);
    const attrs = `<a ${"data-x=y ".repeat(20_000)}href="x.whl">`;
    onlyTyped(CODES, () => parseProjectHtml(attrs, PAGE, INDEX), 2_000);
  });
});
