// Reading an OCI image layout directory (image-spec image-layout.md): oci-layout, index.json, and the
// manifest and config an index leads to, each small blob checked against its descriptor's size and digest
// before it is parsed. Used for base images and by `bundle verify` and `bundle push` on image bundles.

import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../../errors.js";
import type { Descriptor, ImageConfig, ImageManifest } from "./config.js";
import {
  INDEX_FILE,
  INDEX_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPE,
  OCI_LAYOUT_FILE,
  PREFIX_ANNOTATION,
  REF_NAME,
  ociMediaType,
} from "./media-types.js";
import { formatPlatform, type ImagePlatform, platformMatches } from "./platform.js";

const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** Manifests, indexes and configs are small JSON; a bigger one is not read. */
const JSON_BLOB_LIMIT = 16 * 1024 * 1024;

function invalid(where: string, problem: string, hint?: string): PystoreError {
  return new PystoreError("INVALID_IMAGE", `${where}: ${problem}`, {
    hint: hint ?? "give an OCI image layout directory, e.g. one `skopeo copy docker://IMAGE oci:DIR:TAG` wrote",
  });
}

/** `blobs/sha256/<hex>` of a digest, relative to the layout. */
export function blobRelPath(digest: string): string {
  return `blobs/sha256/${digest.slice("sha256:".length)}`;
}

export function checkDescriptor(value: unknown, where: string, what: string): Descriptor {
  const d = value as Partial<Descriptor> | undefined;
  if (!d || typeof d !== "object" || typeof d.mediaType !== "string" || typeof d.digest !== "string" || typeof d.size !== "number")
    throw invalid(where, `${what} is not a descriptor (mediaType, digest, size)`);
  if (!DIGEST.test(d.digest)) throw invalid(where, `${what} has digest ${JSON.stringify(d.digest)}; pystore reads sha256 digests only`);
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(where, `${what} has size ${JSON.stringify(d.size)}`);
  return { ...(d as Descriptor), mediaType: ociMediaType(d.mediaType) };
}

async function readJson(path: string, where: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw invalid(where, `${what} is missing (${(cause as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(where, `${what} is not JSON`);
  }
}

/** A JSON blob, its bytes checked against the descriptor first. */
export async function readJsonBlob(dir: string, desc: Descriptor, where: string, what: string): Promise<{ value: unknown; bytes: Buffer }> {
  if (desc.size > JSON_BLOB_LIMIT) throw invalid(where, `${what} is ${desc.size} bytes, more than the ${JSON_BLOB_LIMIT} pystore reads`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, blobRelPath(desc.digest)));
  } catch {
    throw invalid(where, `${what} ${desc.digest} is missing from blobs/`);
  }
  const found = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (bytes.length !== desc.size || found !== desc.digest)
    throw new PystoreError("HASH_MISMATCH", `${where}: ${what} ${desc.digest} holds other bytes (${bytes.length} bytes, ${found})`, {
      details: { expected: desc.digest, found },
    });
  try {
    return { value: JSON.parse(bytes.toString("utf8")), bytes };
  } catch {
    throw invalid(where, `${what} ${desc.digest} is not JSON`);
  }
}

/** index.json's manifest list, after checking oci-layout. */
export async function readIndex(dir: string, where = dir): Promise<Descriptor[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw invalid(where, "no such directory");
  const layout = (await readJson(join(dir, OCI_LAYOUT_FILE), where, OCI_LAYOUT_FILE)) as { imageLayoutVersion?: unknown };
  if (typeof layout?.imageLayoutVersion !== "string" || !layout.imageLayoutVersion.startsWith("1."))
    throw invalid(where, `${OCI_LAYOUT_FILE} names image layout version ${JSON.stringify(layout?.imageLayoutVersion)}; pystore reads 1.x`);
  const index = (await readJson(join(dir, INDEX_FILE), where, INDEX_FILE)) as { manifests?: unknown };
  if (!Array.isArray(index?.manifests)) throw invalid(where, `${INDEX_FILE} has no manifests list`);
  return index.manifests.map((m, i) => checkDescriptor(m, where, `${INDEX_FILE} manifests[${i}]`));
}

export interface ResolvedImage {
  /** The chosen manifest's descriptor (as the index or a nested index lists it). */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  configDescriptor: Descriptor;
  platform: ImagePlatform;
}

function parseManifest(value: unknown, where: string, digest: string): ImageManifest {
  const m = value as Partial<ImageManifest> | undefined;
  if (m?.schemaVersion !== 2 || !Array.isArray(m.layers))
    throw invalid(where, `manifest ${digest} is not an image manifest (schemaVersion 2 with layers)`);
  return {
    ...(m as ImageManifest),
    config: checkDescriptor(m.config, where, `the config of ${digest}`),
    layers: m.layers.map((l, i) => checkDescriptor(l, where, `layers[${i}] of ${digest}`)),
  };
}

export function parseConfig(value: unknown, where: string): ImageConfig {
  const c = value as Partial<ImageConfig> | undefined;
  if (typeof c?.os !== "string" || typeof c.architecture !== "string" || c.rootfs?.type !== "layers" || !Array.isArray(c.rootfs.diff_ids))
    throw invalid(where, "the image config lacks os, architecture or rootfs.diff_ids");
  return c as ImageConfig;
}

/**
 * The one image `ref` (a ref.name annotation) names in the layout, for `platform` when given: an index
 * nested in the layout (a multi-platform image) is followed to the manifest for that platform.
 */
export async function resolveImage(
  dir: string,
  opts: { ref?: string; platform?: ImagePlatform; where?: string } = {},
): Promise<ResolvedImage> {
  const where = opts.where ?? dir;
  let candidates = await readIndex(dir, where);
  if (opts.ref !== undefined) {
    const named = candidates.filter((d) => d.annotations?.[REF_NAME] === opts.ref);
    if (named.length === 0) {
      const names = candidates.map((d) => d.annotations?.[REF_NAME]).filter((n): n is string => n !== undefined);
      throw invalid(
        where,
        `no image is tagged ${JSON.stringify(opts.ref)}`,
        names.length > 0 ? `its tags: ${names.join(", ")}` : "its index.json names no tags",
      );
    }
    candidates = named;
  }
  for (let depth = 0; ; depth++) {
    const nested = candidates.filter((d) => d.mediaType === INDEX_MEDIA_TYPE);
    if (nested.length === 0 || depth > 4) break;
    const expanded: Descriptor[] = candidates.filter((d) => d.mediaType !== INDEX_MEDIA_TYPE);
    for (const d of nested) {
      const { value } = await readJsonBlob(dir, d, where, "a nested index");
      const list = (value as { manifests?: unknown }).manifests;
      if (!Array.isArray(list)) throw invalid(where, `the nested index ${d.digest} has no manifests list`);
      expanded.push(...list.map((m, i) => checkDescriptor(m, where, `manifests[${i}] of ${d.digest}`)));
    }
    candidates = expanded;
  }
  candidates = candidates.filter((d) => d.mediaType === MANIFEST_MEDIA_TYPE);
  if (opts.platform && candidates.length > 1) {
    const wanted = opts.platform;
    const fitting = candidates.filter((d) => !d.platform || platformMatches(d.platform, wanted));
    if (fitting.length > 0) candidates = fitting;
  }
  if (candidates.length === 0) throw invalid(where, "holds no image manifest");
  if (candidates.length > 1) {
    const names = candidates.map((d) => d.annotations?.[REF_NAME] ?? (d.platform ? formatPlatform(d.platform) : d.digest));
    throw invalid(where, `holds ${candidates.length} images (${names.join(", ")}); say which`, "name one as DIR:TAG");
  }
  const descriptor = candidates[0];
  const manifest = parseManifest((await readJsonBlob(dir, descriptor, where, "the manifest")).value, where, descriptor.digest);
  const config = parseConfig((await readJsonBlob(dir, manifest.config, where, "the image config")).value, where);
  const platform: ImagePlatform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
  };
  return { descriptor, manifest, config, configDescriptor: manifest.config, platform };
}

/** The layout's image manifests that name a bundle prefix: the images pystore built a bundle into. */
export async function bundleImages(
  dir: string,
  where = dir,
): Promise<{ descriptor: Descriptor; manifest: ImageManifest; bytes: Buffer }[]> {
  const found: { descriptor: Descriptor; manifest: ImageManifest; bytes: Buffer }[] = [];
  for (const descriptor of await readIndex(dir, where)) {
    if (descriptor.mediaType !== MANIFEST_MEDIA_TYPE) continue;
    const { value, bytes } = await readJsonBlob(dir, descriptor, where, "the manifest");
    const manifest = parseManifest(value, where, descriptor.digest);
    if (manifest.annotations?.[PREFIX_ANNOTATION] !== undefined) found.push({ descriptor, manifest, bytes });
  }
  return found;
}
