// Precedence and provenance: flags > environment > project files > user file > defaults, one key at a time.

import { describe, expect, it } from "vitest";
import { type Layer, readLayer } from "../../src/config/layer.js";
import { projectOnly, resolveAll, resolveSetting, type Sources } from "../../src/config/resolve.js";

const HOME = "/home/u";
const user = (table: Record<string, unknown>): Layer =>
  readLayer(table, { kind: "user", file: "/home/u/.config/pystore/config.toml", home: HOME });
const pyproject = (table: Record<string, unknown>): Layer => readLayer(table, { kind: "pyproject", file: "/p/pyproject.toml", home: HOME });
const pystoreToml = (table: Record<string, unknown>): Layer =>
  readLayer(table, { kind: "pystore-toml", file: "/p/pystore.toml", home: HOME });

function sources(parts: Partial<Sources>): Sources {
  return { flags: {}, env: {}, project: [], ...parts };
}

describe("resolveSetting", () => {
  const all = sources({
    flags: { retries: { name: "--retries", value: "1" } },
    env: { PYSTORE_RETRIES: "2" },
    project: [pyproject({ retries: 3 })],
    user: user({ retries: 4 }),
  });

  it.each([
    ["the flag", all, 1, { kind: "flag", name: "--retries" }],
    ["the variable", { ...all, flags: {} }, 2, { kind: "env", name: "PYSTORE_RETRIES" }],
    ["the project file", { ...all, flags: {}, env: {} }, 3, { kind: "project", file: "/p/pyproject.toml" }],
    ["the user file", { ...all, flags: {}, env: {}, project: [] }, 4, { kind: "user", file: "/home/u/.config/pystore/config.toml" }],
    ["the default", sources({}), 3, { kind: "default" }],
  ])("takes %s when nothing above it sets the key", (_label, given, value, origin) => {
    expect(resolveSetting("retries", given)).toEqual({ key: "retries", value, origin });
  });

  it("treats an empty variable as unset", () => {
    const r = resolveSetting(
      "index-url",
      sources({ env: { PYSTORE_INDEX_URL: "  " }, user: user({ "index-url": "https://u.test/simple/" }) }),
    );
    expect(r.origin).toEqual({ kind: "user", file: "/home/u/.config/pystore/config.toml" });
  });

  it("reads a lower source only when needed: a bad variable under a flag is never parsed", () => {
    const s = sources({ flags: { retries: { name: "--retries", value: "0" } }, env: { PYSTORE_RETRIES: "many" } });
    expect(resolveSetting("retries", s).value).toBe(0);
    expect(() => resolveSetting("retries", { ...s, flags: {} })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG", message: 'PYSTORE_RETRIES="many" is not an integer >= 0' }),
    );
  });

  it("a bad flag is a usage error naming the flag and the value", () => {
    const s = sources({ flags: { "connect-timeout": { name: "--connect-timeout", value: "-1" } } });
    expect(() => resolveSetting("connect-timeout", s)).toThrow(
      expect.objectContaining({ code: "USAGE", message: '--connect-timeout="-1" is not a positive number of seconds' }),
    );
  });

  it("no-index is on when any source turns it on, and says which", () => {
    const s = sources({ env: { PYSTORE_NO_INDEX: "0" }, project: [pyproject({ "no-index": true })], user: user({ "no-index": false }) });
    expect(resolveSetting("no-index", s)).toMatchObject({ value: true, origin: { kind: "project" } });
    expect(resolveSetting("no-index", { ...s, project: [] })).toMatchObject({
      value: false,
      origin: { kind: "env", name: "PYSTORE_NO_INDEX" },
    });
  });

  it("offline follows plain precedence: PYSTORE_OFFLINE=0 overrides a file's offline = true", () => {
    const s = sources({ env: { PYSTORE_OFFLINE: "0" }, user: user({ offline: true }) });
    expect(resolveSetting("offline", s)).toMatchObject({ value: false, origin: { kind: "env", name: "PYSTORE_OFFLINE" } });
  });

  it("takes the first proxy variable set, lower case before upper case", () => {
    const s = sources({ env: { HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:1" }, user: user({ proxy: "http://user:1" }) });
    expect(resolveSetting("proxy", s)).toMatchObject({ value: "http://lower:1", origin: { kind: "env", name: "https_proxy" } });
  });

  it("pystore.toml and pyproject.toml are both project sources", () => {
    const s = sources({ project: [pystoreToml({ jobs: 7 }), pyproject({ retries: 1 })] });
    expect(resolveSetting("jobs", s)).toEqual({ key: "jobs", value: 7, origin: { kind: "project", file: "/p/pystore.toml" } });
    expect(resolveSetting("retries", s).origin).toEqual({ kind: "project", file: "/p/pyproject.toml" });
  });

  it("projectOnly drops the environment and the user file (lock --check)", () => {
    const s = projectOnly(sources({ env: { PYSTORE_INDEX_URL: "https://env.test/" }, user: user({ "index-url": "https://u.test/" }) }));
    expect(resolveSetting("index-url", s)).toEqual({ key: "index-url", value: "https://pypi.org/simple/", origin: { kind: "default" } });
  });

  it("machine defaults stand in for the catalogue's (the store directory)", () => {
    const s = sources({ defaults: { "store-dir": "/data/pystore" } });
    expect(resolveSetting("store-dir", s)).toEqual({ key: "store-dir", value: "/data/pystore", origin: { kind: "default" } });
  });

  it("resolveAll lists every setting once, in catalogue order", () => {
    const keys = resolveAll(sources({})).map((s) => s.key);
    expect(keys[0]).toBe("store-dir");
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("link-mode");
  });
});
