// Faults from the index fixture: each asserts the exact error and that nothing partial is left on disk.

import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type Fault, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import type { IndexClientOptions } from "../../src/index-client/client.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { failure, withClient } from "./helpers.js";

let dir: string;
let wheel: BuiltWheel;
let wheelPath: string;
const servers: IndexServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-faults-"));
  // Incompressible and big enough that a cut in the middle is a real partial body.
  wheel = await buildWheel({ name: "faulty", version: "1.0", files: { "faulty/data.bin": randomBytes(200_000) } }, join(dir, "src"));
  expect(wheel.size).toBeGreaterThan(200_000);
  wheelPath = `/files/${wheel.filename}`;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

let out: string;
afterEach(() => {
  // Nothing partial may remain: not the destination, not a temp file.
  if (out) expect(readdirSync(out).filter((f) => f !== wheel.filename)).toEqual([]);
});

async function serve(faults: Record<string, Fault | Fault[]>, opts: { range?: boolean; json?: boolean } = {}): Promise<IndexServer> {
  const s = await startIndexServer({ wheels: [wheel], faults, ...opts });
  servers.push(s);
  out = mkdtempSync(join(dir, "out-"));
  return s;
}

/** Retries on, with short waits: the faults below are about what a retry does. */
function clientOptions(s: IndexServer, opts: IndexClientOptions = {}): IndexClientOptions {
  return { indexUrl: s.url, env: { HOME: dir }, retries: 2, retryBaseMs: 10, readTimeoutMs: 5_000, ...opts };
}

function fileOf(s: IndexServer): ProjectFile {
  return { filename: wheel.filename, url: `${s.origin}${wheelPath}`, hashes: { sha256: wheel.sha256 }, size: wheel.size, index: s.url };
}

function download(s: IndexServer, opts: IndexClientOptions = {}, file = fileOf(s)) {
  return withClient(clientOptions(s, opts), (c) => c.downloadToFile(file, join(out, wheel.filename)));
}

function expectDownloaded(): void {
  expect(readFileSync(join(out, wheel.filename)).equals(wheel.bytes)).toBe(true);
}

describe("download faults", () => {
  it("a reset mid-body resumes with Range + If-Range", async () => {
    const s = await serve({ [wheelPath]: { type: "reset", afterBytes: 50_000, times: 1 } });
    await download(s);
    expectDownloaded();
    const resumed = s.requests.filter((r) => r.path === wheelPath)[1];
    expect(resumed.headers.range).toMatch(/^bytes=\d+-$/);
    expect(resumed.headers["if-range"]).toMatch(/^"/);
  });

  it("restarts from scratch when the server ignores the Range of a resume", async () => {
    const s = await serve({ [wheelPath]: { type: "truncate", afterBytes: 50_000, times: 1 } }, { range: false });
    await download(s);
    expectDownloaded();
    expect(s.requests.filter((r) => r.path === wheelPath).length).toBe(3);
  });

  it("a persistent reset is an incomplete download, not a hash mismatch", async () => {
    const s = await serve({ [wheelPath]: { type: "reset", afterBytes: 50_000 } }, { range: false });
    const error = await failure(download(s, { retries: 1 }));
    expect(error.code).toBe("INCOMPLETE_DOWNLOAD");
    expect(error.message).toBe(`incomplete download: 50000 of ${wheel.size} bytes from ${s.origin}${wheelPath}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("a truncated body (connection closed early) is an incomplete download", async () => {
    const s = await serve({ [wheelPath]: { type: "truncate", afterBytes: 1234 } }, { range: false });
    const error = await failure(download(s, { retries: 0 }));
    expect(error.code).toBe("INCOMPLETE_DOWNLOAD");
    expect(error.message).toBe(`incomplete download: 1234 of ${wheel.size} bytes from ${s.origin}${wheelPath}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("a short but self-consistent body is an incomplete download against the index's size", async () => {
    const s = await serve({ [wheelPath]: { type: "short", bytes: 100 } }, { range: false });
    const error = await failure(download(s, { retries: 0 }));
    expect(error.code).toBe("INCOMPLETE_DOWNLOAD");
    expect(error.message).toBe(`incomplete download: 100 of ${wheel.size} bytes from ${s.origin}${wheelPath}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("a stall times out after the read timeout", async () => {
    const s = await serve({ [wheelPath]: { type: "stall", afterBytes: 10_000 } });
    const error = await failure(download(s, { retries: 0, readTimeoutMs: 300 }));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toBe(`timed out reading from ${s.origin}${wheelPath}: no data for 300 ms`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("500 then 200 succeeds after a retry; a persistent 500 is HTTP_STATUS", async () => {
    const s = await serve({ [wheelPath]: { type: "status", status: 500, times: 1 } });
    await download(s);
    expectDownloaded();
    expect(s.requests.filter((r) => r.path === wheelPath)).toHaveLength(2);
    rmSync(join(out, wheel.filename));
    const bad = await serve({ [wheelPath]: { type: "status", status: 503 } });
    const error = await failure(download(bad, { retries: 1 }));
    expect(error.code).toBe("HTTP_STATUS");
    expect(error.message).toBe(`${bad.origin}${wheelPath} answered HTTP 503`);
    expect(bad.requests.filter((r) => r.path === wheelPath)).toHaveLength(2);
  });

  it("an HTML error page served with 200 instead of a wheel", async () => {
    const s = await serve({
      [wheelPath]: {
        type: "body",
        body: "<html><body>Session expired, please log in</body></html>",
        contentType: "text/html; charset=utf-8",
      },
    });
    const error = await failure(download(s));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toBe(`${s.origin}${wheelPath} served an HTML page instead of the wheel ${wheel.filename}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it("connection refused is NETWORK after the retries", async () => {
    const s = await serve({});
    const file = { ...fileOf(s), url: `http://127.0.0.1:9${wheelPath}` };
    const error = await failure(download(s, { retries: 1 }, file));
    expect(error.code).toBe("NETWORK");
    expect(error.message).toBe(
      `cannot reach http://127.0.0.1:9${wheelPath}: nothing accepts connections at 127.0.0.1:9 (connection refused) (ECONNREFUSED)`,
    );
  });
});

describe("project page faults", () => {
  const page = "/simple/faulty/";
  function project(s: IndexServer, opts: IndexClientOptions = {}) {
    return withClient(clientOptions(s, opts), (c) => c.getProject("faulty"));
  }

  it("429 with Retry-After, then 200", async () => {
    const s = await serve({ [page]: { type: "status", status: 429, headers: { "retry-after": "0" }, times: 1 } });
    expect(await project(s)).toHaveLength(1);
  });

  it("an HTML error page with status 200", async () => {
    const s = await serve({
      [page]: { type: "body", body: "<html><head><title>Error</title></head><body>Internal error</body></html>", contentType: "text/html" },
    });
    const error = await failure(project(s));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toBe(
      `invalid project page from ${s.url}faulty/: an HTML page without links or a pypi:repository-version tag (an error or login page?)`,
    );
  });

  it("JSON missing keys", async () => {
    const s = await serve({
      [page]: {
        type: "body",
        body: JSON.stringify({ meta: { "api-version": "1.1" }, name: "faulty" }),
        contentType: "application/vnd.pypi.simple.v1+json",
      },
    });
    const error = await failure(project(s));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toBe(`invalid project page from ${s.url}faulty/: missing key "files"`);
  });

  it("a wrong content type", async () => {
    const s = await serve({ [page]: { type: "body", body: "PK\u0003\u0004", contentType: "application/octet-stream" } });
    const error = await failure(project(s));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toBe(`invalid project page from ${s.url}faulty/: unexpected content type "application/octet-stream"`);
  });

  it("a reset mid-page is retried; a stalled page times out", async () => {
    const s = await serve({ [page]: { type: "reset", afterBytes: 40, times: 1 } });
    expect(await project(s)).toHaveLength(1);
    const stalled = await serve({ [page]: { type: "stall", afterBytes: 40 } });
    const error = await failure(project(stalled, { retries: 0, readTimeoutMs: 300 }));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toBe(`timed out reading from ${stalled.url}faulty/: no data for 300 ms`);
  });
});

describe("connect timeout", () => {
  it("a server that accepts TCP but never finishes the TLS handshake hits the connect timeout", async () => {
    const { createServer } = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    out = "";
    try {
      const error = await failure(
        withClient({ indexUrl: `https://127.0.0.1:${port}/simple/`, env: {}, connectTimeoutMs: 300 }, (c) => c.getProject("faulty")),
      );
      expect(error.code).toBe("TIMEOUT");
      expect(error.message).toBe(`timed out connecting to https://127.0.0.1:${port}/simple/faulty/ after 300 ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
