// Network faults that test/index-client/ does not already cover: a resume answered 416, stalls that
// retry a bounded number of times, 503 then success on pages and metadata, 401/403 that stop at once,
// a proxy answering 407 (no tinyproxy needed), no_proxy, a redirect to another host carrying
// credentials, and TLS verification that NODE_TLS_REJECT_UNAUTHORIZED=0 cannot switch off.

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Fault, startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import type { IndexClientOptions } from "../../src/index-client/client.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { failure, withClient } from "../index-client/helpers.js";
import { runCli } from "../helpers/cli.js";

let dir: string;
let wheel: BuiltWheel;
let wheelPath: string;
let out: string;
const servers: IndexServer[] = [];
const page = "/simple/netfault/";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-network-faults-"));
  wheel = await buildWheel({ name: "netfault", version: "1.0", files: { "netfault/blob.bin": randomBytes(150_000) } }, join(dir, "src"));
  wheelPath = `/files/${wheel.filename}`;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  // Whatever happened, the download directory holds the finished wheel or nothing: no temp file.
  if (out) expect(readdirSync(out).filter((f) => f !== wheel.filename)).toEqual([]);
});

async function serve(faults: Record<string, Fault | Fault[]> = {}, opts: { auth?: { username: string; password: string } } = {}) {
  const s = await startIndexServer({ wheels: [wheel], faults, ...opts });
  servers.push(s);
  out = mkdtempSync(join(dir, "out-"));
  return s;
}

function options(s: IndexServer, extra: IndexClientOptions = {}): IndexClientOptions {
  return { indexUrl: s.url, env: { HOME: dir }, retries: 2, retryBaseMs: 10, readTimeoutMs: 5_000, ...extra };
}

function fileOf(s: IndexServer): ProjectFile {
  return { filename: wheel.filename, url: `${s.origin}${wheelPath}`, hashes: { sha256: wheel.sha256 }, size: wheel.size, index: s.url };
}

const hits = (s: IndexServer, path: string) => s.requests.filter((r) => r.path === path);

describe("downloads", () => {
  it("a resume answered 416 mid-file starts over and completes", async () => {
    const s = await serve({
      [wheelPath]: [
        { type: "reset", afterBytes: 40_000, times: 1 },
        { type: "status", status: 416, times: 1 },
      ],
    });
    await withClient(options(s), (c) => c.downloadToFile(fileOf(s), join(out, wheel.filename)));
    expect(readFileSync(join(out, wheel.filename)).equals(wheel.bytes)).toBe(true);
    const requests = hits(s, wheelPath);
    expect(requests.map((r) => r.headers.range)).toEqual([undefined, "bytes=40000-", undefined]);
  });

  it("a stall is retried a bounded number of times, then TIMEOUT", async () => {
    const s = await serve({ [wheelPath]: { type: "stall", afterBytes: 10_000 } });
    const started = performance.now();
    const error = await failure(
      withClient(options(s, { readTimeoutMs: 200 }), (c) => c.downloadToFile(fileOf(s), join(out, wheel.filename))),
    );
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toBe(`timed out reading from ${s.origin}${wheelPath}: no data for 200 ms`);
    // The first attempt and exactly two retries (resumes), then it gives up.
    expect(hits(s, wheelPath)).toHaveLength(3);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(readdirSync(out)).toEqual([]);
  });

  it.each([401, 403])("%i stops at once (no retry) and names the URL", async (status) => {
    const s = await serve({ [wheelPath]: { type: "status", status } });
    const error = await failure(withClient(options(s), (c) => c.downloadToFile(fileOf(s), join(out, wheel.filename))));
    expect(error.code).toBe("AUTH_REQUIRED");
    expect(error.message).toBe(
      `${s.origin}${wheelPath} answered ${status}: ${status === 401 ? "authentication required, and no credentials were sent" : "access denied (no credentials were sent)"}`,
    );
    expect(error.hint).toContain("~/.netrc");
    expect(hits(s, wheelPath)).toHaveLength(1);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("pages and metadata", () => {
  it("503 then success, for the project page and the PEP 658 metadata", async () => {
    const s = await serve({
      [page]: { type: "status", status: 503, times: 2 },
      [`${wheelPath}.metadata`]: { type: "status", status: 500, times: 1 },
    });
    const metadata = await withClient(options(s), async (c) => c.getMetadata((await c.getProject("netfault"))[0]));
    expect(metadata).toBe(wheel.metadata);
    expect(hits(s, page)).toHaveLength(3);
    expect(hits(s, `${wheelPath}.metadata`)).toHaveLength(2);
  });

  it("a stalled page is retried a bounded number of times, then TIMEOUT", async () => {
    const s = await serve({ [page]: { type: "stall", afterBytes: 20 } });
    const error = await failure(withClient(options(s, { readTimeoutMs: 200 }), (c) => c.getProject("netfault")));
    expect(error.code).toBe("TIMEOUT");
    expect(hits(s, page)).toHaveLength(3);
  });

  it.each([401, 403])("%i on a page stops at once (no retry)", async (status) => {
    const s = await serve({ [page]: { type: "status", status } });
    const error = await failure(withClient(options(s), (c) => c.getProject("netfault")));
    expect(error.code).toBe("AUTH_REQUIRED");
    expect(error.message).toBe(
      `${s.url} answered ${status} for "netfault": ${status === 401 ? "authentication required, and no credentials were sent" : "access denied (no credentials were sent)"}`,
    );
    expect(hits(s, page)).toHaveLength(1);
  });

  it("a redirect to another host gets neither the URL's credentials nor ones smuggled in its Location", async () => {
    const elsewhere = await serve();
    const target = `${elsewhere.url.replace("http://127.0.0.1", "http://mallory:stolen@localhost")}netfault/`;
    const s = await serve({ [page]: { type: "redirect", location: target } });
    const files = await withClient(options(s, { indexUrl: s.url.replace("http://", "http://alice:secret-pw@") }), (c) =>
      c.getProject("netfault"),
    );
    expect(files).toHaveLength(1);
    expect(hits(s, page)[0].headers.authorization).toBe(`Basic ${Buffer.from("alice:secret-pw").toString("base64")}`);
    expect(hits(elsewhere, page)[0].headers.authorization).toBeUndefined();
    // Files found on the other host carry no credentials either.
    expect(files[0].url).not.toContain("@");
  });
});

/** A forward proxy that answers 407 to everything, plain requests and CONNECT alike. */
async function refusingProxy(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    count++;
    res.writeHead(407, { "proxy-authenticate": 'Basic realm="proxy"' });
    res.end();
  });
  server.on("connect", (_req, socket: Socket) => {
    count++;
    socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n');
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    hits: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("proxies", () => {
  it("407 is PROXY_AUTH_REQUIRED with a hint, not retried; no_proxy goes around the proxy", async () => {
    const proxy = await refusingProxy();
    try {
      const s = await serve();
      out = "";
      const viaProxy = { http_proxy: `http://proxyuser:proxy-secret@${proxy.url.slice("http://".length)}`, HOME: dir };
      const error = await failure(withClient(options(s, { env: viaProxy }), (c) => c.getProject("netfault")));
      expect(error.code).toBe("PROXY_AUTH_REQUIRED");
      expect(error.message).toBe(`the proxy http://****@${proxy.url.slice("http://".length)}/ requires authentication (407)`);
      expect(error.hint).toContain("--proxy http://USER:PASSWORD@host:port");
      expect(`${error.message}${error.hint}`).not.toContain("proxy-secret");
      expect(proxy.hits()).toBe(1);
      const files = await withClient(options(s, { env: { ...viaProxy, no_proxy: "127.0.0.1" } }), (c) => c.getProject("netfault"));
      expect(files).toHaveLength(1);
      expect(proxy.hits()).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

describe("TLS", () => {
  it("an unknown issuer stays an error with NODE_TLS_REJECT_UNAUTHORIZED=0, and the hint says how to trust it", async () => {
    const s = await startIndexServer({ wheels: [wheel], https: true });
    servers.push(s);
    out = "";
    const cwd = mkdtempSync(join(dir, "tls-"));
    const r = await runCli(["lock", "netfault", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", s.url], {
      cwd,
      env: { PYSTORE_STORE: `${cwd}-store`, PYSTORE_INDEX_URL: "", NETRC: "", NODE_TLS_REJECT_UNAUTHORIZED: "0", SSL_CERT_FILE: "" },
    });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toMatch(
      /error: TLS: cannot verify the certificate of https:\/\/127\.0\.0\.1:\d+\/simple\/netfault\/ \(\w+: issued by an unknown certificate authority\)/,
    );
    expect(r.stderr).toContain("hint: if your index or proxy uses a private CA, pass its PEM file with --cert FILE or SSL_CERT_FILE=FILE");
    expect(readdirSync(cwd)).toEqual([]);
  });
});
