// The part of undici loaded without its index.js (src/index-client/undici-core.ts): the files it names still
// export what pystore uses, requests go through a given dispatcher with undici's own URL rules, and
// undici's index.js (fetch, WebSocket, mocks) is not what loads them.

import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUndiciCore } from "../../src/index-client/undici-core.js";

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(`${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("undici's core without its index", () => {
  it("has the classes and the request function pystore uses", () => {
    const core = loadUndiciCore();
    expect(typeof core.Agent).toBe("function");
    expect(typeof core.ProxyAgent).toBe("function");
    expect(typeof core.Pool).toBe("function");
    expect(typeof core.request).toBe("function");
    // ProxyAgent opens CONNECT tunnels with the dispatcher API index.js would have installed.
    const agent = new core.Agent();
    expect(typeof agent.connect).toBe("function");
    expect(typeof agent.request).toBe("function");
    return agent.close();
  });

  it("loads without undici's index.js", () => {
    const require = createRequire(import.meta.url);
    const index = require.resolve("undici");
    const before = index in require.cache;
    loadUndiciCore();
    expect(index in require.cache).toBe(before);
  });

  it("sends a request with its path and query through the given dispatcher", async () => {
    const { Agent, request } = loadUndiciCore();
    const dispatcher = new Agent();
    try {
      const res = await request(`${origin}/files/a.whl?x=1`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe("GET /files/a.whl?x=1");
      const head = await request(`${origin}/simple/`, { dispatcher, method: "HEAD" });
      expect(head.statusCode).toBe(200);
      await head.body.dump();
    } finally {
      await dispatcher.close();
    }
  });

  it("refuses a URL that is not http(s), as undici's request does", async () => {
    const { Agent, request } = loadUndiciCore();
    const dispatcher = new Agent();
    try {
      expect(() => request("ftp://127.0.0.1/x", { dispatcher })).toThrow(/http/);
    } finally {
      await dispatcher.close();
    }
  });
});
