// Sending a stored wheel over HTTP without holding it in memory: verified once per file (streamed
// through sha256, remembered by inode, size, mtime and ctime), then streamed with backpressure, with
// single byte ranges (range-metadata reads) and HEAD; at most a fixed number of files hashed at once.

import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { PystoreError } from "../errors.js";
import type { Semaphore } from "../util/semaphore.js";
import type { StoreEntry } from "./entries.js";

/** Files hashed at once; more first requests wait their turn instead of saturating the disk and CPU. */
export const MAX_CONCURRENT_VERIFICATIONS = 4;

/** What identifies one version of a file on disk: any write to it changes one of these. */
function fingerprint(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

export class FileVerifier {
  /** sha256 → fingerprint of the file that hashed correctly. */
  private readonly verified = new Map<string, string>();
  /** Verifications under way, shared by concurrent requests for the same file. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly reads: Semaphore) {}

  /** Throws STORE_CORRUPTED when the file's bytes do not hash to the entry's sha256 (or its size differs). */
  async check(entry: StoreEntry): Promise<Stats> {
    const info = await stat(entry.path);
    const print = fingerprint(info);
    if (this.verified.get(entry.sha256) === print) return info;
    const key = `${entry.sha256}:${print}`;
    let job = this.pending.get(key);
    if (!job) {
      job = this.hash(entry, info).finally(() => this.pending.delete(key));
      this.pending.set(key, job);
    }
    await job;
    return info;
  }

  private async hash(entry: StoreEntry, info: Stats): Promise<void> {
    this.verified.delete(entry.sha256);
    const hash = createHash("sha256");
    let size = 0;
    await this.reads.run(async () => {
      for await (const chunk of createReadStream(entry.path)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    });
    const found = hash.digest("hex");
    if (found !== entry.sha256 || size !== entry.size) {
      throw new PystoreError(
        "STORE_CORRUPTED",
        `${entry.filename}: stored file no longer matches its sha256 (found ${found}, ${size} bytes)`,
        {
          hint: "run `pystore store verify --repair`",
        },
      );
    }
    this.verified.set(entry.sha256, fingerprint(info));
  }
}

export type ByteRange = { start: number; end: number } | "unsatisfiable" | undefined;

/**
 * One `bytes=` range of a file of `size` bytes (RFC 9110 §14.1.2), inclusive `end`. Several ranges,
 * or a header that is not a byte range, are ignored (the whole file is sent, which the RFC allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** Stream `entry`'s file (already verified at `info`) to the client, honouring HEAD and one Range. */
export async function sendFile(
  entry: StoreEntry,
  info: Stats,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const range = parseRange(req.headers.range, info.size);
  const common = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", ...headers };
  if (range === "unsatisfiable") {
    res.writeHead(416, { ...common, "Content-Range": `bytes */${info.size}`, "Content-Length": "0" });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  const length = Math.max(0, end - start + 1);
  res.writeHead(range ? 206 : 200, {
    ...common,
    "Content-Length": String(length),
    ...(range ? { "Content-Range": `bytes ${start}-${end}/${info.size}` } : {}),
  });
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return;
  }
  // A client that stops reading holds one stream's buffer, not the file: pipeline waits on backpressure
  // (and the server's idle timeout ends a client that never reads again).
  try {
    await pipeline(createReadStream(entry.path, { start, end }), res);
  } catch (error) {
    // The client went away (or idled out): nothing to report, the socket is already gone.
    if ((error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE" || res.destroyed) return;
    throw error;
  }
}
