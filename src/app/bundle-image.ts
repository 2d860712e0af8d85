// What an image bundle needs before the build starts: its platform (the target's), a --prefix checked,
// and the base image as a layout directory, pulled from a registry through src/oci/ when it is an
// oci:// reference, and checked for the target's platform before any wheel is fetched.

import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageOptions } from "../bundle/formats/oci.js";
import { readBase } from "../bundle/formats/oci-write.js";
import type { Descriptor } from "../bundle/image/config.js";
import { imagePrefix } from "../bundle/image/entrypoint.js";
import { blobRelPath, checkDescriptor } from "../bundle/image/layout.js";
import {
  DOCKER_EQUIVALENTS,
  INDEX_FILE,
  INDEX_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPE,
  OCI_LAYOUT_FILE,
  OCI_LAYOUT_VERSION,
  ociMediaType,
} from "../bundle/image/media-types.js";
import { formatPlatform, type ImagePlatform, platformMatches, targetPlatform } from "../bundle/image/platform.js";
import { PystoreError } from "../errors.js";
import type { TransportSettings } from "../index-client/settings.js";
import { pullBlob, readBlob } from "../oci/blobs.js";
import { OciClient } from "../oci/client.js";
import { getManifest } from "../oci/manifests.js";
import { formatReference, isOciReference, type OciReference, parseReference } from "../oci/reference.js";
import { settleAll } from "../oci/settle.js";
import type { Target } from "../standards/targets.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { stableJson } from "../util/stable-json.js";

/** Manifests and indexes in every spelling a registry may serve a base image in. */
const ACCEPT = [MANIFEST_MEDIA_TYPE, INDEX_MEDIA_TYPE, ...Object.keys(DOCKER_EQUIVALENTS).filter((t) => t.includes("manifest"))];
/** An image config is a few KiB; this bounds a hostile one. */
const CONFIG_LIMIT = 16 * 1024 * 1024;

/**
 * Pull the image `ref` names, for `platform` (following a multi-platform index), into an image layout at
 * `dir`: every blob is checked against its digest as it is written.
 */
export async function pullImage(client: OciClient, ref: OciReference, platform: ImagePlatform, dir: string): Promise<void> {
  const registry = client.registry(ref);
  const repository = ref.repository;
  const where = formatReference(ref);
  let fetched = await getManifest(registry, repository, ref.digest ?? ref.tag ?? "latest", ACCEPT);
  const typeOf = (bytes: Buffer, header: string) =>
    ociMediaType(header || ((JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType ?? ""));
  let parsed: { manifests?: unknown[]; config?: unknown; layers?: unknown[] };
  try {
    parsed = JSON.parse(fetched.bytes.toString("utf8")) as typeof parsed;
  } catch {
    throw new PystoreError("INVALID_IMAGE", `${where}: the manifest is not JSON`);
  }
  if (typeOf(fetched.bytes, fetched.mediaType) === INDEX_MEDIA_TYPE) {
    const entries = (parsed.manifests ?? []).map((m, i) => checkDescriptor(m, where, `manifests[${i}]`));
    const fitting = entries.find((d) => d.mediaType === MANIFEST_MEDIA_TYPE && d.platform && platformMatches(d.platform, platform));
    if (!fitting) {
      const offered = entries.flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])).join(", ");
      throw new PystoreError(
        "IMAGE_PLATFORM_MISMATCH",
        `the base image ${where} has no ${formatPlatform(platform)} image (it has ${offered || "none named"})`,
        {
          hint: "use a base image for the target's platform, or bundle for one of the base's platforms (--platform)",
        },
      );
    }
    fetched = await getManifest(registry, repository, fitting.digest, ACCEPT);
    parsed = JSON.parse(fetched.bytes.toString("utf8")) as typeof parsed;
  }
  const config = checkDescriptor(parsed.config, where, "the config");
  const layers = (parsed.layers ?? []).map((l, i) => checkDescriptor(l, where, `layers[${i}]`));
  await writeFileAtomic(join(dir, blobRelPath(fetched.digest)), fetched.bytes);
  const configBytes = await readBlob(registry, repository, { ...config, label: `the config of ${where}` }, CONFIG_LIMIT);
  await writeFileAtomic(join(dir, blobRelPath(config.digest)), configBytes);
  let done = 0;
  await settleAll(
    layers.map((layer: Descriptor) =>
      client.transfers.run(async () => {
        const label = `${where} layer ${layer.digest}`;
        const written = await pullBlob(registry, repository, { ...layer, label }, join(dir, blobRelPath(layer.digest)));
        if (!written)
          throw new PystoreError("ARTIFACT_NOT_FOUND", `${where} lists layer ${layer.digest}, which ${registry.name} does not have`);
        client.log.info(`[${++done}/${layers.length}] ${label}`);
      }),
    ),
  );
  const manifest = { mediaType: typeOf(fetched.bytes, fetched.mediaType), digest: fetched.digest, size: fetched.bytes.length };
  await writeFileAtomic(join(dir, INDEX_FILE), stableJson({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [manifest] }));
  await writeFileAtomic(join(dir, OCI_LAYOUT_FILE), stableJson({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
}

export interface ImageRequest {
  /** --prefix: where the bundle sits in the image. */
  prefix?: string;
  /** --entrypoint NAME */
  entrypoint?: string;
  /** --base-image: a layout directory (`DIR`, `DIR:TAG`, `oci:DIR[:TAG]`) or `oci://HOST/REPO[:TAG|@DIGEST]`. */
  baseImage?: string;
}

export interface PreparedImage {
  options: ImageOptions;
  /** Removes a pulled base's temporary layout. */
  cleanup(): Promise<void>;
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** `DIR`, `DIR:TAG` or skopeo's `oci:DIR[:TAG]`, relative to `cwd`: the directory wins when its name holds a colon. */
export function parseLayoutSpec(spec: string, cwd: string): { dir: string; ref?: string } {
  const text = spec.startsWith("oci:") && !isOciReference(spec) ? spec.slice("oci:".length) : spec;
  const whole = join(cwd, text);
  const colon = text.lastIndexOf(":");
  if (isDirectory(whole) || colon <= 0) return { dir: text.startsWith("/") ? text : whole };
  const dir = text.slice(0, colon);
  return { dir: dir.startsWith("/") ? dir : join(cwd, dir), ref: text.slice(colon + 1) };
}

export async function prepareImage(
  req: ImageRequest,
  target: Target,
  ctx: { cwd: string; env: NodeJS.ProcessEnv; log: Logger; transport: TransportSettings; insecureRegistries: readonly string[] },
): Promise<PreparedImage> {
  const platform = targetPlatform(target);
  // The default prefix (/opt/<name>) is always valid: only a given one can be wrong.
  if (req.prefix !== undefined) imagePrefix("bundle", req.prefix);
  const options: ImageOptions = {
    platform,
    ...(req.prefix ? { prefix: req.prefix } : {}),
    ...(req.entrypoint ? { entrypoint: req.entrypoint } : {}),
  };
  if (req.baseImage === undefined) return { options, cleanup: async () => {} };
  let pulled: string | undefined;
  const cleanup = async () => {
    if (pulled) await rm(pulled, { recursive: true, force: true });
  };
  try {
    if (isOciReference(req.baseImage)) {
      const ref = parseReference(req.baseImage);
      pulled = await mkdtemp(join(tmpdir(), "pystore-base-"));
      const client = new OciClient({ transport: ctx.transport, insecureRegistries: ctx.insecureRegistries, env: ctx.env, log: ctx.log });
      try {
        await pullImage(client, ref, platform, pulled);
      } finally {
        await client.close();
      }
      options.base = { dir: pulled, name: req.baseImage, reference: req.baseImage };
    } else {
      options.base = { ...parseLayoutSpec(req.baseImage, ctx.cwd), name: req.baseImage };
    }
    await readBase(options.base, platform, target.id);
    return { options, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
