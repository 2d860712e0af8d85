// The shared index options: flags over PYSTORE_* variables, --no-index in indexClientOptions and in the
// client (find-links only, credentials of ignored index URLs still usable, pins ignored with a warning).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { IndexClient } from "../../src/index-client/client.js";
import { envFlag, indexClientOptions } from "../../src/commands/settings.js";
import { memoryLogger, silentLogger } from "../../src/util/log.js";

let dir: string;
let wheel: BuiltWheel;
let server: IndexServer;
const ctx = (env: NodeJS.ProcessEnv = {}) => ({ env, cwd: "/somewhere", log: silentLogger });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-options-"));
  wheel = await buildWheel({ name: "linked", version: "1.0" }, join(dir, "links"));
  server = await startIndexServer({ wheels: [wheel] });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("indexClientOptions", () => {
  it("takes flags over the PYSTORE_* variables", () => {
    const env = {
      PYSTORE_INDEX_URL: "https://env.test/simple/",
      PYSTORE_EXTRA_INDEX_URL: "https://e1.test/ https://e2.test/",
      PYSTORE_CONNECT_TIMEOUT: "2.5",
      PYSTORE_READ_TIMEOUT: "7",
      PYSTORE_RETRIES: "1",
      PYSTORE_CONCURRENCY: "3",
    };
    const fromEnv = indexClientOptions({}, ctx(env));
    expect(fromEnv).toMatchObject({
      indexUrl: "https://env.test/simple/",
      extraIndexUrls: ["https://e1.test/", "https://e2.test/"],
      connectTimeoutMs: 2500,
      readTimeoutMs: 7000,
      retries: 1,
      concurrency: 3,
      noIndex: false,
      indexStrategy: "first-index",
      cwd: "/somewhere",
    });
    const fromFlags = indexClientOptions(
      {
        indexUrl: "https://flag.test/simple/",
        extraIndexUrl: ["https://x.test/"],
        connectTimeout: "1",
        readTimeout: "0.5",
        retries: "0",
        indexStrategy: "unsafe-best-match",
      },
      ctx(env),
    );
    expect(fromFlags).toMatchObject({
      indexUrl: "https://flag.test/simple/",
      extraIndexUrls: ["https://x.test/"],
      connectTimeoutMs: 1000,
      readTimeoutMs: 500,
      retries: 0,
      indexStrategy: "unsafe-best-match",
    });
  });

  it("turns --no-index (commander's index=false) and PYSTORE_NO_INDEX into noIndex", () => {
    expect(indexClientOptions({ index: false }, ctx()).noIndex).toBe(true);
    expect(indexClientOptions({ index: true }, ctx()).noIndex).toBe(false);
    expect(indexClientOptions({}, ctx({ PYSTORE_NO_INDEX: "1" })).noIndex).toBe(true);
    expect(indexClientOptions({}, ctx({ PYSTORE_NO_INDEX: "false" })).noIndex).toBe(false);
    expect(() => envFlag({ PYSTORE_NO_INDEX: "maybe" }, "PYSTORE_NO_INDEX")).toThrow(/PYSTORE_NO_INDEX="maybe" is not a boolean/);
  });

  it("rejects bad values: flags as usage errors, variables as configuration errors", () => {
    expect(() => indexClientOptions({ retries: "-1" }, ctx())).toThrow(
      expect.objectContaining({ code: "USAGE", message: expect.stringContaining("--retries") }),
    );
    expect(() => indexClientOptions({ connectTimeout: "soon" }, ctx())).toThrow(expect.objectContaining({ code: "USAGE" }));
    expect(() => indexClientOptions({}, ctx({ PYSTORE_READ_TIMEOUT: "0" }))).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    expect(() => indexClientOptions({ indexStrategy: "best" }, ctx())).toThrow(
      expect.objectContaining({ code: "USAGE", message: expect.stringContaining('"best"') }),
    );
  });
});

describe("IndexClient with noIndex", () => {
  it("lists find-links only and never asks an index, not even a pinned one", async () => {
    const log = memoryLogger();
    const client = new IndexClient({
      noIndex: true,
      indexUrl: server.url,
      extraIndexUrls: [server.url],
      indexPins: { linked: server.url },
      findLinks: [join(dir, "links")],
      env: { HOME: dir },
      log,
      retries: 0,
    });
    try {
      expect(client.indexes).toEqual([]);
      const files = await client.getProject("Linked");
      expect(files.map((f) => f.filename)).toEqual([wheel.filename]);
      expect(files[0].url.startsWith("file:")).toBe(true);
      await expect(client.getProject("elsewhere")).rejects.toMatchObject({
        code: "PACKAGE_NOT_FOUND",
        hint: expect.stringContaining("--find-links"),
      });
    } finally {
      await client.close();
    }
    expect(server.requests).toEqual([]);
    expect(log.lines).toContain("warn: --no-index: ignoring the index pins of linked; they come from --find-links only");
  });

  it("still uses the credentials of the ignored index URLs for downloads from that host", async () => {
    const guarded = await startIndexServer({ wheels: [wheel], auth: { username: "u", password: "p" } });
    try {
      const url = guarded.url.replace("http://", "http://u:p@");
      const client = new IndexClient({ noIndex: true, indexUrl: url, env: { HOME: dir }, retries: 0 });
      const file = {
        filename: wheel.filename,
        url: new URL(`../files/${wheel.filename}`, guarded.url).toString(),
        hashes: { sha256: wheel.sha256 },
        size: wheel.size,
        index: guarded.url,
      };
      try {
        const written = await client.downloadToFile(file, join(dir, "downloaded.whl"));
        expect(written.sha256).toBe(wheel.sha256);
      } finally {
        await client.close();
      }
      expect(guarded.requests.some((r) => r.path.startsWith("/simple/"))).toBe(false);
    } finally {
      await guarded.close();
    }
  });
});
