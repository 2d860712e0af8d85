// IndexClient against the loopback index fixture: HTML and JSON, .metadata vs Range vs whole wheel, several
// indexes and strategies, auth (URL, netrc, redirects), HTTP caching, offline, file:// indexes and find-links.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { MemoryHttpCache } from "../../src/index-client/cache.js";
import type { IndexClient, IndexClientOptions } from "../../src/index-client/client.js";
import { memoryLogger } from "../../src/util/log.js";
import { failure, withClient } from "./helpers.js";

let dir: string;
let a1: BuiltWheel;
let a2: BuiltWheel;
let b1: BuiltWheel;
const servers: IndexServer[] = [];

async function server(opts: Omit<Parameters<typeof startIndexServer>[0], "wheels"> & { wheels?: BuiltWheel[] } = {}): Promise<IndexServer> {
  const s = await startIndexServer({ wheels: [a1, a2, b1], ...opts });
  servers.push(s);
  return s;
}

/** A client whose netrc lookup sees only this test's HOME. */
function use<T>(opts: IndexClientOptions, fn: (c: IndexClient) => Promise<T>): Promise<T> {
  return withClient({ env: { HOME: dir }, ...opts }, fn);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-client-"));
  a1 = await buildWheel({ name: "alpha", version: "1.0", requiresDist: ["beta>=1"], requiresPython: ">=3.8" }, join(dir, "wheels"));
  a2 = await buildWheel(
    { name: "alpha", version: "2.0", tags: "cp311-cp311-manylinux_2_17_x86_64", extraMetadata: [`Summary: ${"x".repeat(3000)}`] },
    join(dir, "wheels"),
  );
  b1 = await buildWheel({ name: "beta", version: "1.5" }, join(dir, "wheels"));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe("project pages", () => {
  it.each([true, false])("reads the same files from JSON and HTML (json=%s)", async (json) => {
    const s = await server({ json, uploadTimes: { [a1.filename]: "2024-05-06T07:08:09Z" }, yanked: { [a2.filename]: "bad build" } });
    const files = await use({ indexUrl: s.url }, (c) => c.getProject("Alpha"));
    const byName = Object.fromEntries(files.map((f) => [f.filename, f]));
    expect(Object.keys(byName).sort()).toEqual([a1.filename, a2.filename].sort());
    expect(byName[a1.filename]).toMatchObject({
      url: `${s.origin}/files/${a1.filename}`,
      hashes: { sha256: a1.sha256 },
      requiresPython: ">=3.8",
      index: s.url,
    });
    expect(byName[a2.filename].yanked).toEqual({ reason: "bad build" });
    expect(byName[a1.filename].coreMetadata?.hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
    if (json) expect(byName[a1.filename]).toMatchObject({ size: a1.size, uploadTime: "2024-05-06T07:08:09Z" });
    const accept = s.requests.find((r) => r.path === "/simple/alpha/")!.headers.accept;
    expect(accept).toBe("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01");
  });

  it("warns about a newer minor API version and refuses another major", async () => {
    const newer = await server({ apiVersion: "1.9" });
    const log = memoryLogger();
    await use({ indexUrl: newer.url, log }, (c) => c.getProject("alpha"));
    expect(log.lines.some((l) => l.startsWith("warn:") && l.includes("1.9"))).toBe(true);
    const major = await server({ apiVersion: "2.0" });
    const error = await failure(use({ indexUrl: major.url }, (c) => c.getProject("alpha")));
    expect(error.code).toBe("UNSUPPORTED_API_VERSION");
  });
});

describe("core metadata", () => {
  it("uses the PEP 658 .metadata file when advertised, without touching the wheel", async () => {
    const s = await server();
    const text = await use({ indexUrl: s.url }, async (c) =>
      c.getMetadata((await c.getProject("alpha")).find((f) => f.filename === a1.filename)!),
    );
    expect(text).toBe(a1.metadata);
    expect(s.requests.map((r) => r.path)).toContain(`/files/${a1.filename}.metadata`);
    expect(s.requests.some((r) => r.path === `/files/${a1.filename}`)).toBe(false);
  });

  it("rejects a .metadata file whose hash differs from the advertised one", async () => {
    const s = await server({
      faults: {
        [`/files/${a1.filename}.metadata`]: { type: "body", body: "Metadata-Version: 2.1\nName: evil\n", contentType: "text/plain" },
      },
    });
    const error = await failure(
      use({ indexUrl: s.url }, async (c) => c.getMetadata((await c.getProject("alpha")).find((f) => f.filename === a1.filename)!)),
    );
    expect(error.code).toBe("HASH_MISMATCH");
    expect(error.message).toContain(`${a1.filename}.metadata: sha256 mismatch`);
  });

  it("reads METADATA with Range requests when there is no .metadata file", async () => {
    const s = await server({ metadata: false });
    const text = await use({ indexUrl: s.url }, async (c) =>
      c.getMetadata((await c.getProject("alpha")).find((f) => f.filename === a2.filename)!),
    );
    expect(text).toBe(a2.metadata);
    const wheelRequests = s.requests.filter((r) => r.path === `/files/${a2.filename}`);
    expect(wheelRequests.length).toBeGreaterThan(0);
    expect(wheelRequests.every((r) => r.headers.range?.startsWith("bytes="))).toBe(true);
  });

  it("downloads the whole wheel when the server ignores Range", async () => {
    const s = await server({ metadata: false, range: false });
    const text = await use({ indexUrl: s.url }, async (c) =>
      c.getMetadata((await c.getProject("alpha")).find((f) => f.filename === a1.filename)!),
    );
    expect(text).toBe(a1.metadata);
  });

  it("caches metadata, so an offline client can answer from the cache", async () => {
    const s = await server({ metadata: false });
    const cache = new MemoryHttpCache();
    const file = await use({ indexUrl: s.url, cache }, async (c) => {
      const f = (await c.getProject("alpha")).find((x) => x.filename === a1.filename)!;
      await c.getMetadata(f);
      return f;
    });
    const count = s.requests.length;
    expect(await use({ indexUrl: s.url, cache, offline: true }, (c) => c.getMetadata(file))).toBe(a1.metadata);
    expect(s.requests.length).toBe(count);
  });
});

describe("several indexes", () => {
  it("first-index takes a project from the first index that has it; 404 moves on", async () => {
    const first = await server({ wheels: [b1] });
    const second = await server({ wheels: [a1, a2, b1] });
    const files = await use({ indexUrl: first.url, extraIndexUrls: [second.url] }, async (c) => ({
      alpha: await c.getProject("alpha"),
      beta: await c.getProject("beta"),
    }));
    expect(files.alpha.every((f) => f.index === second.url)).toBe(true);
    expect(files.beta.map((f) => f.index)).toEqual([first.url]);
  });

  it("unsafe-best-match merges every index", async () => {
    const first = await server({ wheels: [a1] });
    const second = await server({ wheels: [a2] });
    const files = await use({ indexUrl: first.url, extraIndexUrls: [second.url], indexStrategy: "unsafe-best-match" }, (c) =>
      c.getProject("alpha"),
    );
    expect(files.map((f) => f.filename).sort()).toEqual([a1.filename, a2.filename].sort());
  });

  it("PACKAGE_NOT_FOUND names every index searched", async () => {
    const s = await server();
    const error = await failure(use({ indexUrl: s.url, findLinks: [join(dir, "wheels")] }, (c) => c.getProject("gamma")));
    expect(error.code).toBe("PACKAGE_NOT_FOUND");
    expect(error.message).toContain(`no index has a project named "gamma" (searched: ${s.url}, file://`);
  });
});

describe("auth", () => {
  it("sends credentials from the index URL and strips them from everything it returns", async () => {
    const s = await server({ auth: { username: "alice", password: "s3cret-token" } });
    const withCreds = s.url.replace("http://", "http://alice:s3cret-token@");
    const { files, text, client } = await use({ indexUrl: withCreds }, async (c) => {
      const f = await c.getProject("alpha");
      return { files: f, text: await c.getMetadata(f[0]), client: { indexes: c.indexes } };
    });
    expect(text).toContain("Name: alpha");
    expect(JSON.stringify({ files, client })).not.toContain("s3cret-token");
    expect(s.requests.every((r) => r.headers.authorization === `Basic ${Buffer.from("alice:s3cret-token").toString("base64")}`)).toBe(true);
  });

  it("reads credentials from $NETRC", async () => {
    const s = await server({ auth: { username: "bob", password: "from-netrc" } });
    const netrc = join(dir, "netrc");
    writeFileSync(netrc, `# test\nmachine other.example login x password y\nmachine 127.0.0.1\n  login bob\n  password "from-netrc"\n`);
    const files = await use({ indexUrl: s.url, env: { NETRC: netrc } }, (c) => c.getProject("alpha"));
    expect(files).toHaveLength(2);
  });

  it("401 is AUTH_REQUIRED naming the redacted index", async () => {
    const s = await server({ auth: { username: "carol", password: "right" } });
    const wrong = s.url.replace("http://", "http://carol:wrong-pass@");
    const error = await failure(use({ indexUrl: wrong }, (c) => c.getProject("alpha")));
    expect(error.code).toBe("AUTH_REQUIRED");
    // Said as what happened: these credentials went out and were refused (the secret is never shown).
    expect(error.message).toBe(`${s.url} answered 401 for "alpha": the credentials sent for user "carol" were refused`);
    expect(error.hint).toContain("check the user name and password (or token) for 127.0.0.1");
    expect(error.hint).toContain("~/.netrc");
    expect(`${error.message}${error.hint}`).not.toContain("wrong-pass");
  });

  it("drops the Authorization header when a redirect leaves the host", async () => {
    const elsewhere = await server();
    // "localhost" is another host than 127.0.0.1 for the redirect rule, though it is the same machine.
    const target = `${elsewhere.url.replace("127.0.0.1", "localhost")}alpha/`;
    const s = await server({ faults: { "/simple/alpha/": { type: "redirect", location: target } } });
    const files = await use({ indexUrl: s.url.replace("http://", "http://dave:pw-dave@") }, (c) => c.getProject("alpha"));
    expect(files).toHaveLength(2);
    expect(s.requests.find((r) => r.path === "/simple/alpha/")!.headers.authorization).toBeDefined();
    const redirected = elsewhere.requests.find((r) => r.path === "/simple/alpha/")!;
    expect(redirected.headers.authorization).toBeUndefined();
  });
});

describe("HTTP cache and offline", () => {
  it("revalidates a cached page with If-None-Match and reuses it on 304", async () => {
    const s = await server();
    const cache = new MemoryHttpCache();
    const first = await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    const second = await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    expect(second).toEqual(first);
    const pageRequests = s.requests.filter((r) => r.path === "/simple/alpha/");
    expect(pageRequests).toHaveLength(2);
    expect(pageRequests[1].headers["if-none-match"]).toBe(cache.get(`${s.url}alpha/`)!.etag);
  });

  it("uses a page within its Cache-Control max-age without asking; --refresh and an expired page revalidate", async () => {
    const s = await server({ pageHeaders: { "cache-control": "max-age=600, public" } });
    const cache = new MemoryHttpCache();
    const pages = () => s.requests.filter((r) => r.path === "/simple/alpha/");
    const first = await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    expect(await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"))).toEqual(first);
    expect(pages()).toHaveLength(1);
    // --refresh: a conditional request; the 304 keeps the body and renews the lifetime.
    expect(await use({ indexUrl: s.url, cache, refresh: true }, (c) => c.getProject("alpha"))).toEqual(first);
    expect(pages()).toHaveLength(2);
    expect(pages()[1].headers["if-none-match"]).toBe(cache.get(`${s.url}alpha/`)!.etag);
    expect(cache.get(`${s.url}alpha/`)!.freshUntil).toBeGreaterThan(Date.now() + 590_000);
    // Past its lifetime the page is asked for again.
    cache.revalidated(`${s.url}alpha/`, new Date().toISOString(), Date.now() - 1);
    await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    expect(pages()).toHaveLength(3);
  });

  it("a page without max-age (or with no-cache) is revalidated every time", async () => {
    const s = await server({ pageHeaders: { "cache-control": "max-age=600, no-cache" } });
    const cache = new MemoryHttpCache();
    await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    expect(s.requests.filter((r) => r.path === "/simple/alpha/")).toHaveLength(2);
    expect(cache.get(`${s.url}alpha/`)!.freshUntil).toBeUndefined();
  });

  it("offline uses only the cache and names exactly what is missing", async () => {
    const s = await server();
    const cache = new MemoryHttpCache();
    await use({ indexUrl: s.url, cache }, (c) => c.getProject("alpha"));
    const count = s.requests.length;
    const files = await use({ indexUrl: s.url, cache, offline: true }, (c) => c.getProject("alpha"));
    expect(files).toHaveLength(2);
    const error = await failure(use({ indexUrl: s.url, cache, offline: true }, (c) => c.getProject("beta")));
    expect(error.code).toBe("OFFLINE_MISSING");
    expect(error.message).toBe(`offline: the project page for "beta" from ${s.url} is not in the cache`);
    const download = await failure(
      use({ indexUrl: s.url, cache, offline: true }, (c) => c.downloadToFile(files[0], join(dir, "offline.whl"))),
    );
    expect(download.code).toBe("OFFLINE_MISSING");
    expect(s.requests.length).toBe(count);
  });

  it("offline remembers that an earlier index lacked the project (first-index stays safe)", async () => {
    const first = await server({ wheels: [b1] });
    const second = await server({ wheels: [a1] });
    const cache = new MemoryHttpCache();
    const opts = { indexUrl: first.url, extraIndexUrls: [second.url], cache };
    await use(opts, (c) => c.getProject("alpha"));
    const files = await use({ ...opts, offline: true }, (c) => c.getProject("alpha"));
    expect(files.map((f) => f.index)).toEqual([second.url]);
  });
});

describe("local sources", () => {
  it("reads a file:// index directory (index.html or a plain directory) and --find-links dirs and pages", async () => {
    const root = join(dir, "static");
    mkdirSync(join(root, "alpha"), { recursive: true });
    mkdirSync(join(root, "Beta"), { recursive: true });
    copyFileSync(a1.path, join(root, "alpha", a1.filename));
    writeFileSync(join(root, "alpha", "index.html"), `<a href="${a1.filename}#sha256=${a1.sha256}">${a1.filename}</a>`);
    copyFileSync(b1.path, join(root, "Beta", b1.filename));
    const fileIndex = pathToFileURL(root).toString();
    const out = await use({ indexUrl: fileIndex, offline: true }, async (c) => {
      const alpha = await c.getProject("alpha");
      const beta = await c.getProject("beta");
      const dest = join(dir, "copied.whl");
      await c.downloadToFile(beta[0], dest);
      return { alpha, beta, meta: await c.getMetadata(beta[0]), copied: readFileSync(dest) };
    });
    expect(out.alpha.map((f) => [f.filename, f.hashes.sha256])).toEqual([[a1.filename, a1.sha256]]);
    expect(out.beta[0]).toMatchObject({ filename: b1.filename, hashes: { sha256: b1.sha256 }, size: b1.size });
    expect(out.meta).toBe(b1.metadata);
    expect(out.copied.equals(b1.bytes)).toBe(true);

    const page = join(dir, "links.html");
    writeFileSync(page, `<html><a href="wheels/${a2.filename}">a2</a><a href="wheels/${b1.filename}">b1</a></html>`);
    const links = await use({ indexUrl: fileIndex, findLinks: [join(dir, "wheels"), pathToFileURL(page).toString()], offline: true }, (c) =>
      c.getProject("alpha"),
    );
    expect(links.map((f) => f.filename).sort()).toEqual([a1.filename, a2.filename].sort());
  });
});

describe("downloads", () => {
  it("downloads and verifies into place, leaving no temp files", async () => {
    const s = await server();
    const out = join(dir, "dl");
    const written = await use({ indexUrl: s.url }, async (c) => c.downloadToFile((await c.getProject("beta"))[0], join(out, b1.filename)));
    expect(written).toMatchObject({ sha256: b1.sha256, size: b1.size });
    expect(readdirSync(out)).toEqual([b1.filename]);
  });

  it("completes many metadata reads and downloads issued at once under a small concurrency limit", async () => {
    const s = await server();
    const files = await use({ indexUrl: s.url, concurrency: 2 }, async (c) => {
      const all = await c.getProject("alpha");
      await Promise.all(all.flatMap((f) => [c.getMetadata(f), c.downloadToFile(f, join(dir, "par", f.filename))]));
      return all;
    });
    expect(readdirSync(join(dir, "par")).sort()).toEqual(files.map((f) => f.filename).sort());
  });
});

describe("index pins", () => {
  it("looks a pinned project up on its index only", async () => {
    const main = await server({ wheels: [a1, a2] });
    const internal = await server({ wheels: [b1] });
    const impostor = await server({ wheels: [a1, b1] });
    const result = await use(
      { indexUrl: impostor.url, extraIndexUrls: [main.url], indexPins: { Beta: internal.url, ALPHA: main.url } },
      async (c) => ({
        alpha: await c.getProject("alpha"),
        beta: await c.getProject("beta"),
      }),
    );
    expect(result.alpha.map((f) => f.index)).toEqual([main.url, main.url]);
    expect(result.beta.map((f) => f.index)).toEqual([internal.url]);
    expect(impostor.requests.filter((r) => r.path.startsWith("/simple/"))).toEqual([]);
    const error = await failure(use({ indexUrl: impostor.url, indexPins: { gamma: internal.url } }, (c) => c.getProject("gamma")));
    expect(error.message).toBe(`"gamma" is pinned to ${internal.url}, which has no such project`);
  });
});

describe("semaphore", () => {
  it("never runs more than its limit at once", async () => {
    const { Semaphore } = await import("../../src/util/semaphore.js");
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sem.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, i % 3));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates", async () => {
    const { retryAfterMs } = await import("../../src/index-client/http.js");
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs("Wed, 01 Jan 2020 00:00:10 GMT", Date.parse("2020-01-01T00:00:00Z"))).toBe(10_000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
