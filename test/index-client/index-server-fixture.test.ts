// The index server fixture itself: negotiation, Range, ETag, auth, faults (other areas' tests rely on it).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiate, startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";

let dir: string;
let wheel: BuiltWheel;
let server: IndexServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-fixture-"));
  wheel = await buildWheel({ name: "Demo.Pkg", version: "1.0", requiresPython: ">=3.8,<4" }, dir);
  server = await startIndexServer({
    wheels: [wheel],
    yanked: { [wheel.filename]: "broken <b>" },
    uploadTimes: { [wheel.filename]: "2024-01-02T03:04:05Z" },
    faults: { "/files/missing-500": { type: "status", status: 500, times: 1 } },
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("index server fixture", () => {
  it("negotiates JSON vs HTML by q-value", () => {
    expect(negotiate("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01", true)).toBe(
      "application/vnd.pypi.simple.v1+json",
    );
    expect(negotiate("application/vnd.pypi.simple.v1+json;q=0.1, text/html", true)).toBe("text/html");
    expect(negotiate("application/vnd.pypi.simple.v1+json, text/html;q=0.01", false)).toBe("text/html");
    expect(negotiate("application/json", true)).toBeUndefined();
  });

  it("serves JSON with hashes, size, yanked reason, upload-time and escaped HTML", async () => {
    const json = await request(`${server.url}demo-pkg/`, { headers: { accept: "application/vnd.pypi.simple.v1+json" } });
    const body = (await json.body.json()) as Record<string, unknown>;
    expect(body.meta["api-version"]).toBe("1.1");
    expect(body.files[0]).toMatchObject({
      filename: wheel.filename,
      hashes: { sha256: wheel.sha256 },
      size: wheel.size,
      yanked: "broken <b>",
      "upload-time": "2024-01-02T03:04:05Z",
      "requires-python": ">=3.8,<4",
    });
    const html = await (await request(`${server.url}demo-pkg/`)).body.text();
    expect(html).toContain('data-requires-python="&gt;=3.8,&lt;4"');
    expect(html).toContain(`#sha256=${wheel.sha256}`);
    expect(html).toContain('data-yanked="broken &lt;b&gt;"');
  });

  it("honours Range and records requests", async () => {
    const res = await request(`${server.origin}/files/${wheel.filename}`, { headers: { range: "bytes=-22" } });
    expect(res.statusCode).toBe(206);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(bytes.equals(wheel.bytes.subarray(wheel.bytes.length - 22))).toBe(true);
    expect(server.requests.some((r) => r.headers.range === "bytes=-22")).toBe(true);
  });

  it("answers faults for their count, then normally", async () => {
    const first = await request(`${server.origin}/files/missing-500`);
    await first.body.dump();
    const second = await request(`${server.origin}/files/missing-500`);
    await second.body.dump();
    expect([first.statusCode, second.statusCode]).toEqual([500, 404]);
  });

  it("serves HTTPS with a generated CA and Basic auth", async () => {
    const secure = await startIndexServer({ wheels: [wheel], https: true, auth: { username: "u", password: "p" } });
    const dispatcher = new Agent({ connect: { ca: secure.ca } });
    try {
      const denied = await request(secure.url, { dispatcher });
      await denied.body.dump();
      expect(denied.statusCode).toBe(401);
      expect(denied.headers["www-authenticate"]).toContain("Basic");
      const ok = await request(secure.url, { dispatcher, headers: { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` } });
      expect(await ok.body.text()).toContain("demo-pkg");
    } finally {
      await dispatcher.close();
      await secure.close();
    }
  });
});
