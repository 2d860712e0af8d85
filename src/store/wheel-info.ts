// What the store records about a wheel: filename tags plus the core metadata read out of the archive.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { formatRequirement } from "../standards/pep508.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { type VettedWheel, vetWheel } from "../wheel/vet.js";
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

/**
 * The admission checks (src/wheel/vet.ts), then what the row records. `data`: the file's bytes when the
 * caller holds them (a download kept in memory), so the archive is read from there, not the disk.
 */
export async function readWheelInfo(path: string, filename: string, data?: Buffer): Promise<WheelInfo> {
  return wheelInfoOf(filename, await vetWheel(path, filename, data ? { data } : {}));
}

/** What the row records about a wheel that passed the admission checks. */
export function wheelInfoOf(filename: string, { metadata, meta }: VettedWheel): WheelInfo {
  const parsed = parseWheelFilename(filename);
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
