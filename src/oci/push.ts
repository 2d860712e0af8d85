// `store push`: a set of stored wheels to a registry as one closure artifact. Each wheel is checked against
// its row first (a damaged store file is never published), blobs go up in parallel and only when the
// registry lacks them, the config next, the manifest last: a push cut short leaves blobs and no tag.

import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { PystoreError } from "../errors.js";
import { verifyStored } from "../store/content.js";
import type { StoreEntry } from "../store/entries.js";
import { type BlobSource, type PushStatus, pushBlob } from "./blobs.js";
import { buildClosureArtifact, defaultClosureTag } from "./closure-artifact.js";
import type { OciClient } from "./client.js";
import { putManifest } from "./manifests.js";
import { CLOSURE_CONFIG_MEDIA_TYPE, OCI_MANIFEST } from "./media-types.js";
import { formatReference, isValidTag, type OciReference, withTarget } from "./reference.js";
import { settleAll } from "./settle.js";
import { startProgress } from "../util/progress.js";

export interface PushClosureOptions {
  ref: OciReference;
  /** --tag; else the reference's tag; else the default (the lock's hash). */
  tag?: string;
  /** sha256 of the lock file the closure is for. */
  lockSha256?: string;
  /** A target id when the closure is one target's share of the lock. */
  target?: string;
  /** Repositories on the same registry to mount blobs from. */
  mountFrom?: readonly string[];
  chunkSize?: number;
}

export interface PushedWheel {
  filename: string;
  sha256: string;
  size: number;
  blob: PushStatus;
}

export interface PushResult {
  /** `oci://HOST/REPO:TAG@sha256:…` */
  reference: string;
  tag: string;
  digest: string;
  wheels: PushedWheel[];
}

function fileSource(entry: StoreEntry): BlobSource {
  return {
    digest: `sha256:${entry.sha256}`,
    size: entry.size,
    open: (start, end) => createReadStream(entry.path, start === undefined ? {} : { start, end }),
  };
}

function bufferSource(bytes: Buffer, digest: string): BlobSource {
  return {
    digest,
    size: bytes.length,
    open: (start, end) => Readable.from([start === undefined ? bytes : bytes.subarray(start, (end ?? bytes.length - 1) + 1)]),
  };
}

export async function pushClosure(client: OciClient, entries: readonly StoreEntry[], opts: PushClosureOptions): Promise<PushResult> {
  if (opts.ref.digest)
    throw new PystoreError("USAGE", `${formatReference(opts.ref)} names a digest; push to a repository or a tag`, {
      hint: "the manifest's digest is decided by its content; give a tag (or none: the lock's hash is used)",
    });
  const artifact = buildClosureArtifact(entries, { lockSha256: opts.lockSha256 });
  const tag =
    opts.tag ??
    opts.ref.tag ??
    defaultClosureTag({ lockSha256: opts.lockSha256, target: opts.target, configDigest: artifact.config.digest });
  if (!isValidTag(tag))
    throw new PystoreError("USAGE", `--tag ${JSON.stringify(tag)} is not a valid OCI tag`, {
      hint: "1–128 of A-Z a-z 0-9 _ . - not starting with . or -",
    });
  const registry = client.registry(opts.ref);
  const repository = opts.ref.repository;
  const unique = [...new Map(entries.map((e) => [e.sha256, e])).values()];
  const progress = startProgress(client.log, "pushing", {
    items: unique.length,
    unit: "wheel",
    bytes: unique.reduce((n, e) => n + e.size, 0),
  });
  const wheels = await settleAll(
    unique.map((entry) =>
      client.transfers.run(async (): Promise<PushedWheel> => {
        await verifyStored(entry.path, entry.sha256, entry.size, entry.filename);
        const blob = await pushBlob(registry, repository, fileSource(entry), { mountFrom: opts.mountFrom, chunkSize: opts.chunkSize });
        progress.advance(`${entry.filename}: ${blob === "present" ? "already there" : blob}`, entry.size);
        return { filename: entry.filename, sha256: entry.sha256, size: entry.size, blob };
      }),
    ),
  ).finally(() => progress.done());
  await pushBlob(registry, repository, bufferSource(artifact.config.bytes, artifact.config.digest));
  const digest = await putManifest(registry, repository, tag, artifact.manifest.bytes, OCI_MANIFEST);
  client.log.debug(`config ${CLOSURE_CONFIG_MEDIA_TYPE} ${artifact.config.digest}`);
  return {
    reference: formatReference(withTarget(opts.ref, { tag, digest })),
    tag,
    digest,
    wheels: wheels.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0)),
  };
}
