// `pystore serve` against hostile URLs, sent byte for byte over a raw socket (no client normalizes them):
// traversal in every spelling, encoded slashes and backslashes, NUL, names that are no project's, URLs
// longer than any index needs, unknown files, odd methods, and byte ranges valid, invalid and beyond the
// end. The server answers each with a 3xx/4xx (never a store file it was not asked for, never a 500) and
// keeps serving.

import { connect } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { type RunningServer, serveStore } from "../../src/store/serve.js";
import { openStore, type Store } from "../../src/store/store.js";
import { memoryLogger } from "../../src/util/log.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

let work: { path: string; cleanup: () => Promise<void> };
let store: Store;
let server: RunningServer;
let wheels: BuiltWheel[];
let port: number;
const log = memoryLogger();

beforeAll(async () => {
  work = await tempDir("serve-urls");
  wheels = await buildWheels(
    [
      { name: "alpha", version: "1.0", files: { "alpha/__init__.py": "", "alpha/data.bin": Buffer.alloc(5000, 7) } },
      { name: "beta", version: "2.0" },
    ],
    join(work.path, "wheels"),
  );
  store = await openStore({ dir: join(work.path, "store"), log });
  for (const w of wheels) await store.addWheelFile(w.path);
  server = await serveStore(store, { host: "127.0.0.1", port: 0 });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server.close();
  store.close();
  await work.cleanup();
});

/** Send `head` (request line and headers, CRLF-separated, without the final blank line) and read the answer. */
function raw(head: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${JSON.stringify(head.slice(0, 80))}`));
    }, timeoutMs);
    socket.on("data", (d) => chunks.push(d));
    // The server may answer and close before it has read all of a huge request: EPIPE/ECONNRESET on our
    // side then, with the answer already received.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      if (split < 0) return reject(new Error(`no HTTP answer to ${JSON.stringify(head.slice(0, 80))}: ${JSON.stringify(all.toString())}`));
      const [statusLine, ...lines] = all.subarray(0, split).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: all.subarray(split + 4) });
    });
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

const get = (path: string, extra: string[] = []) => raw([`GET ${path} HTTP/1.1`, ...extra].join("\r\n"));

const fileOf = (w: BuiltWheel) => `/files/${w.sha256}/${w.filename}`;

/** The answer is no file of the store's (nor any other file): a redirect within /simple/ or an error. */
async function expectRefused(path: string, res: RawResponse): Promise<void> {
  expect([301, 400, 404, 414], `${path} → ${res.status}`).toContain(res.status);
  const dbHead = (await readFile(join(store.dir, "store.db"))).subarray(0, 16);
  expect(res.body.includes(dbHead), path).toBe(false);
  expect(res.body.toString("latin1"), path).not.toMatch(/root:|PK\u0003\u0004/);
  if (res.status === 301) expect(res.headers.location, path).toMatch(/^\/simple\/([a-z0-9]+(-[a-z0-9]+)*\/)?$/);
}

describe("traversal and odd spellings in URLs", () => {
  const a = () => wheels[0];
  const cases: [string, () => string][] = [
    ["dot-dot to the database", () => "/../store.db"],
    ["dot-dot from files/", () => "/files/../store.db"],
    ["dot-dot after a digest", () => `/files/${a().sha256}/../../store.db`],
    ["encoded slashes", () => `/files/${a().sha256}/..%2f..%2fstore.db`],
    ["encoded dots and slashes", () => `/files/${a().sha256}/%2e%2e%2f%2e%2e%2fstore.db`],
    ["upper-case encodings", () => `/files/${a().sha256}/%2E%2E%2F%2E%2E%2Fstore.db`],
    ["double encoding", () => `/files/${a().sha256}/%252e%252e%252fstore.db`],
    ["backslashes", () => `/files/${a().sha256}\\..\\..\\store.db`],
    ["encoded backslashes", () => `/files/${a().sha256}/..%5c..%5cstore.db`],
    ["an encoded slash inside the file name", () => `/files/${a().sha256}%2f${a().filename}`],
    ["an absolute path after the digest", () => `/files/${a().sha256}/%2fetc%2fpasswd`],
    ["dot-dot out of a project page", () => "/simple/alpha/..%2f..%2fstore.db"],
    ["encoded dot-dots to /etc/passwd", () => "/%2e%2e/%2e%2e/%2e%2e/etc/passwd"],
    ["a doubled leading slash", () => "//etc/passwd"],
    ["the store's own layout", () => `/wheels/${store.get(a().sha256)!.entryName}/${a().filename}`],
    ["the store's tmp directory", () => "/tmp/"],
    ["NUL after a file name", () => `${fileOf(a())}%00`],
    ["NUL before .metadata", () => `${fileOf(a())}%00.metadata`],
    ["NUL in a project name", () => "/simple/alpha%00/"],
    ["a raw tab in a name", () => "/simple/al%09pha/"],
    ["a malformed escape", () => "/simple/%zz/"],
    ["an escape that is no UTF-8", () => "/simple/%ff/"],
    ["a truncated escape", () => "/simple/alpha%"],
    ["an absolute-form URL with traversal", () => "http://example.invalid/../store.db"],
  ];
  it.each(cases)("%s: refused or redirected within /simple/, never a stray file", async (_, path) => {
    const res = await get(path());
    await expectRefused(path(), res);
  });

  it.each([
    ["backslashes", "/simple/..%5c..%5c/"],
    ["only dots", "/simple/.../"],
    ["a leading dash", "/simple/-alpha/"],
    ["non-ASCII that lower-cases", "/simple/%C3%89/"],
    ["a character no HTTP header may carry", "/simple/%E2%82%AC_x/"],
    ["a space", "/simple/al%20pha/"],
  ])("a name that is no project's name (%s) is 400 or 404, never a redirect built from it", async (_, path) => {
    const res = await get(path);
    expect([400, 404], path).toContain(res.status);
    expect(res.headers.location).toBeUndefined();
  });

  it("a non-canonical spelling of a real name is still redirected to its canonical page", async () => {
    const res = await get("/simple/ALPHA");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("/simple/alpha/");
  });

  it("an absolute-form request (as proxies send) is answered by its path, on this server only", async () => {
    const res = await get("http://example.invalid/simple/alpha/");
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain(wheels[0].filename);
  });

  it("never answers 500 or logs a failure for any of them", () => {
    expect(log.lines.filter((l) => l.includes("serve:"))).toEqual([]);
  });
});

describe("very long URLs", () => {
  it.each([
    ["just over the limit the server allows", 9_000],
    ["over Node's header limit", 20_000],
    ["a megabyte", 1_000_000],
  ])("%s (%i characters) is 414 URI Too Long, and the server keeps serving", async (_, length) => {
    const res = await get(`/simple/${"a".repeat(length)}/`);
    expect(res.status).toBe(414);
    expect((await get("/simple/alpha/")).status).toBe(200);
  });

  it("a long header (not URL) is 431, as Node answers it", async () => {
    const res = await get("/simple/alpha/", [`X-Padding: ${"p".repeat(20_000)}`]);
    expect(res.status).toBe(431);
  });

  it("a long but reasonable project URL is still answered", async () => {
    const res = await get(`/simple/${"a".repeat(2000)}/`);
    expect(res.status).toBe(404);
  });
});

describe("unknown files and methods", () => {
  it.each([
    ["an unknown digest", () => `/files/${"0".repeat(64)}/alpha-1.0-py3-none-any.whl`],
    ["a known digest with another file's name", () => `/files/${wheels[0].sha256}/${wheels[1].filename}`],
    ["an upper-case digest", () => `/files/${wheels[0].sha256.toUpperCase()}/${wheels[0].filename}`],
    ["a short digest", () => `/files/${wheels[0].sha256.slice(0, 12)}/${wheels[0].filename}`],
    ["the files root", () => "/files/"],
    ["an unknown project", () => "/simple/no-such-project/"],
    ["metadata of an unknown digest", () => `/files/${"f".repeat(64)}/x-1.0-py3-none-any.whl.metadata`],
  ])("%s is 404", async (_, path) => {
    expect((await get(path())).status).toBe(404);
  });

  it.each(["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])("%s is 405 with Allow: GET, HEAD", async (method) => {
    const res = await raw(`${method} /simple/ HTTP/1.1\r\nContent-Length: 0`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });
});

describe("HEAD and byte ranges", () => {
  const bytes = () => wheels[0].bytes;
  const size = () => wheels[0].size;

  it("HEAD of a file: its length, no body", async () => {
    const res = await raw(`HEAD ${fileOf(wheels[0])} HTTP/1.1`);
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(size()));
    expect(res.body.length).toBe(0);
  });

  it("HEAD with a range: 206 and the range's length, no body", async () => {
    const res = await raw(`HEAD ${fileOf(wheels[0])} HTTP/1.1\r\nRange: bytes=10-19`);
    expect(res.status).toBe(206);
    expect(res.headers["content-length"]).toBe("10");
    expect(res.headers["content-range"]).toBe(`bytes 10-19/${size()}`);
    expect(res.body.length).toBe(0);
  });

  it.each([
    ["the first byte", "bytes=0-0", 0, 0],
    ["the last byte", () => `bytes=${size() - 1}-`, -1, -1],
    ["a suffix", "bytes=-100", -100, -1],
    ["a suffix longer than the file", "bytes=-99999999", 0, -1],
    ["an end beyond the file", "bytes=5-99999999999999999999", 5, -1],
  ] as const)("%s is 206 with exactly those bytes", async (_, header, from, to) => {
    const h = typeof header === "function" ? header() : header;
    const res = await get(fileOf(wheels[0]), [`Range: ${h}`]);
    const start = from < 0 ? size() + from : from;
    const end = to < 0 ? size() + to : to;
    expect(res.status).toBe(206);
    expect(res.headers["content-range"]).toBe(`bytes ${start}-${end}/${size()}`);
    expect(res.body.equals(bytes().subarray(start, end + 1))).toBe(true);
  });

  it.each([
    ["starting at the end", () => `bytes=${size()}-`],
    ["starting far beyond the end", () => "bytes=99999999999999999999-"],
    ["an empty suffix", () => "bytes=-0"],
    ["an end before its start", () => "bytes=9-3"],
  ])("a range %s is 416 with Content-Range: bytes */size", async (_, header) => {
    const res = await get(fileOf(wheels[0]), [`Range: ${header()}`]);
    expect(res.status).toBe(416);
    expect(res.headers["content-range"]).toBe(`bytes */${size()}`);
    expect(res.body.length).toBe(0);
  });

  it.each([
    ["several ranges", "bytes=0-1,5-6"],
    ["another unit", "items=0-1"],
    ["no numbers", "bytes=-"],
    ["letters", "bytes=a-b"],
    ["a negative start", "bytes=--5"],
    ["garbage", "\u00ff\u00fe"],
  ])("%s: the Range header is ignored and the whole file sent (RFC 9110 allows it)", async (_, header) => {
    const res = await get(fileOf(wheels[0]), [`Range: ${header}`]);
    expect(res.status).toBe(200);
    expect(res.body.equals(bytes())).toBe(true);
  });

  it("a range on a page or a .metadata file is ignored", async () => {
    const page = await get("/simple/alpha/", ["Range: bytes=0-3"]);
    expect(page.status).toBe(200);
    const meta = await get(`${fileOf(wheels[0])}.metadata`, ["Range: bytes=0-3"]);
    expect(meta.status).toBe(200);
    expect(meta.body.toString()).toBe(wheels[0].metadata);
  });
});
