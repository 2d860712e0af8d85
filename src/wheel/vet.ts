// Admitting a wheel (store add, fetch, store import, store pull, a bundle's local wheels): everything about
// it that needs no ordinary member inflated, before it is stored. The structure and names (./zip.ts), the
// one `.dist-info` (./dist-info.ts), RECORD's listing (./record.ts), the `.data/` directories the binary
// distribution format names, and the few members admission reads anyway (RECORD, METADATA against the
// file name, WHEEL, entry points), each checked as it is read. Every other member's content (inflated
// size, CRC, RECORD hash and size) is checked where it is read: the store tree's unpack and every
// WheelSource refuse a member that does not match, before any of its bytes is used. checkWheelContents
// adds that pass for `store verify`.

import { PystoreError } from "../errors.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import type { CoreMetadata } from "../standards/metadata.js";
import { dataDirOf } from "./dist-info.js";
import { parseEntryPoints } from "./entry-points.js";
import { checkWheelMetadata, MAX_METADATA_BYTES, metadataTooLarge } from "./metadata.js";
import type { SafetyLimits } from "./safety.js";
import { openZipSource, type ZipSource } from "./source.js";
import { readWheelFields } from "./wheel-file.js";

/** The `.data/` subdirectories the binary distribution format defines (its install scheme keys). */
export const DATA_SCHEMES: ReadonlySet<string> = new Set(["purelib", "platlib", "headers", "scripts", "data"]);

export interface VettedWheel {
  /** METADATA, as text. */
  metadata: string;
  /** METADATA, parsed (by the check that compared it with the file name). */
  meta: CoreMetadata;
  /** `.pth` files the wheel installs into site-packages: Python runs their `import` lines at every start. */
  pthFiles: string[];
}

export interface VetOptions {
  /** The wheel's bytes when the caller holds them (a download kept in memory). */
  data?: Buffer;
  limits?: SafetyLimits;
}

function unsafe(archive: string, entry: string, why: string, hint?: string): PystoreError {
  return new PystoreError("UNSAFE_WHEEL", `${archive}: refusing archive entry ${JSON.stringify(entry)}: ${why}`, {
    hint: hint ?? "the wheel is malformed or hostile; nothing from it was used",
    details: { archive, entry, reason: why },
  });
}

/** Every `.data/` member must sit in one of the five scheme directories, never directly in `.data/`. */
export function checkDataDirectories(archive: string, distInfo: string, files: readonly string[]): void {
  const prefix = `${dataDirOf(distInfo)}/`;
  for (const path of files) {
    if (!path.startsWith(prefix)) continue;
    const [scheme, ...rest] = path.slice(prefix.length).split("/");
    if (rest.length === 0 || !DATA_SCHEMES.has(scheme))
      throw unsafe(
        archive,
        path,
        `unknown install scheme ${JSON.stringify(scheme)} in ${prefix}`,
        "known schemes are purelib, platlib, scripts, data and headers",
      );
  }
}

/** The `.pth` files that land directly in site-packages (from the root or `.data/purelib|platlib/`). */
export function pthFilesOf(distInfo: string, files: readonly string[]): string[] {
  const data = dataDirOf(distInfo);
  return files
    .filter((path) => {
      if (!path.endsWith(".pth")) return false;
      const parts = path.split("/");
      if (parts.length === 1) return true;
      return parts.length === 3 && parts[0] === data && (parts[1] === "purelib" || parts[1] === "platlib");
    })
    .sort();
}

/** The admission checks on an open source: everything but the ordinary members' content. */
function admit(source: ZipSource, filename: string): VettedWheel {
  const parsed = parseWheelFilename(filename);
  const { distInfo } = source;
  const { paths } = source;
  checkDataDirectories(filename, distInfo, paths);
  const metadataPath = `${distInfo}/METADATA`;
  const wheelPath = `${distInfo}/WHEEL`;
  const entryPointsPath = `${distInfo}/entry_points.txt`;
  // Checked from the directory before it is inflated: a lying size cannot make METADATA allocate more.
  const metadataSize = source.sizeOf(metadataPath);
  if (metadataSize > MAX_METADATA_BYTES) throw metadataTooLarge(filename, metadataPath, metadataSize);
  // Read through the source: sizes, CRC and RECORD hash checked, as for any member a reader uses.
  const { text: metadata, meta } = checkWheelMetadata(filename, parsed, distInfo, source.read(metadataPath).data);
  if (!paths.includes(wheelPath))
    throw new PystoreError("INVALID_METADATA", `${filename} has no ${wheelPath}`, { details: { archive: filename } });
  readWheelFields(filename, source.read(wheelPath).data.toString("utf8"));
  if (paths.includes(entryPointsPath))
    parseEntryPoints(source.read(entryPointsPath).data.toString("utf8"), `${filename}:${entryPointsPath}`);
  return { metadata, meta, pthFiles: pthFilesOf(distInfo, paths) };
}

/**
 * Admit the wheel at `path` named `filename` (see the file comment for what that checks and what it leaves
 * to the readers). Throws UNSAFE_WHEEL, RECORD_MISMATCH or INVALID_METADATA naming the wheel and the
 * member; a file that is not a zip at all is INVALID_METADATA.
 */
export async function vetWheel(path: string, filename: string, opts: VetOptions = {}): Promise<VettedWheel> {
  const source = await openZipSource(path, filename, { ...opts, corruptCode: "INVALID_METADATA" });
  try {
    return admit(source, filename);
  } finally {
    source.close();
  }
}

/**
 * vetWheel, then every member inflated and checked against its declared size, its CRC and its RECORD hash
 * and size: what every reader of the wheel will find, all at once (`store verify`). The first member that
 * does not match is thrown as its reader throws it (UNSAFE_WHEEL or RECORD_MISMATCH, naming the member).
 */
export async function checkWheelContents(path: string, filename: string, opts: VetOptions = {}): Promise<VettedWheel> {
  const source = await openZipSource(path, filename, { ...opts, corruptCode: "INVALID_METADATA" });
  try {
    const vetted = admit(source, filename);
    // RECORD was read (size and CRC checked) to list the members; it has no hash of its own.
    for (const member of source.paths) if (member !== source.listing.recordPath) source.read(member);
    return vetted;
  } finally {
    source.close();
  }
}
