// `pystore serve` as a process: where it listens (loopback unless told otherwise), and 200 connections at
// once mixing whole files, ranges, HEAD, pages, unknown files and traversal attempts: every one answered
// correctly, and the server's memory bounded.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

const CLIENTS = 200;
/** Generous for a Node process streaming 200 responses of a 4 MB wheel; whole-file buffers would need ~800 MB. */
const RSS_CEILING = 300 * 1024 * 1024;

let work: { path: string; cleanup: () => Promise<void> };
let store: string;
let wheels: BuiltWheel[];
const servers: ChildProcess[] = [];

beforeAll(async () => {
  work = await tempDir("serve-load");
  wheels = await buildWheels(
    [
      // Random bytes do not compress: a wheel of real size, streamed in many chunks.
      { name: "heavy", version: "1.0", files: { "heavy/__init__.py": "", "heavy/blob.bin": randomBytes(4 * 1024 * 1024) } },
      { name: "light", version: "1.0" },
    ],
    join(work.path, "wheels"),
  );
  store = join(work.path, "store");
  const added = await runCli(["store", "add", ...wheels.map((w) => w.path)], { env: { PYSTORE_STORE: store } });
  expect(added.code, added.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  for (const child of servers) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await work.cleanup();
});

/** Start `pystore serve` with `args`; resolves with the URL it prints once it listens. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(process.execPath, [PYSTORE_BIN, "serve", "--port", "0", ...args], {
    env: { ...process.env, PYSTORE_STORE: store },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ child, url: new URL(out.split("\n")[0]) });
    });
    child.stderr?.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** This machine's non-loopback addresses (a container may have none). */
function externalAddresses(family: "IPv4" | "IPv6"): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && a.family === family && !a.address.startsWith("fe80"))
    .map((a) => a!.address);
}

describe("where pystore serve listens", () => {
  it("binds to 127.0.0.1 by default: the printed URL is loopback and no other address accepts", async () => {
    const { url } = await startServe([]);
    expect(url.hostname).toBe("127.0.0.1");
    const port = Number(url.port);
    expect(await accepts("127.0.0.1", port)).toBe(true);
    for (const address of externalAddresses("IPv4")) expect(await accepts(address, port), address).toBe(false);
    expect(await accepts("::1", port)).toBe(false);
  });

  it("binds where --host says: ::1 is answered there and not on 127.0.0.1", async () => {
    const { url } = await startServe(["--host", "::1"]);
    expect(url.hostname).toBe("[::1]");
    const port = Number(url.port);
    expect(await accepts("::1", port)).toBe(true);
    expect(await accepts("127.0.0.1", port)).toBe(false);
    const page = await fetch(new URL("/simple/light/", url));
    expect(page.status).toBe(200);
  });
});

interface Probe {
  path: string;
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  status: number;
  /** The exact body expected, when there is one to compare. */
  body?: Buffer;
}

describe("200 connections at once", () => {
  it("answers every one correctly and stays within a memory ceiling", async () => {
    const { child, url } = await startServe([]);
    const [heavy, light] = wheels;
    const file = (w: BuiltWheel) => `/files/${w.sha256}/${w.filename}`;
    // Every kind of request, in a fixed rotation, so each kind arrives many times while the others run.
    const kinds: Probe[] = [
      { path: file(heavy), status: 200, body: heavy.bytes },
      { path: file(heavy), headers: { Range: "bytes=1000-1999" }, status: 206, body: heavy.bytes.subarray(1000, 2000) },
      { path: file(heavy), headers: { Range: `bytes=${heavy.size}-` }, status: 416 },
      { path: file(heavy), headers: { Range: "bytes=0-1,5-6" }, status: 200, body: heavy.bytes },
      { path: file(heavy), method: "HEAD", status: 200, body: Buffer.alloc(0) },
      { path: file(light), status: 200, body: light.bytes },
      { path: `${file(light)}.metadata`, status: 200, body: Buffer.from(light.metadata) },
      { path: "/simple/heavy/", status: 200 },
      { path: "/simple/", status: 200 },
      { path: `/files/${"0".repeat(64)}/${heavy.filename}`, status: 404 },
      { path: `/files/${heavy.sha256}/..%2f..%2fstore.db`, status: 400 },
      { path: "/simple/nothing-here/", status: 404 },
    ];
    const before = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
    let peak = before;
    const sampler = setInterval(() => {
      try {
        const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
        peak = Math.max(peak, rss);
      } catch {
        /* the process is gone: the answers below say why */
      }
    }, 20);
    const started = Date.now();
    try {
      const answers = await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const probe = kinds[i % kinds.length];
          // A fresh connection per request (no keep-alive pooling): 200 sockets open at the server at once.
          const res = await fetch(new URL(probe.path, url), {
            method: probe.method ?? "GET",
            headers: { Connection: "close", ...probe.headers },
          });
          return { probe, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
        }),
      );
      for (const { probe, status, body } of answers) {
        expect(status, probe.path).toBe(probe.status);
        if (probe.body) expect(body.equals(probe.body), `${probe.path} ${JSON.stringify(probe.headers ?? {})}`).toBe(true);
      }
    } finally {
      clearInterval(sampler);
    }
    expect(Date.now() - started, "200 requests took too long").toBeLessThan(60_000);
    expect(peak, `RSS went from ${before} to a peak of ${peak} bytes`).toBeLessThan(RSS_CEILING);
    // Still serving afterwards.
    expect((await fetch(new URL("/simple/light/", url))).status).toBe(200);
  }, 120_000);
});
