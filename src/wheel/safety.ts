// Archive-entry safety for wheels: names that escape the target, symlinks, duplicates, control characters,
// zip bombs. Pure checks over central-directory facts, so they run before a single byte is extracted.

import { PystoreError } from "../errors.js";

/** What the safety checks need to know about one zip entry (from the central directory). */
export interface ArchiveEntryInfo {
  /** The raw name bytes, decoded as UTF-8 (wheels are UTF-8 by spec). */
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Zip "external attributes": the high 16 bits carry a Unix st_mode when made on Unix. */
  externalAttributes: number;
  /** Zip "version made by": the high byte names the host system (3 = Unix). */
  versionMadeBy?: number;
}

export interface SafetyLimits {
  /** Refuse archives that would expand to more than this many bytes in total. */
  maxTotalBytes: number;
  /** Refuse archives with more entries than this. */
  maxEntries: number;
  /** Refuse any entry whose expansion ratio exceeds this (only checked above `ratioFloorBytes`). */
  maxRatio: number;
  /** Small entries compress absurdly well legitimately (a 1 MiB file of zeros is not an attack). */
  ratioFloorBytes: number;
}

export const DEFAULT_LIMITS: SafetyLimits = {
  maxTotalBytes: 8 * 1024 ** 3,
  maxEntries: 200_000,
  maxRatio: 200,
  ratioFloorBytes: 16 * 1024 * 1024,
};

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** The Unix mode stored in an entry, or undefined when the archive was not made with one. */
function unixMode(entry: Pick<ArchiveEntryInfo, "externalAttributes">): number | undefined {
  const mode = (entry.externalAttributes >>> 16) & 0xffff;
  return mode === 0 ? undefined : mode;
}

export function isSymlinkEntry(entry: Pick<ArchiveEntryInfo, "externalAttributes">): boolean {
  const mode = unixMode(entry);
  return mode !== undefined && (mode & S_IFMT) === S_IFLNK;
}

export function isDirectoryEntry(entry: Pick<ArchiveEntryInfo, "name" | "externalAttributes">): boolean {
  const mode = unixMode(entry);
  return entry.name.endsWith("/") || (mode !== undefined && (mode & S_IFMT) === S_IFDIR);
}

/** True when the entry's stored mode has any execute bit (installers keep those files executable). */
export function isExecutableEntry(entry: Pick<ArchiveEntryInfo, "externalAttributes">): boolean {
  const mode = unixMode(entry);
  return mode !== undefined && ((mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0) && (mode & 0o111) !== 0;
}

function unsafe(archive: string, name: string, why: string): PystoreError {
  return new PystoreError("UNSAFE_WHEEL", `${archive}: refusing archive entry ${JSON.stringify(name)}: ${why}`, {
    hint: "the wheel is malformed or hostile; nothing from it was installed",
    details: { archive, entry: name, reason: why },
  });
}

/** An empty, "." or ".." segment (a trailing "/" ends in an empty one). */
const ODD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;
/** Every character checkEntryName refuses anywhere in a name: controls, bidirectional marks, "\\" and ":". */
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\\:]/;

/**
 * Validate one entry name and return it normalised (no leading "./", no empty segments).
 * Refuses anything that could land outside the destination on any OS we bundle for.
 */
export function checkEntryName(archive: string, name: string): string {
  // The usual name passes every check below untouched: one scan for anything a check looks at.
  // (ODD_SEGMENT also matches an empty name and a leading "/".)
  if (!SUSPECT.test(name) && !ODD_SEGMENT.test(name)) return name;
  if (name.length === 0) throw unsafe(archive, name, "empty name");
  // NUL truncates names in C APIs; other control characters (C0, C1) and bidirectional overrides hide or
  // disguise names in terminals and logs.
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name))
    throw unsafe(archive, name, "control character in name");
  if (name.includes("\\")) throw unsafe(archive, name, "backslash in name (Windows path separator)");
  if (name.startsWith("/")) throw unsafe(archive, name, "absolute path");
  if (/^[A-Za-z]:/.test(name)) throw unsafe(archive, name, "drive-letter path");
  // Anywhere else a colon is a drive-relative path or an alternate data stream on Windows.
  if (name.includes(":")) throw unsafe(archive, name, "colon in name (a drive or a data stream on Windows)");
  // The usual name: no empty, "." or ".." segment, so it is its own normal form.
  if (!ODD_SEGMENT.test(name)) return name;
  const segments = name.replace(/\/+$/, "").split("/");
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") throw unsafe(archive, name, "path escapes the install directory (..)");
    kept.push(segment);
  }
  if (kept.length === 0) throw unsafe(archive, name, "name has no path component");
  return kept.join("/");
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The name a case-insensitive, normalisation-insensitive filesystem sees: NFC (macOS stores NFD, and
 * treats both spellings as one), then case folded both ways (Windows folds by upper case).
 */
export function collisionKey(path: string): string {
  // ASCII is its own NFC, and its upper-then-lower case is its lower case.
  if (ASCII.test(path)) return path.toLowerCase();
  return path.normalize("NFC").toUpperCase().toLowerCase();
}

/**
 * Check every entry of an archive before anything is extracted. Returns the normalised file names in
 * archive order (directories dropped). Duplicates are compared after normalisation and case-folding,
 * because a case-insensitive filesystem (macOS, Windows) would merge them silently.
 */
export function checkArchiveEntries(archive: string, entries: ArchiveEntryInfo[], limits: SafetyLimits = DEFAULT_LIMITS): string[] {
  if (entries.length > limits.maxEntries) {
    throw unsafe(archive, `${entries.length} entries`, `more than ${limits.maxEntries} entries (zip bomb?)`);
  }
  // The whole archive's declared size first: it is the limit a bomb of many plausible entries meets.
  let total = 0;
  // Indexed loops: until the JIT has optimised this code, a for-of allocates an iterator result per entry.
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (isDirectoryEntry(entry)) continue;
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw unsafe(archive, entry.name, `archive expands to more than ${limits.maxTotalBytes} bytes (zip bomb?)`);
    }
  }
  const seen = new Map<string, ArchiveEntryInfo>();
  const files: string[] = [];
  const fileKeys: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const normalised = checkEntryName(archive, entry.name);
    // One spelling per path: "./a" or "a//b" would name the same file as "a" or "a/b" to some tools only.
    if (normalised !== entry.name && normalised !== entry.name.replace(/\/$/, ""))
      throw unsafe(archive, entry.name, `name is not in canonical form (${JSON.stringify(normalised)})`);
    if (isSymlinkEntry(entry)) throw unsafe(archive, entry.name, "symbolic link entry");
    const key = collisionKey(normalised);
    const previous = seen.get(key)?.name;
    if (previous === entry.name) throw unsafe(archive, entry.name, "duplicate entry");
    if (previous !== undefined)
      throw unsafe(
        archive,
        entry.name,
        `duplicate entry on case-insensitive or normalising filesystems (macOS, Windows): collides with ${JSON.stringify(previous)}`,
      );
    seen.set(key, entry);
    if (isDirectoryEntry(entry)) continue;
    if (entry.uncompressedSize > limits.ratioFloorBytes) {
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (ratio > limits.maxRatio) {
        throw unsafe(archive, entry.name, `compression ratio ${Math.round(ratio)}:1 exceeds ${limits.maxRatio}:1 (zip bomb?)`);
      }
    }
    files.push(normalised);
    fileKeys.push(key);
  }
  // A file and a directory of the same name cannot both exist; "a" then "a/b" is a conflict too. A parent
  // found clean was found so with all of its own parents: the walk up stops there.
  const cleanParents = new Set<string>();
  for (let i = 0; i < fileKeys.length; i++) {
    const lower = fileKeys[i];
    for (let at = lower.lastIndexOf("/"); at > 0; at = lower.lastIndexOf("/", at - 1)) {
      const parent = lower.slice(0, at);
      if (cleanParents.has(parent)) break;
      const named = seen.get(parent);
      if (named !== undefined && !isDirectoryEntry(named)) {
        throw unsafe(archive, files[i], `path runs through the file ${JSON.stringify(parent)}`);
      }
      cleanParents.add(parent);
    }
  }
  return files;
}

/** Check a relative path we are about to create (from RECORD, .data mapping or app code). */
export function checkRelativePath(label: string, path: string): string {
  return checkEntryName(label, path);
}
