// A server that closes the connection abruptly right after the last body byte (what tinyproxy does over plain
// HTTP): the body is complete, so the download succeeds, and a resume past the end (416) means "already complete".

import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { failure, withClient } from "./helpers.js";

const body = randomBytes(100_000);
const sha256 = createHash("sha256").update(body).digest("hex");
const filename = "closing-1.0-py3-none-any.whl";

interface ClosingServer {
  origin: string;
  /** Each request's Range header ("" for none), in arrival order. */
  ranges: string[];
  close(): Promise<void>;
}

/**
 * Raw HTTP/1.1 on loopback: a full request gets the whole body chunked, then (once the bytes are out) the
 * socket ends without the final zero-length chunk, so the client sees every byte and then "other side
 * closed". A Range request from below the end gets the rest (206); one at or past the end gets 416 with
 * the complete length (RFC 9110 §15.5.17). With `shortBy`, every body ends `shortBy` bytes short.
 */
async function startClosingServer(data: Buffer, opts: { shortBy?: number } = {}): Promise<ClosingServer> {
  const ranges: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      const range = /^range:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? "";
      head = "";
      ranges.push(range);
      const from = Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0);
      if (range && from >= data.length - (opts.shortBy ?? 0)) {
        socket.end(`HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */${data.length}\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      // A resume below the end gets the rest (206), closed the same abrupt way.
      const sent = data.subarray(from, data.length - (opts.shortBy ?? 0));
      socket.write(
        range
          ? `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${from}-${data.length - 1}/${data.length}\r\nTransfer-Encoding: chunked\r\n\r\n`
          : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      for (let at = 0; at < sent.length; at += 16_384) {
        const part = sent.subarray(at, at + 16_384);
        socket.write(`${part.length.toString(16)}\r\n`);
        socket.write(part);
        socket.write("\r\n");
      }
      // Close once the body has been handed over (as a proxy does after relaying it); closing in the same
      // tick would race the client's parser, which may drop bytes it has not delivered yet.
      socket.write("", () => setTimeout(() => socket.end(), 20));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let dir: string;
const servers: ClosingServer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pystore-close-after-body-"));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function download(file: Partial<ProjectFile>, opts: { shortBy?: number } = {}) {
  const s = await startClosingServer(body, opts);
  servers.push(s);
  const out = mkdtempSync(join(dir, "out-"));
  const full: ProjectFile = { filename, url: `${s.origin}/files/${filename}`, hashes: {}, index: `${s.origin}/simple/`, ...file };
  const run = withClient({ indexUrl: `${s.origin}/simple/`, env: {}, retries: 2, retryBaseMs: 10, readTimeoutMs: 5_000 }, (c) =>
    c.downloadToFile(full, join(out, filename)),
  );
  return { s, out, run };
}

describe("a connection closed right after the last byte", () => {
  it("is a complete download when the index gave the size and hash", async () => {
    const { s, out, run } = await download({ hashes: { sha256 }, size: body.length });
    const written = await run;
    expect(written.sha256).toBe(sha256);
    expect(readFileSync(join(out, filename)).equals(body)).toBe(true);
    // The body was all there: no request ever asked past its end. (The client may still resume from below
    // the end when its HTTP library drops bytes it had received as the socket closed.)
    expect(s.ranges.every((r) => r === "" || Number(/^bytes=(\d+)-$/.exec(r)?.[1]) < body.length)).toBe(true);
  });

  it("with no size known, a 416 for the resume at the complete length means already complete", async () => {
    const { s, out, run } = await download({ hashes: {} });
    const written = await run;
    expect(written).toMatchObject({ sha256, size: body.length });
    expect(readFileSync(join(out, filename)).equals(body)).toBe(true);
    // However the body arrived, the last request was the resume at its complete length, answered 416.
    expect(s.ranges.at(-1)).toBe(`bytes=${body.length}-`);
    expect(readdirSync(out)).toEqual([filename]);
  });

  it("a body short of the index's size is still an incomplete download", async () => {
    const { out, run } = await download({ hashes: { sha256 }, size: body.length }, { shortBy: 10 });
    const error = await failure(run);
    expect(error.code).toBe("INCOMPLETE_DOWNLOAD");
    expect(error.message).toMatch(new RegExp(`^incomplete download: ${body.length - 10} of ${body.length} bytes from `));
    expect(readdirSync(out)).toEqual([]);
  });

  it("a complete size with the wrong bytes is a hash mismatch, never a success", async () => {
    const { out, run } = await download({ hashes: { sha256: "0".repeat(64) }, size: body.length });
    const error = await failure(run);
    expect(error.code).toBe("HASH_MISMATCH");
    expect(readdirSync(out)).toEqual([]);
  });
});
