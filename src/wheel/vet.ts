// Admitting a wheel (store add, fetch, store import, a bundle's local wheels): every check a later reader
// makes, done once before the wheel is stored. The structure and names (./zip.ts), the one `.dist-info`
// (./dist-info.ts), RECORD and every member's hash (./record.ts), WHEEL, METADATA against the file name
// (./metadata.ts), entry points, and the `.data/` directories the binary distribution format names.

import { PystoreError } from "../errors.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { dataDirOf } from "./dist-info.js";
import { parseEntryPoints } from "./entry-points.js";
import { checkWheelMetadata, MAX_METADATA_BYTES, metadataTooLarge } from "./metadata.js";
import type { SafetyLimits } from "./safety.js";
import { openZipSource } from "./source.js";
import { readWheelFields } from "./wheel-file.js";

/** The `.data/` subdirectories the binary distribution format defines (its install scheme keys). */
export const DATA_SCHEMES: ReadonlySet<string> = new Set(["purelib", "platlib", "headers", "scripts", "data"]);

export interface VettedWheel {
  /** METADATA, as text. */
  metadata: string;
  /** `.pth` files the wheel installs into site-packages: Python runs their `import` lines at every start. */
  pthFiles: string[];
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

/**
 * One wheel's admission checks in three steps, so that several threads can share the members of a large
 * wheel: openVetting runs every check that comes before the members, checkMember reads one member (any
 * order, each once), finish runs the checks that come after them. vetWheel runs the three in order.
 */
export interface WheelVetting {
  /** Every member, in archive order: checkMember takes an index into this. */
  readonly members: readonly string[];
  /** Read member `index`: its declared size, CRC, RECORD hash and RECORD size. */
  checkMember(index: number): void;
  /** METADATA against the file name, WHEEL, entry points. */
  finish(): VettedWheel;
  close(): void;
}

/** The checks before the members: the archive's structure and names, the `.dist-info`, RECORD's listing. */
export async function openVetting(
  path: string,
  filename: string,
  opts: { data?: Buffer; limits?: SafetyLimits } = {},
): Promise<WheelVetting> {
  const parsed = parseWheelFilename(filename);
  const source = await openZipSource(path, filename, { ...opts, corruptCode: "INVALID_METADATA" });
  const { distInfo } = source;
  const paths = source.files.map((f) => f.path);
  const metadataPath = `${distInfo}/METADATA`;
  const wheelPath = `${distInfo}/WHEEL`;
  const entryPointsPath = `${distInfo}/entry_points.txt`;
  try {
    checkDataDirectories(filename, distInfo, paths);
    const metadataSize = source.sizeOf(metadataPath);
    if (metadataSize > MAX_METADATA_BYTES) throw metadataTooLarge(filename, metadataPath, metadataSize);
  } catch (error) {
    source.close();
    throw error;
  }
  // The members finish() reads, kept when checkMember read them in this thread.
  const wanted = new Set([metadataPath, wheelPath, entryPointsPath]);
  const kept = new Map<string, Buffer>();
  const bytesOf = (member: string) => kept.get(member) ?? source.read(member).data;
  return {
    members: paths,
    checkMember(index) {
      const member = paths[index];
      // RECORD was read (size and CRC checked) to list the members; it has no hash of its own.
      if (member === source.listing.recordPath) return;
      const { data } = source.read(member);
      if (wanted.has(member)) kept.set(member, data);
    },
    finish() {
      const metadata = checkWheelMetadata(filename, parsed, distInfo, bytesOf(metadataPath));
      if (!paths.includes(wheelPath))
        throw new PystoreError("INVALID_METADATA", `${filename} has no ${wheelPath}`, { details: { archive: filename } });
      readWheelFields(filename, bytesOf(wheelPath).toString("utf8"));
      if (paths.includes(entryPointsPath)) parseEntryPoints(bytesOf(entryPointsPath).toString("utf8"), `${filename}:${entryPointsPath}`);
      return { metadata, pthFiles: pthFilesOf(distInfo, paths) };
    },
    close: () => source.close(),
  };
}

/**
 * Check everything about the wheel at `path` named `filename`; a wheel that passes installs exactly as
 * every reader of it would install it. Throws UNSAFE_WHEEL, RECORD_MISMATCH or INVALID_METADATA naming
 * the wheel and the member; a file that is not a zip at all is INVALID_METADATA.
 */
export async function vetWheel(path: string, filename: string, opts: { data?: Buffer; limits?: SafetyLimits } = {}): Promise<VettedWheel> {
  const vetting = await openVetting(path, filename, opts);
  try {
    // Every member, read once: sizes, CRC and RECORD hash all checked by the source as it reads.
    for (let i = 0; i < vetting.members.length; i++) vetting.checkMember(i);
    return vetting.finish();
  } finally {
    vetting.close();
  }
}
