// The JSON documents of an image bundle (store-format/bundle-image.md): the image config on top of an
// optional base's, the manifest listing the base's layers then the bundle's, and the layout's index.json.
// Pure: the caller hashes and writes the bytes; the same inputs always give the same documents.

import { BUNDLE_IMAGE_VERSION } from "../../format-versions.js";
import type { BundleManifest } from "../manifest.js";
import {
  BASE_DIGEST,
  BASE_NAME,
  BUNDLE_HASH_ANNOTATION,
  CONFIG_MEDIA_TYPE,
  CREATED,
  IMAGE_VERSION_ANNOTATION,
  INDEX_MEDIA_TYPE,
  LAYER_MEDIA_TYPE,
  LOCK_ANNOTATION,
  MANIFEST_MEDIA_TYPE,
  PREFIX_ANNOTATION,
  REF_NAME,
  TARGET_ANNOTATION,
  TITLE,
} from "./media-types.js";
import type { ImagePlatform } from "./platform.js";

export interface Descriptor {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: ImagePlatform;
}

/** An image config as JSON: the fields pystore sets are typed, the rest of a base's are carried over. */
export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    [key: string]: unknown;
  };
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface BaseImage {
  config: ImageConfig;
  /** Its layers, in order, under their OCI media types. */
  layers: Descriptor[];
  /** The base manifest's digest. */
  digest: string;
  /** The `oci://` reference it was pulled from, for the base.name annotation. */
  name?: string;
}

export interface ImageInput {
  manifest: Omit<BundleManifest, "files">;
  bundleHash: string;
  /** `/opt/NAME` */
  prefix: string;
  /** The executable the image runs; undefined keeps the base's Entrypoint and Cmd. */
  entrypoint?: string;
  platform: ImagePlatform;
  /** Seconds since the epoch (SOURCE_DATE_EPOCH or the archive epoch). */
  created: number;
  /** The bundle's layer: its gzip blob, and the sha256 of the tar inside (the diff_id). */
  layer: { digest: string; size: number; diffId: string };
  base?: BaseImage;
}

/** Debian's and Docker's default PATH: what a container gets when its image sets none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** RFC 3339 in UTC without fractions, as image configs write it. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The base's Env with the bundle's bin/ first on PATH (once), every other variable as it was. */
export function mergeEnv(base: readonly string[] | undefined, bin: string): string[] {
  const env = [...(base ?? [])];
  const at = env.findIndex((entry) => entry.startsWith("PATH="));
  const path = at >= 0 ? env[at].slice("PATH=".length) : DEFAULT_PATH;
  const parts = path.split(":").filter((part) => part !== bin);
  const merged = `PATH=${[bin, ...parts].join(":")}`;
  if (at >= 0) env[at] = merged;
  else env.unshift(merged);
  return env;
}

/** Labels and manifest annotations that describe the bundle. */
function bundleLabels(input: ImageInput): Record<string, string> {
  return {
    [TITLE]: input.manifest.name,
    [CREATED]: rfc3339(input.created),
    [BUNDLE_HASH_ANNOTATION]: input.bundleHash,
    [TARGET_ANNOTATION]: input.manifest.target.id,
    ...(input.manifest.lock ? { [LOCK_ANNOTATION]: input.manifest.lock.sha256 } : {}),
  };
}

export function imageConfig(input: ImageInput): ImageConfig {
  const base = input.base?.config;
  const created = rfc3339(input.created);
  const runtime = { ...(base?.config ?? {}) };
  runtime.Env = mergeEnv(base?.config?.Env, `${input.prefix}/bin`);
  if (input.entrypoint !== undefined) {
    runtime.Entrypoint = [`${input.prefix}/bin/${input.entrypoint}`];
    // A base's Cmd would become the executable's arguments (python images set Cmd ["python3"]).
    delete runtime.Cmd;
  }
  runtime.WorkingDir = input.prefix;
  runtime.Labels = { ...(base?.config?.Labels ?? {}), ...bundleLabels(input) };
  const { variant: _variant, ...baseRest } = base ?? {};
  const variant = input.base ? base?.variant : input.platform.variant;
  return {
    ...baseRest,
    created,
    architecture: input.platform.architecture,
    os: input.platform.os,
    // A base keeps its own variant (it was checked to match); without one the target's is the image's.
    ...(variant ? { variant } : {}),
    config: runtime,
    rootfs: { type: "layers", diff_ids: [...(base?.rootfs?.diff_ids ?? []), input.layer.diffId] },
    history: [
      ...(base?.history ?? []),
      { created, created_by: `${input.manifest.createdBy} bundle`, comment: `${input.manifest.name} for ${input.manifest.target.id}` },
    ],
  };
}

export function imageManifest(input: ImageInput, config: { digest: string; size: number }): ImageManifest {
  const annotations: Record<string, string> = {
    ...bundleLabels(input),
    [IMAGE_VERSION_ANNOTATION]: String(BUNDLE_IMAGE_VERSION),
    [PREFIX_ANNOTATION]: input.prefix,
    ...(input.base ? { [BASE_DIGEST]: input.base.digest } : {}),
    ...(input.base?.name ? { [BASE_NAME]: input.base.name } : {}),
  };
  return {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: { mediaType: CONFIG_MEDIA_TYPE, ...config },
    layers: [...(input.base?.layers ?? []), { mediaType: LAYER_MEDIA_TYPE, digest: input.layer.digest, size: input.layer.size }],
    annotations,
  };
}

export function imageIndex(manifest: { digest: string; size: number }, platform: ImagePlatform, tag: string): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: INDEX_MEDIA_TYPE,
    manifests: [{ mediaType: MANIFEST_MEDIA_TYPE, ...manifest, platform, annotations: { [REF_NAME]: tag } }],
  };
}
