// networkError: DNS failures, refused connections and timeouts carry a hint about the URL, proxies and --offline.

import { describe, expect, it } from "vitest";
import { networkError } from "../../src/index-client/http.js";

const opts = { connectTimeoutMs: 10_000, readTimeoutMs: 30_000 };
const failure = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(code), { code }) });

describe("networkError hints", () => {
  it.each([
    ["ENOTFOUND", "NETWORK"],
    ["ECONNREFUSED", "NETWORK"],
    ["UND_ERR_CONNECT_TIMEOUT", "TIMEOUT"],
    ["UND_ERR_HEADERS_TIMEOUT", "TIMEOUT"],
  ])("%s → %s with a hint naming the index URL, proxy variables, --offline and --no-index --find-links", (code, expected) => {
    const error = networkError(failure(code), "https://u:secret@index.invalid/simple/x/", opts);
    expect(error.code).toBe(expected);
    expect(error.message).not.toContain("secret");
    expect(error.hint).toContain("index URL");
    expect(error.hint).toContain("https_proxy");
    expect(error.hint).toContain("--offline");
    expect(error.hint).toContain("--no-index --find-links");
  });
});
