// Helpers shared by the OCI tests: a client with no ambient credentials, blob sources from buffers, the
// PystoreError a promise rejects with.

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { PystoreError } from "../../src/errors.js";
import type { BlobSource } from "../../src/oci/blobs.js";
import { OciClient } from "../../src/oci/client.js";
import { memoryLogger } from "../../src/util/log.js";

/** A client whose environment holds only `env` (no proxy, netrc or auth file of the machine running the tests). */
export function testClient(env: NodeJS.ProcessEnv = {}, opts: { retries?: number; concurrency?: number } = {}) {
  const log = memoryLogger();
  const client = new OciClient({
    transport: { retries: opts.retries ?? 0, concurrency: opts.concurrency },
    env: { HOME: "/nonexistent", ...env },
    log,
    retryBaseMs: 10,
  });
  return { client, log };
}

export function bufferBlob(bytes: Buffer): BlobSource {
  return {
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    size: bytes.length,
    open: (start, end) => Readable.from([start === undefined ? bytes : bytes.subarray(start, (end ?? bytes.length - 1) + 1)]),
  };
}

export async function failure(promise: Promise<unknown>): Promise<PystoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PystoreError) return error;
    throw error;
  }
  throw new Error("expected a PystoreError");
}
