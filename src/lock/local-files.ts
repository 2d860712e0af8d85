// Which `file:` URLs a lock may name: only files below a local directory its own [tool.pystore] index
// configuration records (index URLs and find-links), or a recorded direct `name @ file:…` requirement's
// own URL. `path` entries are kept inside the project by the
// PEP 751 validator; this keeps `url` entries from reading anything else on the machine (file:///etc/passwd).

import { realpathSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import { parseRequirement } from "../standards/pep508.js";
import type { Pylock } from "../standards/pylock.js";
import { redactUrl } from "../util/redact.js";
import { recordedInputs } from "./recorded.js";

/** The scheme of `url`, lower-case with its colon, as index-client/transports.ts spells it (without loading the HTTP stack). */
function schemeOf(url: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return match ? `${match[1].toLowerCase()}:` : undefined;
}

/** A path with its symlinks resolved when it exists, so a link cannot lead out of a location. */
function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The local directory an index URL or find-links entry points at, or undefined for a remote one. */
function localDirectory(location: string, lockDir: string): string | undefined {
  const scheme = schemeOf(location);
  let path: string;
  if (scheme === "file:") {
    try {
      path = fileURLToPath(location);
    } catch {
      return undefined;
    }
  } else if (scheme !== undefined && !/^[a-z]:[\\/]/i.test(location)) {
    return undefined;
  } else {
    // Recorded as given on the command line or in pyproject.toml: relative to the project, which is where the lock is written.
    path = resolve(lockDir, location);
  }
  // A find-links HTML page stands for the directory it is in.
  return /\.html?$/i.test(path) ? dirname(path) : path;
}

/** Where a lock's `file:` URLs may point: directories (symlinks resolved) and exact direct-requirement URLs. */
export interface LocalLocations {
  dirs: string[];
  urls: string[];
}

/** The direct URL of a recorded requirement string, if it has one. */
function requirementUrl(text: string): string | undefined {
  try {
    return parseRequirement(text).url;
  } catch {
    return undefined;
  }
}

/** The local locations `lock` records as indexes, find-links and direct requirements. */
export function localLocations(lock: Pylock, lockDir: string): LocalLocations {
  const recorded = recordedInputs(lock);
  if (!recorded) return { dirs: [], urls: [] };
  const table = lock.tool?.pystore as Record<string, unknown>;
  const pins = table["index-pins"] && typeof table["index-pins"] === "object" ? Object.values(table["index-pins"] as object) : [];
  const locations = [recorded.indexUrl, ...(recorded.extraIndexUrls ?? []), ...(recorded.findLinks ?? []), ...pins];
  const dirs = locations.filter((l): l is string => typeof l === "string").map((l) => localDirectory(l, lockDir));
  const constraints = Array.isArray(table.constraints) ? table.constraints.filter((c): c is string => typeof c === "string") : [];
  const urls = [...(recorded.requirements ?? []), ...constraints].map(requirementUrl);
  return {
    dirs: [...new Set(dirs.filter((d): d is string => d !== undefined).map(canonicalPath))],
    urls: urls.filter((u): u is string => u !== undefined && schemeOf(u) === "file:"),
  };
}

/**
 * Refuse a `file:` `url` outside every location in `allowed` (from localLocations), before anything is
 * read. Other schemes pass: they are the transports' business.
 */
export function checkLocalUrl(url: string, entry: string, allowed: LocalLocations): void {
  if (schemeOf(url) !== "file:") return;
  // A direct requirement's URL may carry a #sha256= fragment that the locked wheel's URL does not, or the reverse.
  const bare = (u: string) => u.replace(/#.*$/s, "");
  if (allowed.urls.some((u) => bare(u) === bare(url))) return;
  let path: string | undefined;
  try {
    path = canonicalPath(fileURLToPath(url));
  } catch {
    path = undefined;
  }
  const below = (dir: string) => path === dir || path?.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
  if (path !== undefined && allowed.dirs.some(below)) return;
  const dirs = allowed.dirs;
  throw new PystoreError(
    "INVALID_LOCK",
    `the lock's entry ${entry}: ${redactUrl(url)} is outside every local index and find-links location the lock records`,
    {
      hint:
        dirs.length === 0
          ? "the lock records no local index or find-links directory; re-lock with --find-links DIR (or a file: index) holding this wheel"
          : `local wheels must be below ${dirs.join(", ")}; re-lock with --find-links DIR holding this wheel`,
      details: { package: entry, url: redactUrl(url), locations: dirs },
    },
  );
}
