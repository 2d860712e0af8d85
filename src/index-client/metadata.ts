// Core metadata for a remote or local wheel: the PEP 658 `.metadata` file (hash-checked) when advertised, else
// Range reads of the zip central directory, else the whole wheel. transports.ts picks the reader by URL scheme.

import { createHash, getHashes } from "node:crypto";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { type HttpResponse, type HttpTransport, readBodyLimited, refusedError } from "./http.js";
import { MAX_METADATA_BYTES } from "../wheel/metadata.js";
import { readMetadataByRanges, readMetadataFromBuffer, TAIL_BYTES } from "./range-metadata.js";

function checkHashes(data: Buffer, hashes: Record<string, string>, label: string): void {
  const available = new Set(getHashes());
  for (const [algorithm, expected] of Object.entries(hashes)) {
    const nodeName = algorithm.replace(/^sha3_/, "sha3-");
    if (!available.has(nodeName)) continue;
    const found = createHash(nodeName).update(data).digest("hex");
    if (found !== expected.toLowerCase()) {
      throw new PystoreError("HASH_MISMATCH", `${label}: ${algorithm} mismatch: expected ${expected.toLowerCase()}, got ${found}`, {
        hint: "the index served bytes that differ from the hash it advertised",
        details: { expected, found },
      });
    }
  }
}

/** Core metadata of a local wheel (`file:` URL), read by ranges from disk. */
export async function readLocalMetadata(file: ProjectFile): Promise<string> {
  assertWheel(file);
  const handle = await open(fileURLToPath(file.url), "r");
  try {
    const { size } = await handle.stat();
    return await readMetadataByRanges(
      size,
      async (start, end) => {
        const buffer = Buffer.alloc(end - start);
        const { bytesRead } = await handle.read(buffer, 0, end - start, start);
        return buffer.subarray(0, bytesRead);
      },
      file.filename,
      file.filename,
    );
  } finally {
    await handle.close();
  }
}

function statusError(res: HttpResponse, url: string): PystoreError {
  if (res.status === 401 || res.status === 403) return refusedError(res, url);
  return new PystoreError("HTTP_STATUS", `${redactUrl(url)} answered HTTP ${res.status}`);
}

async function readBuffer(res: HttpResponse): Promise<Buffer> {
  return Buffer.from(await res.body.arrayBuffer());
}

/** The PEP 658 file, or undefined when the server does not have it after all. */
async function fromMetadataFile(http: HttpTransport, file: ProjectFile, log: Logger): Promise<string | undefined> {
  const url = `${file.url}.metadata`;
  return http.request(url, {}, async (res) => {
    if (res.status === 404) {
      await res.body.dump();
      log.debug(`${redactUrl(url)} is advertised but missing; reading the wheel instead`);
      return undefined;
    }
    if (res.status !== 200) {
      await res.body.dump();
      throw statusError(res, url);
    }
    // The same ceiling as METADATA read out of a wheel: a PEP 658 file is that file, served on its own.
    const data = await readBodyLimited(
      res,
      MAX_METADATA_BYTES,
      () =>
        new PystoreError("INVALID_METADATA", `${redactUrl(url)}: the core metadata file is larger than ${MAX_METADATA_BYTES} bytes`, {
          hint: "core metadata is a few kilobytes; the index served something else",
        }),
    );
    checkHashes(data, file.coreMetadata?.hashes ?? {}, `${file.filename}.metadata`);
    return data.toString("utf8");
  });
}

async function fromRanges(http: HttpTransport, file: ProjectFile, log: Logger): Promise<string> {
  const url = file.url;
  const label = file.filename;
  type First = { total: number; tail: Buffer } | { whole: Buffer };
  const first = await http.request<First>(url, { headers: { range: `bytes=-${TAIL_BYTES}` } }, async (res) => {
    if (res.status === 206) {
      const m = /\/(\d+)$/.exec(res.headers["content-range"] ?? "");
      const tail = await readBuffer(res);
      if (!m) throw new PystoreError("INVALID_INDEX_RESPONSE", `${redactUrl(url)}: 206 response without a usable Content-Range`);
      return { total: Number(m[1]), tail };
    }
    if (res.status === 200) {
      log.debug(`${redactUrl(url)} does not honour Range; reading the whole wheel for its metadata`);
      const whole = await readBuffer(res);
      if (file.size !== undefined && whole.length < file.size) {
        throw new PystoreError("INCOMPLETE_DOWNLOAD", `incomplete download: ${whole.length} of ${file.size} bytes from ${redactUrl(url)}`);
      }
      checkHashes(whole, file.hashes, label);
      return { whole };
    }
    await res.body.dump();
    throw statusError(res, url);
  });
  if ("whole" in first) return readMetadataFromBuffer(first.whole, label, file.filename);
  const reader = (start: number, end: number) =>
    http.request(url, { headers: { range: `bytes=${start}-${end - 1}` } }, async (res) => {
      const data = await readBuffer(res);
      if (res.status === 200) return data.subarray(start, end);
      if (res.status !== 206) throw statusError(res, url);
      return data;
    });
  return readMetadataByRanges(first.total, reader, label, file.filename, first.tail);
}

/** Core metadata over http(s): the PEP 658 file when advertised, else Range reads, else the whole wheel. */
export async function fetchHttpMetadata(http: HttpTransport, file: ProjectFile, log: Logger): Promise<string> {
  assertWheel(file);
  if (file.coreMetadata) {
    const text = await fromMetadataFile(http, file, log);
    if (text !== undefined) return text;
  }
  return fromRanges(http, file, log);
}

function assertWheel(file: ProjectFile): void {
  if (!file.filename.endsWith(".whl")) {
    throw new PystoreError(
      "INVALID_INDEX_RESPONSE",
      `cannot read core metadata of ${JSON.stringify(file.filename)}: only wheels are supported`,
      {
        hint: "pystore installs wheels only; this project needs a wheel for your target",
      },
    );
  }
}
