// Reading a wheel's central directory into safety-checked entries (src/bundle/safety.ts), before any byte is read.
// Shared by the installer and the store, so a hostile wheel gets the same typed refusal wherever it shows up.

import yauzl from "yauzl";
import { PystoreError, type ErrorCode } from "../errors.js";
import { DEFAULT_LIMITS, checkArchiveEntries, isDirectoryEntry, type ArchiveEntryInfo, type SafetyLimits } from "./safety.js";

export interface ZipItem {
  info: ArchiveEntryInfo;
  /** The normalised, checked path ("" for directories). */
  path: string;
  entry: yauzl.Entry;
}

export interface CheckedEntries {
  /** Normalised file paths in archive order (directories dropped). */
  files: string[];
  byPath: Map<string, ZipItem>;
}

export interface ZipReadOptions {
  limits?: SafetyLimits;
  /** The code for an archive that is not a readable zip at all (the installer and the store differ). */
  corruptCode?: ErrorCode;
}

function decodeName(archive: string, raw: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new PystoreError("UNSAFE_WHEEL", `${archive}: refusing archive entry ${JSON.stringify(raw.toString("latin1"))}: name is not valid UTF-8`, {
      hint: "the wheel is malformed or hostile; nothing from it was used",
      details: { archive, reason: "name is not valid UTF-8" },
    });
  }
}

export async function openWheelZip(wheelPath: string, archive: string, opts: ZipReadOptions = {}): Promise<yauzl.ZipFile> {
  try {
    // decodeStrings: false, so hostile names reach our own checks (and typed errors) instead of yauzl's plain Errors.
    return await yauzl.openPromise(wheelPath, { lazyEntries: true, decodeStrings: false, autoClose: false, validateEntrySizes: true });
  } catch (cause) {
    throw new PystoreError(opts.corruptCode ?? "UNSAFE_WHEEL", `${archive}: not a readable zip archive: ${(cause as Error).message}`, { cause });
  }
}

/** Read the central directory and run every safety check; throws UNSAFE_WHEEL naming the archive and entry. */
export async function readCheckedEntries(zip: yauzl.ZipFile, archive: string, opts: ZipReadOptions = {}): Promise<CheckedEntries> {
  const items: ZipItem[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const info: ArchiveEntryInfo = {
        name: decodeName(archive, entry.fileNameRaw),
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        externalAttributes: entry.externalFileAttributes,
        versionMadeBy: entry.versionMadeBy,
      };
      if (entry.isEncrypted()) throw new PystoreError("UNSAFE_WHEEL", `${archive}: entry ${JSON.stringify(info.name)} is encrypted`);
      items.push({ info, path: "", entry });
    }
  } catch (cause) {
    if (cause instanceof PystoreError) throw cause;
    throw new PystoreError(opts.corruptCode ?? "UNSAFE_WHEEL", `${archive}: corrupt zip archive: ${(cause as Error).message}`, { cause });
  }
  const files = checkArchiveEntries(
    archive,
    items.map((i) => i.info),
    opts.limits ?? DEFAULT_LIMITS,
  );
  const fileItems = items.filter((item) => !isDirectoryEntry(item.info));
  fileItems.forEach((item, i) => (item.path = files[i]));
  return { files, byPath: new Map(fileItems.map((item) => [item.path, item])) };
}
