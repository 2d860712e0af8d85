// A lock entry against its wheel's file name (PEP 427): the name must be the entry's per PEP 503 and the
// version equal per PEP 440, so a hand-edited or damaged lock cannot put one project's wheel under another.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { compareVersions } from "../standards/pep440.js";
import { parseWheelFilename, type WheelFilename } from "../standards/wheel-filename.js";

export interface LockEntry {
  name: string;
  version?: string;
}

function sameVersion(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) === 0;
  } catch {
    return false;
  }
}

/** The parsed file name of `wheelName`, or INVALID_LOCK naming the entry and the wheel when they disagree. */
export function checkWheelEntry(entry: LockEntry, wheelName: string): WheelFilename {
  const label = `${entry.name}${entry.version === undefined ? "" : ` ${entry.version}`}`;
  let parsed: WheelFilename;
  try {
    parsed = parseWheelFilename(wheelName);
  } catch (error) {
    throw new PystoreError("INVALID_LOCK", `the lock's entry ${label}: ${(error as Error).message}`, {
      hint: "re-lock with `pystore lock`",
      details: { package: entry.name, wheel: wheelName },
      cause: error,
    });
  }
  // A lock without a version (PEP 751 allows it for non-index sources) is checked by name only.
  const nameMatches = canonicalizeName(entry.name) === parsed.normalizedName;
  const versionMatches = entry.version === undefined || sameVersion(entry.version, parsed.version);
  if (!nameMatches || !versionMatches) {
    throw new PystoreError("INVALID_LOCK", `the lock's entry ${label}: its wheel ${wheelName} is ${parsed.name} ${parsed.version}`, {
      hint: "the lock was edited or damaged; re-lock with `pystore lock`",
      details: { package: entry.name, version: entry.version ?? null, wheel: wheelName },
    });
  }
  return parsed;
}
