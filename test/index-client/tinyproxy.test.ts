// Proxies against the REAL tinyproxy: plain HTTP forwarding, CONNECT to an HTTPS index, 407, no_proxy, env precedence.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { startTinyproxy, type Tinyproxy } from "../../fixtures/tinyproxy.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { failure, withClient } from "./helpers.js";

let dir: string;
let wheel: BuiltWheel;
let plain: IndexServer;
let secure: IndexServer;
let proxy: Tinyproxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-proxy-"));
  wheel = await buildWheel({ name: "proxied", version: "1.0" }, dir);
  plain = await startIndexServer({ wheels: [wheel] });
  secure = await startIndexServer({ wheels: [wheel], https: true, metadata: false });
  proxy = await startTinyproxy({
    auth: { username: "proxyuser", password: "proxy-secret" },
    connectPorts: [Number(new URL(secure.origin).port)],
  });
});

afterAll(async () => {
  await proxy?.close();
  await plain?.close();
  await secure?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("through tinyproxy", () => {
  it("forwards plain HTTP (absolute URI) with the proxy credentials", async () => {
    const files = await withClient({ indexUrl: plain.url, proxy: proxy.authUrl, env: {} }, (c) => c.getProject("proxied"));
    expect(files.map((f) => f.filename)).toEqual([wheel.filename]);
    const projectPath = new URL("proxied/", plain.url).toString();
    expect(proxy.readLog()).toContain(`GET ${projectPath}`);
    // The fixture saw the request arrive from the proxy, without the proxy's credentials.
    const seen = plain.requests.filter((r) => r.path === "/simple/proxied/");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.headers["proxy-authorization"] === undefined)).toBe(true);
  });

  it("tunnels HTTPS through CONNECT and verifies the index certificate end to end", async () => {
    const caFile = join(dir, "ca.pem");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(caFile, secure.ca!);
    const dest = join(dir, "via-connect.whl");
    await withClient({ indexUrl: secure.url, proxy: proxy.authUrl, cert: caFile, env: {} }, async (c) => {
      const [file] = await c.getProject("proxied");
      expect(await c.getMetadata(file)).toBe(wheel.metadata);
      await c.downloadToFile(file, dest);
    });
    expect(readFileSync(dest).equals(wheel.bytes)).toBe(true);
    expect(proxy.readLog()).toContain(`CONNECT 127.0.0.1:${new URL(secure.origin).port}`);
  });

  it("reports 407 as PROXY_AUTH_REQUIRED with a hint (HTTP and CONNECT)", async () => {
    for (const server of [plain, secure]) {
      const error = await failure(
        withClient({ indexUrl: server.url, proxy: proxy.url, cert: undefined, env: {} }, (c) => c.getProject("proxied")),
      );
      expect(error.code).toBe("PROXY_AUTH_REQUIRED");
      expect(error.message).toContain(`the proxy ${proxy.url}/ requires authentication (407)`);
      expect(error.hint).toContain("--proxy http://USER:PASSWORD@host:port");
    }
  });

  it("takes lower-case proxy variables over upper-case ones", async () => {
    const env = { http_proxy: proxy.authUrl, HTTP_PROXY: "http://127.0.0.1:9" };
    const files = await withClient({ indexUrl: plain.url, env }, (c) => c.getProject("proxied"));
    expect(files).toHaveLength(1);
  });

  it("bypasses the proxy for no_proxy hosts", async () => {
    const before = proxy.readLog();
    const marker = plain.requests.length;
    // Without the bypass this proxy (no credentials) would answer 407.
    const env = { http_proxy: proxy.url, no_proxy: "localhost,127.0.0.1" };
    const files = await withClient({ indexUrl: plain.url, env }, (c) => c.getProject("proxied"));
    expect(files).toHaveLength(1);
    expect(plain.requests.length).toBeGreaterThan(marker);
    expect(proxy.readLog().slice(before.length)).not.toContain("/simple/proxied/");
  });
});
