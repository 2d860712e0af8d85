// Proxy selection from --proxy and the environment (curl's rules), without any network.

import { describe, expect, it } from "vitest";
import { bypassesProxy, normalizeProxyUrl, proxyForUrl } from "../../src/index-client/proxy.js";

describe("proxyForUrl", () => {
  it.each([
    ["http://idx.example/simple/", {}, undefined, undefined],
    ["http://idx.example/simple/", { http_proxy: "proxy:3128" }, undefined, "http://proxy:3128/"],
    ["https://idx.example/simple/", { http_proxy: "http://p1:1" }, undefined, undefined],
    ["https://idx.example/simple/", { https_proxy: "http://p1:1", HTTPS_PROXY: "http://p2:2" }, undefined, "http://p1:1/"],
    ["https://idx.example/simple/", { HTTPS_PROXY: "http://p2:2" }, undefined, "http://p2:2/"],
    ["https://idx.example/simple/", { all_proxy: "http://all:1" }, undefined, "http://all:1/"],
    ["https://idx.example/simple/", { https_proxy: "http://env:1" }, "http://flag:2", "http://flag:2/"],
    ["https://idx.example/simple/", { https_proxy: "http://env:1", no_proxy: ".example" }, undefined, undefined],
    ["https://idx.example/simple/", { https_proxy: "http://env:1", NO_PROXY: "other", no_proxy: "idx.example" }, undefined, undefined],
    ["file:///srv/simple/", { all_proxy: "http://all:1" }, undefined, undefined],
  ])("%s with %j and --proxy %s → %s", (url, env, flag, expected) => {
    expect(proxyForUrl(url, { env, proxy: flag })).toBe(expected);
  });
});

describe("bypassesProxy (no_proxy)", () => {
  it.each([
    ["http://a.example.com/", "*", true],
    ["http://a.example.com/", "example.com", true],
    ["http://a.example.com/", ".example.com", true],
    ["http://a.example.com/", "*.example.com", true],
    ["http://example.com/", ".example.com", true],
    ["http://badexample.com/", "example.com", false],
    ["http://127.0.0.1:8080/", "127.0.0.1", true],
    ["http://127.0.0.1:8080/", "127.0.0.1:8080", true],
    ["http://127.0.0.1:8080/", "127.0.0.1:9090", false],
    ["https://[::1]:443/", "::1", true],
    ["http://a.example.com/", "other.org, example.com", true],
    ["http://a.example.com/", "", false],
  ])("%s vs %j → %s", (url, noProxy, expected) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(expected);
  });
});

describe("normalizeProxyUrl", () => {
  it("adds http:// and rejects other schemes without echoing credentials", () => {
    expect(normalizeProxyUrl("u:p@host:3128")).toBe("http://u:p@host:3128/");
    expect(() => normalizeProxyUrl("socks5://u:secret@h:1")).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG", message: expect.not.stringContaining("secret") }),
    );
  });
});
