// The store's index server, in-process: negotiation, PEP 503 redirects, and never serving corrupt bytes.

import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { serveStore, type RunningServer } from "../../src/store/serve.js";
import { parseRange } from "../../src/store/serve-file.js";
import { openStore, type Store } from "../../src/store/store.js";
import { memoryLogger } from "../../src/util/log.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let store: Store;
let server: RunningServer;
const log = memoryLogger();

beforeAll(async () => {
  work = await tempDir("serve-unit");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  store = await openStore({ dir: join(work.path, "store"), log });
  for (const w of wheels) await store.addWheelFile(w.path);
  server = await serveStore(store, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server.close();
  store.close();
  await work.cleanup();
});

describe("serveStore", () => {
  it("lists canonical project names in JSON and HTML", async () => {
    const json = (await (await fetch(server.url, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } })).json()) as {
      projects: { name: string }[];
    };
    expect(json.projects.map((p: { name: string }) => p.name)).toEqual(["alpha", "beta", "gamma", "zope-interface"]);
    const html = await fetch(server.url, { headers: { Accept: "text/html" } });
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(await html.text()).toContain('<a href="zope-interface/">zope-interface</a>');
  });

  it("prefers HTML when the client ranks it higher, and answers HEAD without a body", async () => {
    const res = await fetch(`${server.url}beta/`, {
      headers: { Accept: "application/vnd.pypi.simple.v1+json;q=0.1, application/vnd.pypi.simple.v1+html" },
    });
    expect(res.headers.get("content-type")).toBe("application/vnd.pypi.simple.v1+html");
    const head = await fetch(`${server.url}beta/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${server.url}beta/`, { method: "POST" })).status).toBe(405);
  });

  it("redirects a missing slash and non-normalized names", async () => {
    const res = await fetch(`${server.url}Zope.Interface`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/simple/zope-interface/");
  });

  it("refuses to serve a file whose bytes no longer match its hash", async () => {
    const entry = store.find("gamma")[0];
    const url = `${new URL(server.url).origin}/files/${entry.sha256}/${entry.filename}`;
    expect(Buffer.from(await (await fetch(url)).arrayBuffer())).toEqual(await readFile(entry.path));
    await chmod(entry.path, 0o644);
    const bytes = await readFile(entry.path);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(entry.path, bytes);
    const res = await fetch(url);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("corrupted");
    expect(log.lines.some((l) => l.includes("no longer matches"))).toBe(true);
    // The metadata still comes from the row, and a wrong filename for a digest is a 404.
    expect((await fetch(`${url}.metadata`)).status).toBe(200);
    expect((await fetch(`${new URL(server.url).origin}/files/${entry.sha256}/other-1.0-py3-none-any.whl`)).status).toBe(404);
  });
});

describe("serving wheel files", () => {
  const fileUrl = (entry: { sha256: string; filename: string }) => `${new URL(server.url).origin}/files/${entry.sha256}/${entry.filename}`;

  it("answers one byte range with 206, a suffix range, and an unsatisfiable one with 416", async () => {
    const entry = store.find("alpha")[0];
    const bytes = await readFile(entry.path);
    const part = await fetch(fileUrl(entry), { headers: { Range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    const tail = await fetch(fileUrl(entry), { headers: { Range: "bytes=-22" } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 22));
    const beyond = await fetch(fileUrl(entry), { headers: { Range: `bytes=${bytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
    const whole = await fetch(fileUrl(entry), { headers: { Range: "bytes=0-1,5-6" } });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);
  });

  it("answers HEAD for a file with its length and no body", async () => {
    const entry = store.find("alpha")[0];
    const head = await fetch(fileUrl(entry), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(entry.size));
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(await head.text()).toBe("");
  });

  it("answers 400, not a redirect or a 500, for a control character in the path", async () => {
    const res = await fetch(`${new URL(server.url).origin}/simple/al%0Apha`, { redirect: "manual" });
    expect(res.status).toBe(400);
  });
});

describe("parseRange", () => {
  it.each([
    [undefined, 100, undefined],
    ["bytes=0-9", 100, { start: 0, end: 9 }],
    ["bytes=90-", 100, { start: 90, end: 99 }],
    ["bytes=95-200", 100, { start: 95, end: 99 }],
    ["bytes=-10", 100, { start: 90, end: 99 }],
    ["bytes=-200", 100, { start: 0, end: 99 }],
    ["bytes=100-", 100, "unsatisfiable"],
    ["bytes=9-3", 100, "unsatisfiable"],
    ["bytes=-0", 100, "unsatisfiable"],
    ["bytes=0-1,4-5", 100, undefined],
    ["items=0-1", 100, undefined],
    ["bytes=-", 100, undefined],
  ] as const)("%s of %i bytes", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
