// A wheel's core metadata: `<dist-info>/METADATA` checked against the wheel's file name and its
// `.dist-info` directory's name, bounded in size. Read through the full admission checks (./vet.ts).

import { PystoreError } from "../errors.js";
import { type CoreMetadata, parseCoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { compareVersions } from "../standards/pep440.js";
import type { WheelFilename } from "../standards/wheel-filename.js";
import { distInfoNameVersion } from "./dist-info.js";

/** Largest METADATA we accept: real ones are kilobytes; a huge one is a zip bomb, not metadata. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/** The refusal for a METADATA member over the limit, wherever it is read (archive or byte ranges). */
export function metadataTooLarge(archive: string, path: string, size: number): PystoreError {
  return new PystoreError("INVALID_METADATA", `${archive}: ${path} is ${size} bytes, too large to be metadata`, {
    hint: `core metadata is at most ${MAX_METADATA_BYTES} bytes; the wheel is malformed or hostile`,
    details: { archive, path, size, limit: MAX_METADATA_BYTES },
  });
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function disagree(archive: string, message: string): PystoreError {
  return new PystoreError("INVALID_METADATA", `${archive}: ${message}`, {
    hint: "a wheel's file name, its .dist-info directory and its METADATA must name the same project and version",
    details: { archive },
  });
}

/**
 * METADATA's bytes as text, with their parse (the store's row is made from it), refusing what installers
 * would read differently: empty, not UTF-8, no valid Name or Version, or a Name or Version other than the
 * file name's and the `.dist-info` directory's.
 */
export function checkWheelMetadata(
  archive: string,
  filename: WheelFilename,
  distInfo: string,
  bytes: Buffer,
): { text: string; meta: CoreMetadata } {
  const member = `${distInfo}/METADATA`;
  if (bytes.length === 0) throw disagree(archive, `${member} is empty`);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw disagree(archive, `${member} is not valid UTF-8`);
  }
  const meta = parseCoreMetadata(text, `${archive}: ${member}`);
  const [dirName] = distInfoNameVersion(distInfo);
  if (canonicalizeName(meta.name) !== filename.normalizedName || canonicalizeName(dirName) !== filename.normalizedName)
    throw disagree(archive, `${member} names ${JSON.stringify(meta.name)}, the file name ${JSON.stringify(filename.name)}`);
  if (compareVersions(meta.version, filename.version) !== 0)
    throw disagree(archive, `${member} says version ${meta.version}, the file name ${filename.version}`);
  return { text, meta };
}
