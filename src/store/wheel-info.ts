// What the store records about a wheel: filename tags plus the core metadata read out of the archive.

import { promisify } from "node:util";
import yauzl from "yauzl";
import { PystoreError } from "../errors.js";
import { parseCoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { formatRequirement } from "../standards/pep508.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { filenameTag } from "./layout.js";

export interface WheelInfo {
  filename: string;
  name: string;
  version: string;
  /** Expanded tags, in filename order. */
  tags: string[];
  /** The compressed tag set as written in the filename (used in entry names). */
  tag: string;
  requiresPython?: string;
  metadata: string;
  dependencies: string[];
}

const openZip = promisify(yauzl.open) as (path: string, options: yauzl.Options) => Promise<yauzl.ZipFile>;

/** Largest METADATA we accept: real ones are kilobytes; a huge one is a zip bomb, not metadata. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * The wheel spec puts METADATA in `{name}-{version}.dist-info/` at the archive root. Wheels in the
 * wild vary the name's case and escaping, so match on the normalized name and fall back to the only
 * root-level .dist-info when exactly one exists.
 */
export async function readWheelMetadata(path: string, label: string, expectedName: string): Promise<string> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new PystoreError("INVALID_METADATA", `${label} is not a readable zip archive: ${(error as Error).message}`, { cause: error });
  }
  try {
    const candidates: yauzl.Entry[] = [];
    for await (const entry of zip.eachEntry()) {
      if (/^[^/]+\.dist-info\/METADATA$/.test(entry.fileName)) candidates.push(entry);
    }
    const wanted = canonicalizeName(expectedName);
    const named = candidates.filter((e) => canonicalizeName(e.fileName.split("/")[0].replace(/\.dist-info$/, "").replace(/-[^-]*$/, "")) === wanted);
    const chosen = named.length === 1 ? named[0] : candidates.length === 1 ? candidates[0] : undefined;
    if (!chosen) {
      throw new PystoreError("INVALID_METADATA", `${label} has ${candidates.length === 0 ? "no" : "more than one"} *.dist-info/METADATA at its root`, {
        hint: "a wheel must contain exactly one {name}-{version}.dist-info/METADATA",
      });
    }
    if (chosen.uncompressedSize > MAX_METADATA_BYTES) {
      throw new PystoreError("INVALID_METADATA", `${label}: ${chosen.fileName} is ${chosen.uncompressedSize} bytes, too large to be metadata`);
    }
    const stream = await zip.openReadStreamPromise(chosen);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    zip.close();
  }
}

export async function readWheelInfo(path: string, filename: string): Promise<WheelInfo> {
  const parsed = parseWheelFilename(filename);
  const metadata = await readWheelMetadata(path, filename, parsed.normalizedName);
  const meta = parseCoreMetadata(metadata, `${filename}: METADATA`);
  if (canonicalizeName(meta.name) !== parsed.normalizedName) {
    throw new PystoreError("INVALID_METADATA", `${filename}: METADATA names ${JSON.stringify(meta.name)}, the filename names ${JSON.stringify(parsed.name)}`);
  }
  return {
    filename,
    name: parsed.normalizedName,
    version: parsed.version,
    tags: parsed.tags,
    tag: filenameTag(filename),
    requiresPython: meta.requiresPython,
    metadata,
    dependencies: meta.requiresDist.map((req) => formatRequirement(req)),
  };
}
