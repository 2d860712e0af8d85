// Blobs by digest (OCI Distribution): HEAD, pulls resumed with Range and checked against size and sha256 as
// they are written (through the one write protocol), and pushes that never send a blob the registry has:
// HEAD first, then a cross-repository mount where another repository holds it, then a monolithic PUT or
// PATCH chunks for large blobs, resumed from the registry's Range after an interruption.

import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { PystoreError } from "../errors.js";
import { sleep } from "../index-client/http.js";
import { writeStreamAtomic, type Written } from "../util/atomic-write.js";
import { repositoryScope } from "./challenge.js";
import type { Registry } from "./registry.js";

export interface BlobRef {
  /** `sha256:<64 hex>` */
  digest: string;
  size: number;
}

export interface BlobSource extends BlobRef {
  /** The bytes from `start` to `end` inclusive (the whole blob when both are absent). */
  open(start?: number, end?: number): Readable;
}

export type PushStatus = "present" | "mounted" | "uploaded";

export interface PushBlobOptions {
  /** Other repositories on the same registry that may hold the blob: mounted from instead of uploaded. */
  mountFrom?: readonly string[];
  /** Blobs larger than this go up in PATCH chunks of this size (default 16 MiB). */
  chunkSize?: number;
}

export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

const pull = (repo: string) => [repositoryScope(repo, ["pull"])];
const push = (repo: string) => [repositoryScope(repo, ["pull", "push"])];
const hexOf = (digest: string) => digest.slice("sha256:".length);

/** Is the blob in `repository`? Its size when it is. */
export async function headBlob(registry: Registry, repository: string, digest: string): Promise<number | undefined> {
  const res = await registry.send(`/v2/${repository}/blobs/${digest}`, { method: "HEAD", scopes: pull(repository), repository });
  await res.body.dump().catch(() => {});
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw await registry.errorFor(res, `blob ${digest}`);
  return Number(res.headers["content-length"] ?? Number.NaN);
}

class Restart extends Error {}

/**
 * Pull a blob into `destination` through the write protocol (temp → hash → compare → fsync → rename):
 * nothing is visible unless its size and sha256 are the digest's. Returns undefined when the repository
 * has no such blob. A body that breaks off is resumed with Range where the registry allows it.
 */
export async function pullBlob(
  registry: Registry,
  repository: string,
  blob: BlobRef & { label: string },
  destination: string,
  opts: { tempDir?: string } = {},
): Promise<Written | undefined> {
  let restarts = registry.http.retries;
  for (;;) {
    const state = { missing: false };
    try {
      return await writeStreamAtomic(resumingBody(registry, repository, blob, state), destination, {
        expected: { sha256: hexOf(blob.digest), size: blob.size, label: blob.label },
        tempDir: opts.tempDir,
      });
    } catch (error) {
      if (state.missing) return undefined;
      if (error instanceof Restart && restarts-- > 0) continue;
      if (error instanceof PystoreError && (error.code === "HASH_MISMATCH" || error.code === "SIZE_MISMATCH"))
        throw tampered(registry, repository, blob, error);
      throw error instanceof Restart
        ? new PystoreError("INCOMPLETE_DOWNLOAD", `${blob.label}: ${registry.name} kept breaking off the blob`)
        : error;
    }
  }
}

function tampered(registry: Registry, repository: string, blob: BlobRef & { label: string }, error: PystoreError): PystoreError {
  const details = error.details ?? {};
  return new PystoreError(
    error.code,
    `${blob.label} from ${registry.name}/${repository}: ${error.message.replace(`${blob.label}: `, "")}`,
    {
      hint: "the registry (or something between it and pystore) served bytes that are not the blob its digest names; nothing was added",
      details: { ...details, digest: blob.digest, registry: registry.name, repository },
    },
  );
}

async function* resumingBody(
  registry: Registry,
  repository: string,
  blob: BlobRef & { label: string },
  state: { missing: boolean },
): AsyncGenerator<Buffer> {
  let received = 0;
  let attempts = registry.http.retries;
  const path = `/v2/${repository}/blobs/${blob.digest}`;
  for (;;) {
    const headers: Record<string, string> = {};
    if (received > 0) headers.range = `bytes=${received}-`;
    let failure: PystoreError | undefined;
    try {
      const res = await registry.send(path, { method: "GET", headers, scopes: pull(repository), repository });
      if (res.status === 404 && received === 0) {
        await res.body.dump().catch(() => {});
        state.missing = true;
        throw new PystoreError("ARTIFACT_NOT_FOUND", `${registry.name}/${repository} has no blob ${blob.digest}`);
      }
      if (received > 0 && res.status === 200) {
        await res.body.dump().catch(() => {});
        throw new Restart();
      }
      if (res.status === 206) {
        const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers["content-range"] ?? "");
        if (!m || Number(m[1]) !== received) {
          await res.body.dump().catch(() => {});
          throw new Restart();
        }
      } else if (res.status !== 200) {
        throw await registry.errorFor(res, `blob ${blob.digest}`);
      }
      try {
        for await (const chunk of res.body) {
          const bytes = chunk as Buffer;
          received += bytes.length;
          // Never take more than the digest's size: a hostile body could otherwise fill the disk.
          if (received > blob.size) {
            res.body.destroy();
            throw new PystoreError("SIZE_MISMATCH", `${blob.label}: expected ${blob.size} bytes, got more than that`, {
              details: { expected: blob.size, found: received },
            });
          }
          yield bytes;
        }
      } catch (error) {
        if (error instanceof PystoreError && error.code === "SIZE_MISMATCH") throw error;
        failure = registry.http.mapError(error, registry.url(path));
      }
      if (!failure) {
        if (received >= blob.size) return;
        failure = new PystoreError("INCOMPLETE_DOWNLOAD", `${blob.label}: ${received} of ${blob.size} bytes from ${registry.name}`);
      }
    } catch (error) {
      if (error instanceof Restart || !(error instanceof PystoreError)) throw error;
      if (error.code !== "NETWORK" && error.code !== "TIMEOUT") throw error;
      failure = error;
    }
    if (attempts-- <= 0) throw failure;
    registry.http.log.debug(`${failure.message}; resuming at byte ${received}`);
    await sleep(registry.http.backoff(registry.http.retries - attempts));
  }
}

/** Push one blob unless the repository has it: HEAD, else mount, else upload (monolithic or chunked). */
export async function pushBlob(registry: Registry, repository: string, blob: BlobSource, opts: PushBlobOptions = {}): Promise<PushStatus> {
  if ((await headBlob(registry, repository, blob.digest)) !== undefined) return "present";
  for (const from of opts.mountFrom ?? []) {
    if (from === repository) continue;
    // Only ask for a mount where the blob is: a refused mount opens an upload session nobody would use.
    const there = await headBlob(registry, from, blob.digest).catch(() => undefined);
    if (there === undefined) continue;
    const res = await registry.send(
      `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      {
        method: "POST",
        headers: { "content-length": "0" },
        scopes: [...push(repository), ...pull(from)],
        repository,
      },
    );
    await res.body.dump().catch(() => {});
    if (res.status === 201) return "mounted";
    // 202: the registry does not mount (or not from there) and opened an ordinary upload; use it.
    if (res.status === 202 && res.headers.location) {
      await upload(registry, repository, blob, res.headers.location, minChunk(res), opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
      return "uploaded";
    }
    throw await registry.errorFor(res, `mounting ${blob.digest} from ${from}`);
  }
  let attempts = registry.http.retries;
  for (;;) {
    try {
      const session = await startUpload(registry, repository);
      await upload(registry, repository, blob, session.location, session.minChunk, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
      return "uploaded";
    } catch (error) {
      const transient =
        error instanceof PystoreError &&
        (error.code === "NETWORK" || error.code === "TIMEOUT" || (error.code === "HTTP_STATUS" && Number(error.details?.status) >= 500));
      if (!transient || attempts-- <= 0) throw error;
      registry.http.log.debug(`${(error as Error).message}; starting the upload of ${blob.digest} again`);
      await sleep(registry.http.backoff(registry.http.retries - attempts));
    }
  }
}

function minChunk(res: { headers: Record<string, string> }): number {
  const n = Number(res.headers["oci-chunk-min-length"]);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

async function startUpload(registry: Registry, repository: string): Promise<{ location: string; minChunk: number }> {
  const res = await registry.send(`/v2/${repository}/blobs/uploads/`, {
    method: "POST",
    headers: { "content-length": "0" },
    scopes: push(repository),
    repository,
  });
  await res.body.dump().catch(() => {});
  if (res.status !== 202 || !res.headers.location) throw await registry.errorFor(res, `starting an upload to ${repository}`);
  return { location: res.headers.location, minChunk: minChunk(res) };
}

function withDigest(registry: Registry, location: string, digest: string): string {
  const url = new URL(registry.url(location));
  url.searchParams.set("digest", digest);
  return url.toString();
}

/** The registry's idea of how much of the session it has (`Range: 0-N` → N + 1). */
async function uploadedSoFar(
  registry: Registry,
  repository: string,
  location: string,
): Promise<{ offset: number; location: string } | undefined> {
  const res = await registry.send(location, { method: "GET", scopes: push(repository), repository }).catch(() => undefined);
  if (!res) return undefined;
  await res.body.dump().catch(() => {});
  if (res.status !== 204) return undefined;
  const m = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.range ?? "");
  return { offset: m ? Number(m[1]) + 1 : 0, location: res.headers.location ?? location };
}

async function upload(
  registry: Registry,
  repository: string,
  blob: BlobSource,
  start: string,
  minChunk: number,
  chunkSize: number,
): Promise<void> {
  let location = start;
  const size = Math.max(chunkSize, minChunk);
  if (blob.size > size) {
    let offset = 0;
    let resumes = registry.http.retries;
    while (offset < blob.size) {
      const end = Math.min(blob.size, offset + size) - 1;
      const from = offset;
      let res: Awaited<ReturnType<Registry["send"]>>;
      try {
        res = await registry.send(location, {
          method: "PATCH",
          headers: {
            "content-type": "application/octet-stream",
            "content-length": String(end - from + 1),
            "content-range": `${from}-${end}`,
          },
          body: () => blob.open(from, end),
          scopes: push(repository),
          repository,
        });
      } catch (error) {
        // A chunk that broke off: ask the session how far it got and go on from there.
        const transient = error instanceof PystoreError && (error.code === "NETWORK" || error.code === "TIMEOUT");
        const status = transient && resumes-- > 0 ? await uploadedSoFar(registry, repository, location) : undefined;
        if (!status) throw error;
        offset = status.offset;
        location = status.location;
        continue;
      }
      await res.body.dump().catch(() => {});
      if (res.status !== 202) throw await registry.errorFor(res, `a chunk of ${blob.digest}`);
      location = res.headers.location ?? location;
      const m = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.range ?? "");
      offset = m ? Number(m[1]) + 1 : end + 1;
    }
    await finish(registry, repository, blob.digest, withDigest(registry, location, blob.digest), { "content-length": "0" });
    return;
  }
  await finish(
    registry,
    repository,
    blob.digest,
    withDigest(registry, location, blob.digest),
    {
      "content-type": "application/octet-stream",
      "content-length": String(blob.size),
    },
    () => blob.open(),
  );
}

async function finish(
  registry: Registry,
  repository: string,
  digest: string,
  url: string,
  headers: Record<string, string>,
  body?: () => Readable,
): Promise<void> {
  const res = await registry.send(url, { method: "PUT", headers, body, scopes: push(repository), repository });
  await res.body.dump().catch(() => {});
  if (res.status !== 201) throw await registry.errorFor(res, `completing the upload of ${digest}`);
  const stated = res.headers["docker-content-digest"];
  if (stated && stated !== digest)
    throw new PystoreError("HASH_MISMATCH", `${registry.name} stored the upload as ${stated}, not ${digest}`, {
      details: { expected: digest, found: stated },
    });
}

/** Read a small blob (a config) into memory, checked against its digest and size. */
export async function readBlob(registry: Registry, repository: string, blob: BlobRef & { label: string }, limit: number): Promise<Buffer> {
  if (blob.size > limit)
    throw new PystoreError("INVALID_ARTIFACT", `${blob.label} is ${blob.size} bytes, more than the ${limit} pystore reads`, {
      details: { digest: blob.digest },
    });
  const res = await registry.send(`/v2/${repository}/blobs/${blob.digest}`, { method: "GET", scopes: pull(repository), repository });
  if (res.status !== 200) throw await registry.errorFor(res, `blob ${blob.digest}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > blob.size) {
      res.body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const found = createHash("sha256").update(bytes).digest("hex");
  if (size !== blob.size)
    throw tampered(
      registry,
      repository,
      blob,
      new PystoreError("SIZE_MISMATCH", `${blob.label}: expected ${blob.size} bytes, got ${size}`, {
        details: { expected: blob.size, found: size },
      }),
    );
  if (`sha256:${found}` !== blob.digest)
    throw tampered(
      registry,
      repository,
      blob,
      new PystoreError("HASH_MISMATCH", `${blob.label}: sha256 mismatch: expected ${hexOf(blob.digest)}, got ${found}`, {
        details: { expected: hexOf(blob.digest), found },
      }),
    );
  return bytes;
}
