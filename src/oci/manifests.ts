// Manifests (OCI Distribution): PUT with the manifest's media type, GET by tag or digest with the Accept
// list the caller reads, the bytes checked against the digest they were asked or announced by.

import { createHash } from "node:crypto";
import { PystoreError } from "../errors.js";
import { repositoryScope } from "./challenge.js";
import { readLimited, type Registry } from "./registry.js";

/** Registries must accept manifests of at least 4 MiB (OCI Distribution); pystore reads no bigger ones. */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

export interface FetchedManifest {
  bytes: Buffer;
  /** `sha256:<hex>` of the bytes. */
  digest: string;
  mediaType: string;
}

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** PUT a manifest under `reference` (a tag or its digest); returns its digest, checked against the registry's. */
export async function putManifest(
  registry: Registry,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const digest = digestOf(bytes);
  const res = await registry.send(`/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": mediaType, "content-length": String(bytes.length) },
    body: bytes,
    scopes: [repositoryScope(repository, ["pull", "push"])],
    repository,
  });
  if (res.status !== 201) throw await registry.errorFor(res, `the manifest ${repository}:${reference}`);
  await res.body.dump().catch(() => {});
  const stated = res.headers["docker-content-digest"];
  if (stated && stated !== digest)
    throw new PystoreError("HASH_MISMATCH", `${registry.name} stored the manifest as ${stated}, not ${digest}`, {
      details: { expected: digest, found: stated },
    });
  return digest;
}

/** GET a manifest by tag or digest. ARTIFACT_NOT_FOUND when there is none; HASH_MISMATCH when its bytes lie. */
export async function getManifest(
  registry: Registry,
  repository: string,
  reference: string,
  accept: readonly string[],
): Promise<FetchedManifest> {
  const res = await registry.send(`/v2/${repository}/manifests/${reference}`, {
    method: "GET",
    headers: { accept: accept.join(", ") },
    scopes: [repositoryScope(repository, ["pull"])],
    repository,
  });
  if (res.status !== 200)
    throw await registry.errorFor(res, `the manifest ${repository}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`);
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MANIFEST_LIMIT) {
    res.body.destroy();
    throw new PystoreError(
      "INVALID_ARTIFACT",
      `${registry.name}/${repository}: the manifest is ${declared} bytes, more than the ${MANIFEST_LIMIT} pystore reads`,
    );
  }
  const bytes = await readLimited(res, MANIFEST_LIMIT + 1);
  if (bytes.length > MANIFEST_LIMIT)
    throw new PystoreError(
      "INVALID_ARTIFACT",
      `${registry.name}/${repository}: the manifest is more than the ${MANIFEST_LIMIT} bytes pystore reads`,
    );
  const digest = digestOf(bytes);
  // By digest, the bytes must be that digest; by tag, they must be what the registry says they are.
  const expected = reference.startsWith("sha256:") ? reference : res.headers["docker-content-digest"];
  if (expected && expected !== digest)
    throw new PystoreError(
      "HASH_MISMATCH",
      `the manifest ${repository}@${expected} from ${registry.name}: sha256 mismatch: expected ${expected}, got ${digest}`,
      {
        hint: "the registry (or something between it and pystore) served a manifest that is not the one its digest names; nothing was added",
        details: { expected, found: digest },
      },
    );
  const mediaType = (res.headers["content-type"] ?? "").split(";")[0].trim();
  return { bytes, digest, mediaType };
}
