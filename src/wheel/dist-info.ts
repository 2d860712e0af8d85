// The one `.dist-info` rule for wheel archives (uv-metadata's find_archive_dist_info, checked against the
// wheel's file name per the binary distribution format), and what a `.dist-info` directory's name says.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { compareVersions } from "../standards/pep440.js";
import { parseWheelFilename, type WheelFilename } from "../standards/wheel-filename.js";
import { compareStrings } from "../util/order.js";

/** Compiled extension modules and shared libraries: a wheel with one cannot be imported from a zip. */
const NATIVE = /\.(so|pyd|dylib|dll)$|\.so\.\d/;

export function hasNativeCode(paths: Iterable<string>): boolean {
  for (const path of paths) if (NATIVE.test(path)) return true;
  return false;
}

/** `Name-1.0.dist-info` → ["Name", "1.0"]; a directory without a version part gives "" for it. */
export function distInfoNameVersion(distInfo: string): [string, string] {
  const stem = distInfo.replace(/\.dist-info$/, "");
  const dash = stem.lastIndexOf("-");
  return dash < 0 ? [stem, ""] : [stem.slice(0, dash), stem.slice(dash + 1)];
}

/** The `.data` directory that belongs to a `.dist-info` directory. */
export function dataDirOf(distInfo: string): string {
  return distInfo.replace(/\.dist-info$/, ".data");
}

/** PEP 440 equality (1.0 == 1.0.0); a version that does not parse equals nothing. */
function sameVersion(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) === 0;
  } catch {
    return false;
  }
}

function invalid(archive: string, message: string): PystoreError {
  return new PystoreError("INVALID_METADATA", `${archive} ${message}`, {
    hint: "a wheel must contain exactly one {name}-{version}.dist-info directory at its root, holding METADATA, named like the wheel file",
    details: { archive },
  });
}

/**
 * The wheel's one `.dist-info` directory, as pip and uv find it: exactly one top-level `*.dist-info/`
 * directory (none, or a second one, vendored or not, is refused: installers would disagree on which is
 * the wheel's), whose name part normalizes to the file name's project name, whose version part is the
 * file name's version (PEP 440 equal), and which holds METADATA. `archive` names the wheel in errors.
 */
export function findDistInfo(archive: string, filename: string | WheelFilename, paths: Iterable<string>): string {
  const parsed = typeof filename === "string" ? parseWheelFilename(filename) : filename;
  const dirs = new Set<string>();
  const metadata = new Set<string>();
  // Indexed: until the JIT has optimised this code, a for-of allocates an iterator result per path.
  const list: readonly string[] = Array.isArray(paths) ? paths : [...paths];
  for (let i = 0; i < list.length; i++) {
    const path = list[i];
    const slash = path.indexOf("/");
    // Tested in place: only the few paths under a .dist-info directory are cut.
    if (slash < 0 || !path.endsWith(".dist-info", slash)) continue;
    const dir = path.slice(0, slash);
    dirs.add(dir);
    if (path.length === slash + 1 + "METADATA".length && path.endsWith("/METADATA")) metadata.add(dir);
  }
  const found = [...dirs].sort(compareStrings);
  if (found.length > 1) throw invalid(archive, `has several .dist-info directories: ${found.join(", ")}`);
  const dir = found[0];
  const [name, version] = dir === undefined ? ["", ""] : distInfoNameVersion(dir);
  if (dir === undefined || canonicalizeName(name) !== parsed.normalizedName) {
    const seen = dir === undefined ? "found none" : `found only ${dir}`;
    throw invalid(archive, `has no *.dist-info/METADATA at its root for ${JSON.stringify(parsed.name)} (${seen})`);
  }
  if (!sameVersion(version, parsed.version)) {
    throw invalid(archive, `has ${dir}, but its file name says version ${parsed.version}`);
  }
  if (!metadata.has(dir)) throw invalid(archive, `has ${dir} without METADATA`);
  return dir;
}
