// `pystore serve` under many slow clients: a 48 MB wheel fetched by 200 clients that stop reading must
// not be held in memory per connection (each would cost the whole wheel), and the pages stay responsive.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltWheel, buildWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const CLIENTS = 200;
/** Whole-wheel buffers would need CLIENTS × 48 MB; streaming needs socket buffers per client. */
const RSS_CEILING = 400 * 1024 * 1024;

let work: { path: string; cleanup: () => Promise<void> };
let wheel: BuiltWheel;
let serve: ChildProcess;
let url: URL;

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) * 1024;
}

beforeAll(async () => {
  work = await tempDir("serve-slow");
  // Random bytes do not compress: the wheel on disk is as big as its payload.
  wheel = await buildWheel(
    { name: "big", version: "1.0", files: { "big/__init__.py": "", "big/blob.bin": randomBytes(48 * 1024 * 1024) } },
    work.path,
  );
  const store = join(work.path, "store");
  expect((await runCli(["store", "add", wheel.path], { env: { PYSTORE_STORE: store } })).code).toBe(0);
  serve = spawn(process.execPath, [PYSTORE_BIN, "serve", "--port", "0"], {
    env: { ...process.env, PYSTORE_STORE: store },
    stdio: ["ignore", "pipe", "pipe"],
  });
  url = new URL(
    await new Promise<string>((resolve, reject) => {
      let out = "";
      serve.stdout?.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      serve.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
    }),
  );
}, 120_000);

afterAll(async () => {
  if (serve.exitCode === null) {
    const exited = new Promise((r) => serve.once("exit", r));
    serve.kill("SIGTERM");
    await exited;
  }
  await work.cleanup();
});

/** A client that sends one GET and then never reads: only the kernel's socket buffers take data. */
function stalledClient(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

describe("pystore serve with slow clients", () => {
  it("streams a big wheel to 200 stalled clients within a memory ceiling and still answers pages", async () => {
    const path = `/files/${wheel.sha256}/${wheel.filename}`;
    // The first request verifies the file once; the rest reuse that.
    const first = await fetch(new URL(path, url), { method: "HEAD" });
    expect(first.status).toBe(200);
    const before = rssOf(serve.pid!);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) sockets.push(await stalledClient(path));
      // Let every connection fill its buffers as far as backpressure allows.
      await new Promise((r) => setTimeout(r, 1500));
      const during = rssOf(serve.pid!);
      expect(during, `RSS went from ${before} to ${during} bytes`).toBeLessThan(RSS_CEILING);
      const started = Date.now();
      const page = await fetch(new URL("/simple/big/", url));
      expect(page.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(10_000);
      // A client that reads gets every byte, as stored.
      const whole = Buffer.from(await (await fetch(new URL(path, url))).arrayBuffer());
      expect(whole.equals(wheel.bytes)).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  }, 120_000);
});
