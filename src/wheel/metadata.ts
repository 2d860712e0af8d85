// A wheel's core metadata read out of its archive: `<dist-info>/METADATA` found by the one `.dist-info`
// rule (./dist-info.ts), after every entry passed the safety checks, and bounded in size.

import { PystoreError } from "../errors.js";
import { findDistInfo } from "./dist-info.js";
import { openWheelBytes, readCheckedEntries, readEntrySync } from "./zip.js";

/** Largest METADATA we accept: real ones are kilobytes; a huge one is a zip bomb, not metadata. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/** The refusal for a METADATA member over the limit, wherever it is read (archive or byte ranges). */
export function metadataTooLarge(archive: string, path: string, size: number): PystoreError {
  return new PystoreError("INVALID_METADATA", `${archive}: ${path} is ${size} bytes, too large to be metadata`, {
    hint: `core metadata is at most ${MAX_METADATA_BYTES} bytes; the wheel is malformed or hostile`,
    details: { archive, path, size, limit: MAX_METADATA_BYTES },
  });
}

/**
 * METADATA of the wheel at `path`, whose file name is `filename`. Every entry passes the installer's
 * safety checks first (UNSAFE_WHEEL): a wheel the bundler would refuse must never enter the store.
 * A file that is not a zip at all is INVALID_METADATA.
 */
export async function readWheelMetadata(path: string, filename: string): Promise<string> {
  const opened = await openWheelBytes(path, filename, undefined, "INVALID_METADATA");
  try {
    const { files, byPath } = await readCheckedEntries(opened.zip, filename, { corruptCode: "INVALID_METADATA" });
    const member = `${findDistInfo(filename, filename, files)}/METADATA`;
    const item = byPath.get(member)!;
    if (item.info.uncompressedSize > MAX_METADATA_BYTES) throw metadataTooLarge(filename, member, item.info.uncompressedSize);
    try {
      return readEntrySync(opened.bytes, filename, item).toString("utf8");
    } catch (cause) {
      throw new PystoreError("INVALID_METADATA", `${filename}: cannot read ${member}: ${(cause as Error).message}`, { cause });
    }
  } finally {
    opened.close();
  }
}
