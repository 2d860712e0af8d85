// Writing an image bundle: the bundle's layer (the tar.gz writer's deterministic stream under the image
// prefix, hashed compressed for its digest and uncompressed for its diff_id), the base's layers copied and
// re-checked, then config, manifest, index.json and oci-layout, all inside the staging directory; the
// finished layout becomes OUT by rename.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createGunzip } from "node:zlib";
import { PystoreError } from "../../errors.js";
import { writeFileAtomic, writeStreamAtomic } from "../../util/atomic-write.js";
import { stableJson } from "../../util/stable-json.js";
import { type BaseImage, type Descriptor, imageConfig, imageIndex, imageManifest, type ImageInput } from "../image/config.js";
import { chooseEntrypoint, imagePrefix } from "../image/entrypoint.js";
import { blobRelPath, bundleImages, resolveImage } from "../image/layout.js";
import { BASE_LAYER_MEDIA_TYPES, DEFAULT_TAG, INDEX_FILE, OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION } from "../image/media-types.js";
import { checkBasePlatform, type ImagePlatform, platformOfTag } from "../image/platform.js";
import type { BundleManifest } from "../manifest.js";
import { MANIFEST_FILE } from "../manifest.js";
import { stagingName } from "../staging.js";
import { tarGzStream } from "../write-tar.js";
import type { StagedBundle } from "./format.js";
import type { ImageOptions } from "./oci.js";

const digestOf = (bytes: Buffer | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A base image read from its layout, checked for the target's platform; its layers stay where they are. */
export async function readBase(
  base: NonNullable<ImageOptions["base"]>,
  platform: ImagePlatform,
  targetId: string,
): Promise<BaseImage & { dir: string }> {
  const image = await resolveImage(base.dir, { ref: base.ref, platform, where: base.name });
  checkBasePlatform(image.platform, platform, targetId, base.name);
  const layers = image.manifest.layers.map((layer, i) => {
    if (!BASE_LAYER_MEDIA_TYPES.has(layer.mediaType))
      throw new PystoreError("INVALID_IMAGE", `${base.name}: layer ${i} has media type ${layer.mediaType}, not an image layer`, {
        hint: "a base image is an ordinary container image (e.g. python:3.11-slim)",
      });
    // Only what a layer is: annotations of the base's own tooling stay with the base.
    return { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  });
  if (layers.length !== image.config.rootfs.diff_ids.length)
    throw new PystoreError(
      "INVALID_IMAGE",
      `${base.name}: ${layers.length} layers but ${image.config.rootfs.diff_ids.length} diff_ids in its config`,
    );
  return {
    config: image.config,
    layers,
    digest: image.descriptor.digest,
    ...(base.reference ? { name: base.reference } : {}),
    dir: base.dir,
  };
}

/** Write `bytes` as a blob of the layout at `root`; its digest and size. */
async function writeBlob(root: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = digestOf(bytes);
  await writeFileAtomic(join(root, blobRelPath(digest)), bytes, { noOverwrite: true });
  return { digest, size: bytes.length };
}

/** The bundle's layer: written once, its gzip bytes hashed by the write protocol and its tar bytes on the side. */
async function writeLayer(staged: StagedBundle, root: string, prefix: string): Promise<ImageInput["layer"]> {
  const archive = tarGzStream(
    staged.files,
    (path) => staged.contents.source(path),
    [{ path: MANIFEST_FILE, data: Buffer.from(staged.manifestText) }],
    { prefix, mtime: staged.mtime },
  );
  const tarHash = createHash("sha256");
  const gunzip = createGunzip();
  gunzip.on("data", (chunk: Buffer) => tarHash.update(chunk));
  const inflated = new Promise<void>((resolve, reject) => {
    gunzip.on("end", resolve);
    gunzip.on("error", reject);
  });
  async function* teed(): AsyncGenerator<Buffer> {
    for await (const chunk of archive) {
      const bytes = chunk as Buffer;
      // Wait for the inflater when it is behind, so the side hash never buffers the whole layer.
      if (!gunzip.write(bytes)) await new Promise((resolve) => gunzip.once("drain", resolve));
      yield bytes;
    }
    gunzip.end();
  }
  const temp = join(root, "layer.tar.gz");
  const written = await writeStreamAtomic(teed(), temp, { what: "the image layer" });
  await inflated;
  const digest = `sha256:${written.sha256}`;
  await mkdir(dirname(join(root, blobRelPath(digest))), { recursive: true });
  await rename(temp, join(root, blobRelPath(digest)));
  return { digest, size: written.size, diffId: `sha256:${tarHash.digest("hex")}` };
}

/** A base layer into the new layout, its digest checked again as it is copied. */
async function copyBlob(from: string, root: string, layer: Descriptor, where: string): Promise<void> {
  const source = join(from, blobRelPath(layer.digest));
  const info = await stat(source).catch(() => undefined);
  if (!info?.isFile()) throw new PystoreError("INVALID_IMAGE", `${where}: layer ${layer.digest} is missing from blobs/`);
  await writeStreamAtomic(createReadStream(source), join(root, blobRelPath(layer.digest)), {
    expected: { sha256: layer.digest.slice("sha256:".length), size: layer.size, label: `${where} layer ${layer.digest}` },
    noOverwrite: true,
  });
}

/** Is `dir` an image bundle pystore wrote (its index names a bundle prefix)? */
export async function isImageBundle(dir: string): Promise<boolean> {
  const images = await bundleImages(dir).catch(() => []);
  return images.length > 0;
}

async function isEmptyDir(path: string): Promise<boolean> {
  return (await readdir(path).catch(() => [1])).length === 0;
}

/** Put the finished layout at OUT; an older image bundle or an empty directory there is replaced, anything else refused. */
async function publishLayout(layout: string, out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (!existing) {
    await rename(layout, out);
    return;
  }
  if (!existing.isDirectory() || !((await isImageBundle(out)) || (await isEmptyDir(out))))
    throw new PystoreError("BUNDLE_FAILED", `${out} exists and is not a pystore image bundle; refusing to replace it`, {
      hint: "choose another -o or remove it first",
    });
  // As the dir format does: OUT is briefly absent, never half-written; staging.ts restores an old- copy.
  const old = join(dirname(out), stagingName(basename(out), "old-"));
  await rename(out, old);
  try {
    await rename(layout, out);
  } catch (error) {
    await rename(old, out);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

export async function writeImage(staged: StagedBundle, out: string, options: ImageOptions): Promise<void> {
  const manifest = JSON.parse(staged.manifestText) as BundleManifest;
  const platform = options.platform ?? platformOfTag(manifest.target.platform, manifest.target.id);
  const prefix = imagePrefix(staged.name, options.prefix);
  const entrypoint = chooseEntrypoint(manifest, options.entrypoint);
  const base = options.base ? await readBase(options.base, platform, manifest.target.id) : undefined;

  const root = join(staged.staging, basename(out));
  await mkdir(join(root, "blobs", "sha256"), { recursive: true });
  // Tar paths are relative: the layer is unpacked at the image's root.
  const layer = await writeLayer(staged, root, prefix.slice(1));
  for (const baseLayer of base?.layers ?? []) await copyBlob(base!.dir, root, baseLayer, options.base!.name);
  const input: ImageInput = {
    manifest,
    bundleHash: staged.bundleHash,
    prefix,
    ...(entrypoint === undefined ? {} : { entrypoint }),
    platform,
    created: staged.mtime,
    layer,
    ...(base ? { base } : {}),
  };
  const config = imageConfig(input);
  const configBlob = await writeBlob(root, Buffer.from(stableJson(config)));
  const manifestDoc = imageManifest(input, { digest: configBlob.digest, size: configBlob.size });
  const manifestBlob = await writeBlob(root, Buffer.from(stableJson(manifestDoc)));
  const indexPlatform: ImagePlatform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
  };
  await writeFileAtomic(join(root, INDEX_FILE), stableJson(imageIndex(manifestBlob, indexPlatform, DEFAULT_TAG)));
  // oci-layout last: a directory holding it is a complete layout (what `bundle verify` detects).
  await writeFileAtomic(join(root, OCI_LAYOUT_FILE), stableJson({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
  await publishLayout(root, out);
}
