// What the store records about a wheel: filename tags plus the core metadata read out of the archive.

import { PystoreError } from "../errors.js";
import { parseCoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { formatRequirement } from "../standards/pep508.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { readWheelMetadata } from "../wheel/metadata.js";
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

export async function readWheelInfo(path: string, filename: string): Promise<WheelInfo> {
  const parsed = parseWheelFilename(filename);
  const metadata = await readWheelMetadata(path, filename);
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
