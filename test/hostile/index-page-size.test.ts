// Page sizes: a 50 MB project page is refused at the documented 40 MiB limit (by Content-Length, or while
// streaming when there is none) without holding it in memory; a page of 100,000 files is read and
// resolved in reasonable time and memory.

import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { MAX_PROJECT_PAGE_BYTES } from "../../src/index-client/sources.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { failure, withClient } from "../index-client/helpers.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const FIFTY_MB = 50 * 1000 * 1000;

let work: TempDir;
let real: BuiltWheel;
let big: IndexServer;
let streaming: Server;
let streamingUrl: string;
let bigPage: string;

/** A page of `count` files of `big`: fake old versions, then the one real wheel as the newest. */
function hugePage(count: number): string {
  const files = [];
  for (let i = 0; i < count; i++) {
    const filename = `big-0.${i}-py3-none-any.whl`;
    files.push({
      filename,
      url: `../../files/${filename}`,
      hashes: { sha256: createHash("sha256").update(filename).digest("hex") },
      size: 1000,
    });
  }
  const metadata = createHash("sha256").update(real.metadata).digest("hex");
  files.push({
    filename: real.filename,
    url: `../../files/${real.filename}`,
    hashes: { sha256: real.sha256 },
    size: real.size,
    "core-metadata": { sha256: metadata },
  });
  return JSON.stringify({ meta: { "api-version": "1.1" }, name: "big", files });
}

beforeAll(async () => {
  work = await tempDir("hostile-page-size");
  real = await buildWheel({ name: "big", version: "1.0" }, join(work.path, "wheels"));
  bigPage = hugePage(100_000);
  const padding = " ".repeat(FIFTY_MB);
  big = await startIndexServer({
    wheels: [real],
    faults: {
      "/simple/big/": { type: "body", body: bigPage, contentType: JSON_TYPE },
      "/simple/fat/": {
        type: "body",
        body: `{"meta": {"api-version": "1.1"}, "name": "fat", "files": []${padding}}`,
        contentType: JSON_TYPE,
      },
    },
  });
  // No Content-Length: 50 MB in 64 KiB chunks, as a chunked response; only the running count can stop it.
  streaming = createServer((_req, res) => {
    res.writeHead(200, { "content-type": JSON_TYPE });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < FIFTY_MB) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
      res.end();
    };
    res.on("error", () => {});
    pump();
  });
  await new Promise<void>((resolve) => streaming.listen(0, "127.0.0.1", resolve));
  streamingUrl = `http://127.0.0.1:${(streaming.address() as { port: number }).port}/simple/`;
}, 120_000);

afterAll(async () => {
  await big?.close();
  streaming?.closeAllConnections();
  await new Promise((resolve) => streaming?.close(resolve));
  await work?.cleanup();
});

describe("a 50 MB project page", () => {
  it("is refused by its Content-Length before it is read", async () => {
    const error = await failure(withClient({ indexUrl: big.url, env: {} }, (c) => c.getProject("fat")));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toMatch(
      new RegExp(`^the page ${big.url}fat/ is too large: \\d+ bytes, more than the ${MAX_PROJECT_PAGE_BYTES} byte \\(40 MiB\\) limit$`),
    );
  });

  it("is refused while streaming when it has no Content-Length, without holding it in memory", async () => {
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = await failure(withClient({ indexUrl: streamingUrl, env: {} }, (c) => c.getProject("endless")));
    expect(error.code).toBe("INVALID_INDEX_RESPONSE");
    expect(error.message).toBe(
      `the page ${streamingUrl}endless/ is too large: more than the ${MAX_PROJECT_PAGE_BYTES} byte (40 MiB) limit`,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    // Chunks up to the limit are held, never the whole 50 MB, and never a decoded string of it.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
  });

  it("through the CLI: exit 5, the limit named, no lock written", async () => {
    const dir = join(work.path, "cli-fat");
    await mkdir(dir);
    const r = await runCli(["lock", "fat", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", big.url], {
      cwd: dir,
      env: { PYSTORE_STORE: join(dir, "store"), PYSTORE_INDEX_URL: "", NETRC: "", PYSTORE_RETRIES: "0" },
    });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain("40 MiB");
    expect(r.stderr).toContain("hint: a simple-API page that large is a misconfigured or hostile index");
  });
});

describe("a page of 100,000 files", () => {
  it("stays under the limit and lists every file in reasonable time and memory", async () => {
    expect(Buffer.byteLength(bigPage)).toBeLessThan(MAX_PROJECT_PAGE_BYTES);
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const files = await withClient({ indexUrl: big.url, env: {} }, (c) => c.getProject("big"));
    const elapsed = performance.now() - started;
    expect(files).toHaveLength(100_001);
    expect(elapsed).toBeLessThan(10_000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(400 * 1024 * 1024);
  });

  it("locks the newest version through the CLI, reading one metadata file", async () => {
    const dir = join(work.path, "cli-big");
    await mkdir(dir);
    const before = big.requests.length;
    const started = performance.now();
    const r = await runCli(["lock", "big", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", big.url], {
      cwd: dir,
      env: { PYSTORE_STORE: join(dir, "store"), PYSTORE_INDEX_URL: "", NETRC: "", PYSTORE_RETRIES: "0" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - started).toBeLessThan(30_000);
    const lock = parsePylock(await import("node:fs/promises").then((fs) => fs.readFile(join(dir, "pylock.toml"), "utf8")));
    expect(lock.packages.map((p) => [p.name, p.version])).toEqual([["big", "1.0"]]);
    expect(big.requests.slice(before).filter((q) => q.path.endsWith(".metadata"))).toHaveLength(1);
  }, 60_000);
});
