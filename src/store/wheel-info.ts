// What the store records about a wheel: filename tags plus the core metadata read out of the archive.

import { openWheelZip, readCheckedEntries } from "../bundle/zip-entries.js";
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

/** Largest METADATA we accept: real ones are kilobytes; a huge one is a zip bomb, not metadata. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * The wheel spec puts METADATA in `{name}-{version}.dist-info/` at the archive root. Wheels in the
 * wild vary the name's case and escaping, so match on the normalized name and fall back to the only
 * root-level .dist-info when exactly one exists. Every entry passes the installer's safety checks first
 * (UNSAFE_WHEEL): a wheel the bundler would refuse must never enter the store.
 */
export async function readWheelMetadata(path: string, label: string, expectedName: string): Promise<string> {
  const zip = await openWheelZip(path, label, { corruptCode: "INVALID_METADATA" });
  try {
    const { byPath } = await readCheckedEntries(zip, label, { corruptCode: "INVALID_METADATA" });
    const candidates = [...byPath.values()].filter((item) => /^[^/]+\.dist-info\/METADATA$/.test(item.path));
    const wanted = canonicalizeName(expectedName);
    const named = candidates.filter(
      (c) =>
        canonicalizeName(
          c.path
            .split("/")[0]
            .replace(/\.dist-info$/, "")
            .replace(/-[^-]*$/, ""),
        ) === wanted,
    );
    const chosen = named.length === 1 ? named[0] : candidates.length === 1 ? candidates[0] : undefined;
    if (!chosen) {
      throw new PystoreError(
        "INVALID_METADATA",
        `${label} has ${candidates.length === 0 ? "no" : "more than one"} *.dist-info/METADATA at its root`,
        {
          hint: "a wheel must contain exactly one {name}-{version}.dist-info/METADATA",
        },
      );
    }
    if (chosen.info.uncompressedSize > MAX_METADATA_BYTES) {
      throw new PystoreError(
        "INVALID_METADATA",
        `${label}: ${chosen.path} is ${chosen.info.uncompressedSize} bytes, too large to be metadata`,
      );
    }
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(chosen.entry)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    } catch (cause) {
      throw new PystoreError("INVALID_METADATA", `${label}: cannot read ${chosen.path}: ${(cause as Error).message}`, { cause });
    }
  } finally {
    zip.close();
  }
}

export async function readWheelInfo(path: string, filename: string): Promise<WheelInfo> {
  const parsed = parseWheelFilename(filename);
  const metadata = await readWheelMetadata(path, filename, parsed.normalizedName);
  const meta = parseCoreMetadata(metadata, `${filename}: METADATA`);
  if (canonicalizeName(meta.name) !== parsed.normalizedName) {
    throw new PystoreError(
      "INVALID_METADATA",
      `${filename}: METADATA names ${JSON.stringify(meta.name)}, the filename names ${JSON.stringify(parsed.name)}`,
    );
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
