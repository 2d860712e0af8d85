// Downloads a distribution to disk through the atomic write protocol: over http(s) retried, resumed with Range +
// If-Range after an interruption, restarted when the server ignores Range, a short body reported as incomplete.
// Which of these runs for a URL is chosen by scheme in transports.ts.

import { createHash, getHashes } from "node:crypto";
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { writeStreamAtomic, type Expected, type Written } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { type HttpResponse, type HttpTransport, networkError, refusedError, sleep } from "./http.js";

export interface DownloadOptions {
  tempDir?: string;
  expected?: { sha256?: string; size?: number };
  /**
   * Where the body goes instead of writeStreamAtomic to the destination (the store stages a download in
   * its own tmp/ and links it into place itself). Called again from the start when a download restarts;
   * it must remove what it wrote when the source throws.
   */
  write?: BodyWriter;
}

/** Takes a download's body and checks it against `expected` (size and sha256) before it returns. */
export type BodyWriter = (body: AsyncIterable<Buffer>, expected: Expected) => Promise<Written>;

function writerFor(destination: string, opts: DownloadOptions): BodyWriter {
  return opts.write ?? ((body, expected) => writeStreamAtomic(body, destination, { expected, tempDir: opts.tempDir }));
}

/** Thrown inside the byte stream when the server answered a resume with the whole file: start over. */
class RestartDownload extends Error {}

function incomplete(received: number, total: number | undefined, url: string, cause?: unknown): PystoreError {
  return new PystoreError("INCOMPLETE_DOWNLOAD", `incomplete download: ${received} of ${total ?? "?"} bytes from ${redactUrl(url)}`, {
    hint: "the connection ended early (and resuming did not help); retry later",
    cause,
    details: { received, expected: total },
  });
}

function statusError(res: Pick<HttpResponse, "status" | "sentUser">, url: string): PystoreError {
  if (res.status === 401 || res.status === 403) return refusedError(res, url);
  return new PystoreError("HTTP_STATUS", `${redactUrl(url)} answered HTTP ${res.status}`);
}

interface Budget {
  attempts: number;
  /** Why the last attempt ended early (reported if the budget runs out on a restart). */
  last?: PystoreError;
}

/** The body bytes of `url`, resuming across interruptions; throws RestartDownload when resuming is impossible. */
async function* resumingBody(
  http: HttpTransport,
  url: string,
  filename: string,
  expectedSize: number | undefined,
  budget: Budget,
  log: Logger,
): AsyncGenerator<Buffer> {
  let received = 0;
  let total = expectedSize;
  let validator: string | undefined;
  for (;;) {
    const headers: Record<string, string> = {};
    if (received > 0) {
      headers.range = `bytes=${received}-`;
      if (validator) headers["if-range"] = validator;
    }
    let failure: PystoreError | undefined;
    try {
      const res = await http.requestOnce(url, { headers });
      if (res.status === 200 && received > 0) {
        await res.body.dump().catch(() => {});
        log.debug(`${redactUrl(url)} ignored the Range request; downloading again from the start`);
        throw new RestartDownload();
      }
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers["content-range"] ?? "");
        if (!m || Number(m[1]) !== received) {
          await res.body.dump().catch(() => {});
          throw new RestartDownload();
        }
        if (m[3] !== "*") total ??= Number(m[3]);
      } else if (res.status === 200) {
        const type = (res.headers["content-type"] ?? "").toLowerCase();
        if (filename.endsWith(".whl") && type.startsWith("text/html")) {
          await res.body.dump().catch(() => {});
          throw new PystoreError("INVALID_INDEX_RESPONSE", `${redactUrl(url)} served an HTML page instead of the wheel ${filename}`, {
            hint: "the index or a proxy answered with an error or login page; check credentials and the index URL",
          });
        }
        if (res.headers["content-length"] !== undefined) total ??= Number(res.headers["content-length"]);
        // If-Range needs a strong validator: a weak ETag would make every resume a full restart.
        const etag = res.headers.etag;
        validator = etag && !etag.startsWith("W/") ? etag : res.headers["last-modified"];
      } else if (res.status === 416 && received > 0) {
        await res.body.dump().catch(() => {});
        // Asking for bytes from the end of a file is unsatisfiable: a 416 at the complete length (the one we
        // expected, or the one the server states, RFC 9110 §14.4) means the body was already whole. The write
        // protocol still checks its size and hash.
        const stated = /^bytes \*\/(\d+)$/.exec(res.headers["content-range"] ?? "");
        if ((total ?? (stated ? Number(stated[1]) : undefined)) === received) {
          log.debug(`${redactUrl(url)}: the resume at byte ${received} was past the end; the body was already complete`);
          return;
        }
        // Otherwise the file changed or shrank under us: only a fresh download can be trusted.
        throw new RestartDownload();
      } else if (res.status >= 500 || res.status === 429) {
        await res.body.dump().catch(() => {});
        if (budget.attempts <= 0) throw new PystoreError("HTTP_STATUS", `${redactUrl(url)} answered HTTP ${res.status}`);
        budget.attempts--;
        await sleep(http.backoff(http.retries - budget.attempts, res.headers["retry-after"]));
        continue;
      } else {
        await res.body.dump().catch(() => {});
        throw statusError(res, url);
      }
      try {
        for await (const chunk of res.body) {
          received += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      } catch (error) {
        failure = networkError(error, url, {
          proxy: http.proxyFor(url),
          connectTimeoutMs: http.connectTimeoutMs,
          readTimeoutMs: http.readTimeoutMs,
        });
        // Proxies such as tinyproxy close the connection right after the last byte, before the message is
        // framed as finished: with every expected byte here, that close ended nothing. The write protocol
        // checks the size and hash, so a wrong body still fails there.
        if (total !== undefined && received >= total) {
          log.debug(`${failure.message} after all ${received} bytes; the body is complete`);
          return;
        }
      }
      if (!failure) {
        if (total === undefined || received >= total) return;
        failure = incomplete(received, total, url);
      }
    } catch (error) {
      if (error instanceof RestartDownload) throw error;
      if (!(error instanceof PystoreError) || (error.code !== "NETWORK" && error.code !== "TIMEOUT")) throw error;
      failure = error;
    }
    const reported =
      failure.code === "TIMEOUT" || received === 0 || failure.code === "INCOMPLETE_DOWNLOAD"
        ? failure
        : incomplete(received, total, url, failure);
    if (budget.attempts <= 0) throw reported;
    budget.last = reported;
    budget.attempts--;
    log.debug(`${failure.message}; resuming at byte ${received}`);
    await sleep(http.backoff(http.retries - budget.attempts));
  }
}

/**
 * The bytes of `source`, checked against the index's hashes in other algorithms (an old page's `#md5=`) when
 * there is no sha256 to check them by: the write protocol checks sha256 only, and a given hash must match.
 * The mismatch is thrown before the stream ends, so the write protocol keeps nothing. With a sha256 (every
 * locked wheel) `source` itself: no generator between the body and the writer.
 */
function checkedAgainstOtherHashes(source: AsyncIterable<Buffer>, file: ProjectFile, expected: Expected): AsyncIterable<Buffer> {
  if (expected.sha256 !== undefined) return source;
  const available = new Set(getHashes());
  const others = Object.entries(file.hashes)
    .map(([algorithm, digest]) => ({ algorithm, digest: digest.toLowerCase(), nodeName: algorithm.replace(/^sha3_/, "sha3-") }))
    .filter((h) => h.algorithm !== "sha256" && available.has(h.nodeName))
    .map((h) => ({ ...h, hash: createHash(h.nodeName) }));
  return others.length === 0 ? source : checkedBy(source, file, others);
}

async function* checkedBy(
  source: AsyncIterable<Buffer>,
  file: ProjectFile,
  others: { algorithm: string; digest: string; hash: ReturnType<typeof createHash> }[],
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    for (const h of others) h.hash.update(chunk);
    yield chunk;
  }
  for (const { algorithm, digest, hash } of others) {
    const found = hash.digest("hex");
    if (found !== digest) {
      throw new PystoreError("HASH_MISMATCH", `${file.filename}: ${algorithm} mismatch: expected ${digest}, got ${found}`, {
        hint: "the bytes differ from what the index promised; nothing was stored",
        details: { expected: digest, found },
      });
    }
  }
}

/** A local file (`file:` URL) copied in through the same write protocol; needs no network, so works offline. */
export async function downloadLocal(file: ProjectFile, destination: string, opts: DownloadOptions): Promise<Written> {
  const expected = expectedOf(file, opts);
  return writerFor(destination, opts)(checkedAgainstOtherHashes(createReadStream(fileURLToPath(file.url)), file, expected), expected);
}

/** An http(s) download, retried and resumed; refused offline. */
export async function downloadHttp(
  http: HttpTransport,
  file: ProjectFile,
  destination: string,
  opts: DownloadOptions & { offline: boolean; log: Logger },
): Promise<Written> {
  const expected = expectedOf(file, opts);
  if (opts.offline) {
    throw new PystoreError(
      "OFFLINE_MISSING",
      `offline: ${file.filename} is not in the store and cannot be downloaded from ${redactUrl(file.index)}`,
      {
        hint: "run once without --offline (e.g. `pystore fetch`) to put it in the store",
      },
    );
  }
  const budget: Budget = { attempts: http.retries };
  const write = writerFor(destination, opts);
  for (;;) {
    try {
      const body = resumingBody(http, file.url, file.filename, expected.size, budget, opts.log);
      return await write(checkedAgainstOtherHashes(body, file, expected), expected);
    } catch (error) {
      if (!(error instanceof RestartDownload)) throw error;
      if (budget.attempts <= 0)
        throw budget.last ?? new PystoreError("INCOMPLETE_DOWNLOAD", `incomplete download: ${redactUrl(file.url)} could not be resumed`);
      budget.attempts--;
    }
  }
}

function expectedOf(file: ProjectFile, opts: DownloadOptions): Expected {
  return {
    sha256: opts.expected?.sha256 ?? file.hashes.sha256,
    size: opts.expected?.size ?? file.size,
    label: file.filename,
  };
}
