// A configuration file's keys: unknown ones rejected with a did-you-mean, misplaced ones told where they go,
// values checked and paths made absolute against the file.

import { describe, expect, it } from "vitest";
import { readLayer } from "../../src/config/layer.js";
import { didYouMean, editDistance } from "../../src/util/suggest.js";

const spot = { file: "/etc/u/config.toml", home: "/home/u" };

describe("editDistance and didYouMean", () => {
  it.each([
    ["kitten", "sitting", 3],
    ["retries", "retires", 1],
    ["", "abc", 3],
    ["same", "same", 0],
  ])("%s → %s is %i", (a, b, d) => expect(editDistance(a, b)).toBe(d));

  it("suggests the closest key, folding case and underscores", () => {
    const keys = ["index-url", "extra-index-urls", "retries", "read-timeout"];
    expect(didYouMean("index_url", keys)).toBe("index-url");
    expect(didYouMean("Retires", keys)).toBe("retries");
    expect(didYouMean("extra-index-url", keys)).toBe("extra-index-urls");
    expect(didYouMean("colour", keys)).toBeUndefined();
  });
});

describe("readLayer", () => {
  it("rejects an unknown key naming the file and the key, with a suggestion", () => {
    expect(() => readLayer({ "index-ulr": "https://x/" }, { kind: "user", ...spot })).toThrow(
      expect.objectContaining({
        code: "INVALID_CONFIG",
        message: '/etc/u/config.toml: unknown key "index-ulr"; did you mean "index-url"?',
        details: { file: "/etc/u/config.toml", key: "index-ulr", suggestion: "index-url" },
      }),
    );
  });

  it("names [tool.pystore] keys by their dotted path in pyproject.toml", () => {
    expect(() => readLayer({ lib: ["src"] }, { kind: "pyproject", ...spot, file: "/p/pyproject.toml" })).toThrow(
      expect.objectContaining({
        code: "INVALID_PYPROJECT",
        message: '/p/pyproject.toml: unknown key "tool.pystore.lib"; did you mean "tool.pystore.libs"?',
      }),
    );
  });

  it.each([
    ["user", "libs", ["src"], /describes the project/],
    ["user", "index-pins", { a: "https://x/" }, /describes the project/],
    ["pystore-toml", "targets", [], /belongs in pyproject.toml/],
    ["pystore-toml", "index-url", "https://x/", /recorded in the lock/],
    ["pyproject", "proxy", "http://p:1", /this machine's setting/],
    ["pyproject", "store-dir", "/s", /this machine's setting/],
  ] as const)("refuses %s files' %s", (kind, key, value, hint) => {
    expect(() => readLayer({ [key]: value }, { kind, ...spot })).toThrow(expect.objectContaining({ hint: expect.stringMatching(hint) }));
  });

  it("checks values and quotes them with credentials masked", () => {
    expect(() => readLayer({ retries: -1 }, { kind: "user", ...spot })).toThrow(/retries must be an integer >= 0, got -1/);
    expect(() => readLayer({ "link-mode": "symlink" }, { kind: "user", ...spot })).toThrow(/link-mode must be one of "auto", "hardlink"/);
    let message = "";
    try {
      readLayer({ "extra-index-urls": "https://bob:CANARY-9@x.test/simple/" }, { kind: "user", ...spot });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must be an array of non-empty strings/);
    expect(message).not.toContain("CANARY-9");
  });

  it("makes paths absolute against the file's directory and ~ against the home", () => {
    const layer = readLayer(
      { "store-dir": "~/store", "find-links": ["wheels", "/abs", "https://x.test/links.html"] },
      { kind: "user", ...spot },
    );
    expect(layer.values.get("store-dir")).toBe("/home/u/store");
    expect(layer.values.get("find-links")).toEqual(["/etc/u/wheels", "/abs", "https://x.test/links.html"]);
  });

  it("accepts the project's own keys in pyproject.toml without reading their values", () => {
    const layer = readLayer(
      { targets: [{ platform: "win_amd64" }], libs: ["src"], scripts: {}, "read-timeout": 5 },
      { kind: "pyproject", ...spot },
    );
    expect([...layer.values.keys()]).toEqual(["read-timeout"]);
  });
});
