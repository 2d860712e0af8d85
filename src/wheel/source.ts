// Where an installer gets a wheel's members (pypa/installer's "sources"): the interface, and the source
// that reads a .whl, checking entry safety, the .dist-info rule and RECORD before any member is used.

import { hash } from "node:crypto";
import { PystoreError, type ErrorCode } from "../errors.js";
import { findDistInfo } from "./dist-info.js";
import { checkRecordListing, checkRecordedFile, type RecordListing } from "./record.js";
import { DEFAULT_LIMITS, isExecutableEntry, type SafetyLimits } from "./safety.js";
import { openWheel, readEntrySync, type ZipItem } from "./zip.js";

export interface SourceMember {
  /** Archive path, "/"-separated, normalised. */
  path: string;
  executable: boolean;
}

/** A member that already sits on disk with a known hash (a store tree), so a destination can link it. */
export interface StoredMember {
  location: string;
  /** Lower-case hex. */
  sha256: string;
  size: number;
}

export interface WheelSource {
  /** The wheel's file name: names it in errors and in the duplicate-file claims. */
  readonly filename: string;
  /** The wheel's own `.dist-info` directory (src/wheel/dist-info.ts). */
  readonly distInfo: string;
  /** Every member (directories excluded). */
  readonly files: readonly SourceMember[];
  /** A member's bytes, already checked against the wheel's RECORD, and their sha256. */
  read(path: string): { data: Buffer; sha256: Buffer };
  /** Where the member is on disk with hash and size already known; undefined means "read it". */
  stored?(path: string): StoredMember | undefined;
}

export interface ZipSourceOptions {
  /** The wheel's bytes when the caller already read (and hashed) them. */
  data?: Buffer;
  limits?: SafetyLimits;
  /** The code for an archive that is not a readable zip at all. */
  corruptCode?: ErrorCode;
}

export interface ZipSource extends WheelSource {
  /** Every member's path (directories excluded), in archive order: `files` without an object per member. */
  readonly paths: readonly string[];
  readonly listing: RecordListing;
  /** A member's size as the archive declares it (checked when it is read). */
  sizeOf(path: string): number;
  close(): void;
}

/**
 * Open a .whl as a source. Everything about the archive is checked before this returns (entry names,
 * symlinks, duplicates, sizes, one `.dist-info` named like `filename`, RECORD completeness); each member's
 * bytes are checked against RECORD as they are read, so nothing unverified ever reaches a destination.
 */
export async function openZipSource(wheelPath: string, filename: string, opts: ZipSourceOptions = {}): Promise<ZipSource> {
  const archive = filename;
  const opened = openWheel(wheelPath, archive, { data: opts.data, limits: opts.limits ?? DEFAULT_LIMITS, corruptCode: opts.corruptCode });
  try {
    const { files, byPath } = opened;
    const distInfo = findDistInfo(archive, filename, files);
    const raw = (path: string) => {
      const item = byPath.get(path);
      return item ? readEntrySync(opened.bytes, archive, item) : undefined;
    };
    const listing = checkRecordListing(archive, distInfo, files, raw, byPath);
    const item = (path: string): ZipItem => {
      const found = byPath.get(path);
      if (!found) throw new PystoreError("INTERNAL", `${archive}: no member ${JSON.stringify(path)}`);
      return found;
    };
    // Made when first asked for: admission needs only the paths.
    let members: SourceMember[] | undefined;
    return {
      filename,
      distInfo,
      listing,
      paths: files,
      get files() {
        members ??= files.map((path) => ({ path, executable: isExecutableEntry(item(path).info) }));
        return members;
      },
      sizeOf: (path) => item(path).info.uncompressedSize,
      read(path) {
        const data = readEntrySync(opened.bytes, archive, item(path));
        // One sha256 serves the RECORD check (nearly every RECORD uses sha256) and every later use.
        const sha256 = hash("sha256", data, "buffer");
        if (!listing.unsigned.has(path)) checkRecordedFile(archive, path, data, sha256, listing.recorded.get(path)!);
        return { data, sha256 };
      },
      close: () => opened.close(),
    };
  } catch (error) {
    opened.close();
    throw error;
  }
}
