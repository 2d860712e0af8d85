// The configuration files reach the typed settings commands build (src/commands/settings.ts): the user
// file fills in below the environment and the project, pyproject.toml stays the lock's own to merge.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexRequest, jobsSetting, linkModeSetting, storeSettings, transportSettings } from "../../src/commands/settings.js";
import type { CommandContext } from "../../src/commands/context.js";
import { silentLogger } from "../../src/util/log.js";

let dir: string;
let home: string;
let project: string;
let bare: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pystore-config-settings-"));
  home = join(dir, "home");
  mkdirSync(join(home, ".config", "pystore"), { recursive: true });
  writeFileSync(
    join(home, ".config", "pystore", "config.toml"),
    [
      'index-url = "https://user-file.test/simple/"',
      'extra-index-urls = ["https://user-extra.test/simple/"]',
      'find-links = ["wheels"]',
      'index-strategy = "unsafe-best-match"',
      'proxy = "http://proxy.test:3128"',
      'cert = "/etc/corp-ca.pem"',
      "retries = 5",
      "connect-timeout = 2.5",
      "jobs = 9",
      'link-mode = "copy"',
      'store-dir = "~/my-store"',
      "",
    ].join("\n"),
  );
  project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "pyproject.toml"),
    '[project]\nname = "p"\n\n[tool.pystore]\nindex-url = "https://project.test/simple/"\nretries = 1\n',
  );
  writeFileSync(join(project, "pystore.toml"), "jobs = 2\n");
  bare = join(dir, "bare");
  mkdirSync(bare);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, ...extra });
const ctx = (cwd: string, extra: NodeJS.ProcessEnv = {}, store?: string): CommandContext => ({
  global: { verbose: false, quiet: false, store },
  env: env(extra),
  cwd,
  log: silentLogger,
  out() {},
});

describe("the user file under the environment and the project", () => {
  it("fills the index request's machine slot when nothing else sets it", () => {
    const r = indexRequest({}, env(), { cwd: bare });
    expect(r.env).toEqual({
      indexUrl: "https://user-file.test/simple/",
      extraIndexUrls: ["https://user-extra.test/simple/"],
      noIndex: false,
    });
    expect(r.findLinks).toEqual([join(home, ".config", "pystore", "wheels")]);
    expect(r.strategy).toBe("unsafe-best-match");
  });

  it("yields to the variables, and to a project that sets the key (which the lock merges itself)", () => {
    expect(indexRequest({}, env({ PYSTORE_INDEX_URL: "https://env.test/simple/" }), { cwd: bare }).env.indexUrl).toBe(
      "https://env.test/simple/",
    );
    const r = indexRequest({}, env(), { cwd: project });
    expect(r.env.indexUrl).toBeUndefined();
    expect(r.env.extraIndexUrls).toEqual(["https://user-extra.test/simple/"]);
  });

  it("is left out with the environment for lock --check", () => {
    const r = indexRequest({}, env(), { cwd: bare, environment: false });
    expect(r).toMatchObject({ env: { extraIndexUrls: [], noIndex: false }, findLinks: [], strategy: undefined });
  });

  it("gives transport settings below flags, variables and the project", () => {
    expect(transportSettings({}, env(), { cwd: bare })).toMatchObject({
      proxy: "http://proxy.test:3128",
      cert: "/etc/corp-ca.pem",
      retries: 5,
      connectTimeoutMs: 2500,
      offline: false,
    });
    expect(transportSettings({}, env(), { cwd: project }).retries).toBe(1);
    expect(transportSettings({}, env({ PYSTORE_RETRIES: "0" }), { cwd: project }).retries).toBe(0);
    expect(transportSettings({ retries: "7" }, env({ PYSTORE_RETRIES: "0" }), { cwd: project }).retries).toBe(7);
    expect(transportSettings({}, env({ PYSTORE_OFFLINE: "1" }), { cwd: bare }).offline).toBe(true);
  });

  it("leaves proxy and CA to the variables when they are set (the client reads them per URL)", () => {
    const t = transportSettings({}, env({ http_proxy: "http://env-proxy:1", SSL_CERT_FILE: "/env.pem" }), { cwd: bare });
    expect(t.proxy).toBeUndefined();
    expect(t.cert).toBeUndefined();
  });

  it("sets the store directory below --store and PYSTORE_STORE", () => {
    expect(storeSettings(ctx(bare)).dir).toBe(join(home, "my-store"));
    expect(storeSettings(ctx(bare, { PYSTORE_STORE: "rel" })).dir).toBe(join(bare, "rel"));
    expect(storeSettings(ctx(bare, {}, "/flag-store")).dir).toBe("/flag-store");
    expect(storeSettings(ctx(bare, { PYSTORE_NO_CONFIG: "1", XDG_DATA_HOME: "/xdg" })).dir).toBe("/xdg/pystore");
  });

  it("gives jobs and the link mode with the same precedence", () => {
    expect(jobsSetting({}, ctx(bare))).toBe(9);
    expect(jobsSetting({}, ctx(project))).toBe(2);
    expect(jobsSetting({}, ctx(project, { PYSTORE_JOBS: "3" }))).toBe(3);
    expect(jobsSetting({ jobs: "1" }, ctx(project, { PYSTORE_JOBS: "3" }))).toBe(1);
    expect(linkModeSetting({}, ctx(bare))).toBe("copy");
    expect(linkModeSetting({}, ctx(bare, { PYSTORE_LINK_MODE: "auto" }))).toBeUndefined();
    expect(linkModeSetting({}, ctx(bare, { PYSTORE_NO_CONFIG: "1" }))).toBeUndefined();
  });

  it("a typo in the project's [tool.pystore] stops the command with a did-you-mean", () => {
    const typo = join(dir, "typo");
    mkdirSync(typo);
    writeFileSync(join(typo, "pyproject.toml"), "[tool.pystore]\nretires = 2\n");
    expect(() => transportSettings({}, env(), { cwd: typo })).toThrow(
      /unknown key "tool.pystore.retires"; did you mean "tool.pystore.retries"\?/,
    );
  });
});
