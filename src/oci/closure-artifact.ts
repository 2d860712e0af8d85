// pystore's closure artifact (store-format/oci-artifacts.md): a set of stored wheels as one OCI image
// manifest with its own artifactType, a config blob describing each wheel, and the wheels as layers.
// Pure: builds deterministic bytes and validates what a registry hands back.

import { PystoreError } from "../errors.js";
import { OCI_CLOSURE_ARTIFACT_VERSION } from "../format-versions.js";
import { isWheelFilename } from "../standards/wheel-filename.js";
import { byKey } from "../util/order.js";
import { sortKeysDeep } from "../util/stable-json.js";
import type { BlobRef } from "./blobs.js";
import { digestOf } from "./manifests.js";
import {
  CLOSURE_ARTIFACT_TYPE,
  CLOSURE_CONFIG_MEDIA_TYPE,
  CLOSURE_VERSION_ANNOTATION,
  LOCK_SHA256_ANNOTATION,
  OCI_MANIFEST,
  TITLE_ANNOTATION,
  WHEEL_LAYER_MEDIA_TYPE,
} from "./media-types.js";
import { isValidTag } from "./reference.js";

/** What the config says about one wheel: the store row's portable part (sqlite-schema.md), without METADATA. */
export interface ClosureWheel {
  filename: string;
  sha256: string;
  size: number;
  name: string;
  version: string;
  tags: string[];
  requiresPython?: string;
  dependencies: string[];
  originUrl?: string;
  index?: string;
}

export interface ClosureConfig {
  version: number;
  /** sha256 of the lock file the closure was pushed for; absent for a closure of named entries or a whole store. */
  lockSha256?: string;
  wheels: ClosureWheel[];
}

export interface ClosureLayer extends BlobRef {
  filename: string;
}

export interface ClosureArtifact {
  config: { bytes: Buffer; digest: string; size: number };
  manifest: { bytes: Buffer; digest: string };
  layers: ClosureLayer[];
}

/** Compact JSON with sorted keys: the artifact's bytes depend on nothing but its content. */
function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(sortKeysDeep(value)), "utf8");
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The artifact for `wheels` (any order; sorted by sha256, duplicates dropped). */
export function buildClosureArtifact(wheels: readonly ClosureWheel[], opts: { lockSha256?: string } = {}): ClosureArtifact {
  const unique = [...new Map(wheels.map((w) => [w.sha256, w])).values()].sort(byKey((w) => w.sha256));
  if (unique.length === 0) throw new PystoreError("USAGE", "nothing to push: the closure has no wheels");
  const config: ClosureConfig = {
    version: OCI_CLOSURE_ARTIFACT_VERSION,
    ...(opts.lockSha256 ? { lockSha256: opts.lockSha256 } : {}),
    wheels: unique.map((w) => ({
      dependencies: [...w.dependencies],
      filename: w.filename,
      ...(w.index ? { index: w.index } : {}),
      name: w.name,
      ...(w.originUrl ? { originUrl: w.originUrl } : {}),
      ...(w.requiresPython ? { requiresPython: w.requiresPython } : {}),
      sha256: w.sha256,
      size: w.size,
      tags: [...w.tags],
      version: w.version,
    })),
  };
  const configBytes = canonicalJson(config);
  const configDigest = digestOf(configBytes);
  const layers = unique.map((w) => ({ digest: `sha256:${w.sha256}`, size: w.size, filename: w.filename }));
  const annotations: Record<string, string> = { [CLOSURE_VERSION_ANNOTATION]: String(OCI_CLOSURE_ARTIFACT_VERSION) };
  if (opts.lockSha256) annotations[LOCK_SHA256_ANNOTATION] = opts.lockSha256;
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: CLOSURE_ARTIFACT_TYPE,
    config: { mediaType: CLOSURE_CONFIG_MEDIA_TYPE, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({
      mediaType: WHEEL_LAYER_MEDIA_TYPE,
      digest: l.digest,
      size: l.size,
      annotations: { [TITLE_ANNOTATION]: l.filename },
    })),
    annotations,
  };
  const manifestBytes = canonicalJson(manifest);
  return {
    config: { bytes: configBytes, digest: configDigest, size: configBytes.length },
    manifest: { bytes: manifestBytes, digest: digestOf(manifestBytes) },
    layers,
  };
}

/**
 * The tag a closure is pushed under unless told otherwise: `lock-<sha256 of the lock file>` (with the
 * target's id for one target's share), else `closure-<hex of the config digest>`.
 */
export function defaultClosureTag(opts: { lockSha256?: string; target?: string; configDigest: string }): string {
  const tag = opts.lockSha256
    ? `lock-${opts.lockSha256}${opts.target ? `-${opts.target.replace(/[^A-Za-z0-9_.-]/g, "_")}` : ""}`
    : `closure-${opts.configDigest.slice("sha256:".length)}`;
  return isValidTag(tag) ? tag : tag.slice(0, 128);
}

function bad(where: string, problem: string): PystoreError {
  return new PystoreError("INVALID_ARTIFACT", `${where}: ${problem}`, {
    hint: "pull only references pystore pushed (`pystore store push`); see store-format/oci-artifacts.md",
    details: { reference: where },
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function descriptor(value: unknown, where: string, what: string): BlobRef & { mediaType: string; annotations: Record<string, string> } {
  if (!isObject(value)) throw bad(where, `${what} is not a descriptor`);
  const { mediaType, digest, size, annotations } = value;
  if (typeof mediaType !== "string") throw bad(where, `${what} has no mediaType`);
  if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(where, `${what} has no sha256 digest`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw bad(where, `${what} has no valid size`);
  const notes: Record<string, string> = {};
  if (annotations !== undefined) {
    if (!isObject(annotations)) throw bad(where, `${what}'s annotations are not an object`);
    for (const [k, v] of Object.entries(annotations)) if (typeof v === "string") notes[k] = v;
  }
  return { mediaType, digest, size, annotations: notes };
}

/** Refuse closure versions this pystore does not know (as closure archives do). */
function checkVersion(version: unknown, where: string): void {
  if (version !== OCI_CLOSURE_ARTIFACT_VERSION && version !== String(OCI_CLOSURE_ARTIFACT_VERSION)) {
    throw new PystoreError(
      "STORE_FORMAT",
      `${where} is closure artifact version ${String(version)}; this pystore reads version ${OCI_CLOSURE_ARTIFACT_VERSION}`,
      { hint: "pull it with the pystore release that pushed it" },
    );
  }
}

/** A manifest's layers and config, refusing anything that is not a pystore closure. `where` names the reference. */
export function parseClosureManifest(bytes: Buffer, where: string): { config: BlobRef; layers: ClosureLayer[]; lockSha256?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw bad(where, "the manifest is not JSON");
  }
  if (!isObject(doc)) throw bad(where, "the manifest is not a JSON object");
  if (doc.schemaVersion !== 2) throw bad(where, "the manifest's schemaVersion is not 2");
  if (doc.mediaType !== undefined && doc.mediaType !== OCI_MANIFEST)
    throw bad(where, `is a ${String(doc.mediaType)}, not an OCI image manifest`);
  const config = descriptor(doc.config, where, "the config");
  if (doc.artifactType !== undefined && doc.artifactType !== CLOSURE_ARTIFACT_TYPE)
    throw bad(where, `is an artifact of type ${JSON.stringify(doc.artifactType)}, not a pystore closure (${CLOSURE_ARTIFACT_TYPE})`);
  if (config.mediaType !== CLOSURE_CONFIG_MEDIA_TYPE)
    throw bad(
      where,
      `has a config of type ${JSON.stringify(config.mediaType)}, not ${CLOSURE_CONFIG_MEDIA_TYPE} (a container image, or another tool's artifact?)`,
    );
  const annotations = isObject(doc.annotations) ? doc.annotations : {};
  checkVersion(annotations[CLOSURE_VERSION_ANNOTATION], where);
  if (!Array.isArray(doc.layers) || doc.layers.length === 0) throw bad(where, "the manifest has no layers");
  const seen = new Set<string>();
  const layers = doc.layers.map((raw, i) => {
    const layer = descriptor(raw, where, `layers[${i}]`);
    if (layer.mediaType !== WHEEL_LAYER_MEDIA_TYPE) throw bad(where, `layers[${i}] is ${JSON.stringify(layer.mediaType)}, not a wheel`);
    const filename = layer.annotations[TITLE_ANNOTATION];
    if (!filename || filename.includes("/") || filename.includes("\\") || !isWheelFilename(filename))
      throw bad(where, `layers[${i}] has no wheel file name in ${TITLE_ANNOTATION}`);
    if (seen.has(layer.digest)) throw bad(where, `layers[${i}] repeats ${layer.digest}`);
    seen.add(layer.digest);
    return { digest: layer.digest, size: layer.size, filename };
  });
  const lock = annotations[LOCK_SHA256_ANNOTATION];
  return {
    config: { digest: config.digest, size: config.size },
    layers,
    ...(typeof lock === "string" && SHA256.test(lock) ? { lockSha256: lock } : {}),
  };
}

/** The config blob, checked to describe exactly the manifest's layers. */
export function parseClosureConfig(bytes: Buffer, where: string, layers: readonly ClosureLayer[]): ClosureConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw bad(where, "the config blob is not JSON");
  }
  if (!isObject(doc)) throw bad(where, "the config blob is not a JSON object");
  checkVersion(doc.version, `${where} (config)`);
  if (!Array.isArray(doc.wheels)) throw bad(where, "the config has no wheels list");
  const wheels = doc.wheels.map((raw, i): ClosureWheel => {
    if (!isObject(raw)) throw bad(where, `config wheels[${i}] is not an object`);
    const str = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
    const strings = (k: string) =>
      Array.isArray(raw[k]) && (raw[k] as unknown[]).every((x) => typeof x === "string") ? (raw[k] as string[]) : undefined;
    const filename = str("filename");
    const sha256 = str("sha256");
    const name = str("name");
    const version = str("version");
    const tags = strings("tags");
    const dependencies = strings("dependencies");
    const size = raw.size;
    if (!filename || !sha256 || !SHA256.test(sha256) || !name || !version || !tags || !dependencies || typeof size !== "number")
      throw bad(where, `config wheels[${i}] lacks filename, sha256, size, name, version, tags or dependencies`);
    return {
      filename,
      sha256,
      size,
      name,
      version,
      tags,
      dependencies,
      ...(str("requiresPython") ? { requiresPython: str("requiresPython") } : {}),
      ...(str("originUrl") ? { originUrl: str("originUrl") } : {}),
      ...(str("index") ? { index: str("index") } : {}),
    };
  });
  const byDigest = new Map(layers.map((l) => [l.digest, l]));
  if (wheels.length !== layers.length) throw bad(where, `the config lists ${wheels.length} wheel(s), the manifest ${layers.length}`);
  for (const w of wheels) {
    const layer = byDigest.get(`sha256:${w.sha256}`);
    if (!layer || layer.filename !== w.filename || layer.size !== w.size)
      throw bad(where, `the config's ${w.filename} does not match any layer (file name, digest and size)`);
  }
  const lockSha256 = typeof doc.lockSha256 === "string" && SHA256.test(doc.lockSha256) ? doc.lockSha256 : undefined;
  return { version: OCI_CLOSURE_ARTIFACT_VERSION, ...(lockSha256 ? { lockSha256 } : {}), wheels };
}
