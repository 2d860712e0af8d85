// `bundle verify` for an image bundle: every blob's bytes against its name, every blob the image refers to
// present and none left over, and the bundle's layer (read as a stream, never extracted) against the
// pystore-bundle.json inside it, under the prefix the manifest names. Paths of the layout are reported
// as they are in it (blobs/sha256/…, index.json); paths inside the bundle relative to its prefix.

import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { list } from "tar";
import { PystoreError } from "../../errors.js";
import { compareStrings } from "../../util/order.js";
import type { Descriptor, ImageConfig, ImageManifest } from "../image/config.js";
import { blobRelPath, readIndex, readJsonBlob } from "../image/layout.js";
import { BUNDLE_HASH_ANNOTATION, INDEX_FILE, MANIFEST_MEDIA_TYPE, OCI_LAYOUT_FILE, PREFIX_ANNOTATION } from "../image/media-types.js";
import { bundleHash, compareWithManifest, MANIFEST_FILE, parseManifest, type VerifyReport } from "../manifest.js";

const REGULAR = new Set(["File", "OldFile", "ContiguousFile"]);

interface Member {
  sha256: string;
  size: number;
  mode: string;
  special: boolean;
}

/** sha256 of a blob file, or undefined when it cannot be read. */
async function hashOf(path: string, inflate = false): Promise<string | undefined> {
  const hash = createHash("sha256");
  const sink = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) hash.update(chunk);
  };
  try {
    if (inflate) await pipeline(createReadStream(path), createGunzip(), sink);
    else await pipeline(createReadStream(path), sink);
  } catch {
    return undefined;
  }
  return `sha256:${hash.digest("hex")}`;
}

/** The layer's non-directory members by path, and the bytes of its manifest at `prefix/`. */
async function layerMembers(path: string, prefix: string): Promise<{ members: Map<string, Member>; manifest?: Buffer }> {
  const members = new Map<string, Member>();
  let manifest: Buffer | undefined;
  const manifestPath = `${prefix}/${MANIFEST_FILE}`;
  await list({
    file: path,
    strict: true,
    onReadEntry: (entry) => {
      if (entry.type === "Directory") return;
      const name = entry.path.replace(/^\.?\//, "");
      const regular = REGULAR.has(entry.type);
      const hash: Hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
        if (name === manifestPath) chunks.push(chunk);
      });
      entry.on("end", () => {
        const repeated = members.has(name);
        if (name === manifestPath && regular && !repeated) manifest = Buffer.concat(chunks);
        const mode = (entry.mode ?? 0) & 0o111 ? "0755" : "0644";
        members.set(name, { sha256: hash.digest("hex"), size, mode, special: !regular || repeated });
      });
    },
  });
  return { members, manifest };
}

const modified = (dir: string, problem: string, cause?: unknown) =>
  new PystoreError("BUNDLE_MODIFIED", `${dir}: ${problem}`, { cause, hint: "rebuild the image with `pystore bundle --format oci`" });

export async function verifyImage(dir: string): Promise<VerifyReport> {
  let manifests: Descriptor[];
  try {
    manifests = await readIndex(dir);
  } catch (error) {
    throw modified(dir, (error as Error).message.replace(`${dir}: `, ""), error);
  }
  const report: VerifyReport = { changed: [], missing: [], extra: [] };

  // Every blob on disk against its name.
  const present = new Set<string>();
  const blobDir = join(dir, "blobs", "sha256");
  for (const name of (await readdir(blobDir).catch(() => [] as string[])).sort(compareStrings)) {
    const rel = `blobs/sha256/${name}`;
    present.add(rel);
    if ((await hashOf(join(blobDir, name))) !== `sha256:${name}`) report.changed.push(rel);
  }
  const intact = (d: Descriptor) => present.has(blobRelPath(d.digest)) && !report.changed.includes(blobRelPath(d.digest));
  const referenced = new Set<string>();
  const need = (d: Descriptor) => {
    referenced.add(blobRelPath(d.digest));
    if (!present.has(blobRelPath(d.digest))) report.missing.push(blobRelPath(d.digest));
  };

  // The bundle's image: the manifest naming a prefix. A damaged manifest or config ends the check there.
  let ours: { descriptor: Descriptor; manifest: ImageManifest } | undefined;
  for (const descriptor of manifests) {
    need(descriptor);
    if (descriptor.mediaType !== MANIFEST_MEDIA_TYPE || !intact(descriptor)) continue;
    const manifest = (await readJsonBlob(dir, descriptor, dir, "the manifest").catch(() => undefined))?.value as ImageManifest | undefined;
    if (manifest?.annotations?.[PREFIX_ANNOTATION] !== undefined) ours = { descriptor, manifest };
  }
  if (!ours) {
    if (report.changed.length + report.missing.length > 0) return sorted(report);
    throw new PystoreError(
      "FILE_NOT_FOUND",
      `${dir} is an OCI image layout but not a pystore image bundle: no manifest names a bundle prefix`,
    );
  }
  const { manifest } = ours;
  const prefix = manifest.annotations![PREFIX_ANNOTATION].replace(/^\//, "");
  if (!Array.isArray(manifest.layers) || manifest.layers.length === 0 || !manifest.config)
    throw modified(dir, `the manifest ${ours.descriptor.digest} lists no layers or no config`);
  need(manifest.config);
  for (const layer of manifest.layers) need(layer);
  // A blob nothing names is extra, whatever its bytes.
  for (const rel of present) if (!referenced.has(rel)) report.extra.push(rel);
  report.changed = report.changed.filter((rel) => referenced.has(rel));
  for (const name of await readdir(dir)) if (![OCI_LAYOUT_FILE, INDEX_FILE, "blobs"].includes(name)) report.extra.push(name);
  const layer = manifest.layers[manifest.layers.length - 1];
  if (!present.has(blobRelPath(layer.digest))) return sorted(report);
  const layerPath = join(dir, blobRelPath(layer.digest));

  // The layer's tar against the config's last diff_id (when the config can be trusted), then its files.
  if (intact(manifest.config)) {
    const config = (await readJsonBlob(dir, manifest.config, dir, "the image config").catch(() => undefined))?.value as
      | ImageConfig
      | undefined;
    const diffIds = config?.rootfs?.diff_ids ?? [];
    if ((await hashOf(layerPath, true)) !== diffIds[diffIds.length - 1]) report.changed.push(blobRelPath(layer.digest));
  }
  let read: Awaited<ReturnType<typeof layerMembers>>;
  try {
    read = await layerMembers(layerPath, prefix);
  } catch {
    // Not a readable tar.gz: the layer's bytes are not the ones the bundle was built with.
    report.changed.push(blobRelPath(layer.digest));
    return sorted(report);
  }
  if (!read.manifest) throw modified(dir, `the bundle layer ${layer.digest} holds no /${prefix}/${MANIFEST_FILE}`);
  const manifestText = read.manifest.toString("utf8");
  const bundleManifest = parseManifest(manifestText, dir, `/${prefix}/${MANIFEST_FILE}`);
  if (manifest.annotations?.[BUNDLE_HASH_ANNOTATION] !== bundleHash(manifestText)) report.changed.push(MANIFEST_FILE);
  // Bundle-relative paths for the bundle's files; anything else in the layer is extra under its image path.
  const actual = new Map<string, Member>();
  for (const [name, member] of read.members) {
    if (name === `${prefix}/${MANIFEST_FILE}` && !member.special) continue;
    if (name.startsWith(`${prefix}/`)) actual.set(name.slice(prefix.length + 1), member);
    else report.extra.push(`/${name}`);
  }
  const files = compareWithManifest(bundleManifest, actual);
  report.changed.push(...files.changed);
  report.missing.push(...files.missing);
  report.extra.push(...files.extra);
  return sorted(report);
}

function sorted(report: VerifyReport): VerifyReport {
  for (const key of ["changed", "missing", "extra"] as const) report[key] = [...new Set(report[key])].sort(compareStrings);
  return report;
}
