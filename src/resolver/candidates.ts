// Which of a project's files can serve a target: groups files by version and applies, in order,
// pre-release policy, --exclude-newer, yanking (PEP 592), Requires-Python, and wheel tags; when building
// is allowed, an sdist stands in for a version without a wheel for the target (a wheel always wins).

import { isValidVersion, normalizeVersion, parseVersion, sortVersions } from "../standards/pep440.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { pythonLabel, type Target, targetPythonSatisfies } from "../standards/targets.js";
import { rankWheel } from "../standards/tags.js";
import { isWheelFilename, parseSdistFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { compareStrings } from "../util/order.js";

export type PrereleaseMode = "allow" | "if-necessary-or-explicit" | "disallow";

export interface CandidatePolicy {
  target: Target;
  prerelease: PrereleaseMode;
  /** Root requirements on this project name a pre-release (PEP 440: then pre-releases are allowed). */
  explicitPrerelease: boolean;
  /** RFC 3339 instant: files uploaded later (or without an upload time) are ignored. */
  excludeNewer?: string;
  /** Versions pinned with == / === by the root requirements: only these may use yanked files. */
  pinned: (version: string) => boolean;
  /**
   * Sdists: "no" (wheels only, --no-build), "fallback" (an sdist when no wheel fits the target: the
   * default of the CLI), "only" (--no-binary-package: the sdist even when wheels fit). Default "no".
   */
  sdists?: SdistUse;
}

export type SdistUse = "no" | "fallback" | "only";

export interface UsableVersion {
  version: string;
  /** Compatible wheels, best for the target first; empty when the version is built from `sdist`. */
  wheels: ProjectFile[];
  /** The sdist to build, when no wheel serves the target (or wheels are refused for this project). */
  sdist?: ProjectFile;
  /** Set when only yanked files were left (allowed because of an exact pin). */
  yankedReason?: string;
}

export interface VersionTable {
  versions: string[];
  usable: Map<string, UsableVersion>;
  unavailable: { versions: string[]; reason: string; noWheel?: { wheels: string[]; target: string } }[];
}

function fileVersion(file: ProjectFile): string | undefined {
  try {
    if (isWheelFilename(file.filename)) return parseWheelFilename(file.filename).version;
    return parseSdistFilename(file.filename).version;
  } catch {
    return undefined;
  }
}

function uploadedBefore(file: ProjectFile, cutoff: string): boolean {
  if (!file.uploadTime) return false;
  const t = Date.parse(file.uploadTime);
  return Number.isFinite(t) && t <= Date.parse(cutoff);
}

function pythonOk(file: ProjectFile, target: Target): boolean {
  if (!file.requiresPython) return true;
  try {
    // With only X.Y known, a file that some patch levels accept stays a candidate; the lock records its requires-python.
    return targetPythonSatisfies(file.requiresPython, target) !== false;
  } catch {
    // An unparseable Requires-Python on an index is common on old releases; pip ignores it too.
    return true;
  }
}

export function versionTable(files: ProjectFile[], policy: CandidatePolicy): VersionTable {
  const byVersion = new Map<string, ProjectFile[]>();
  for (const file of files) {
    const raw = fileVersion(file);
    if (raw === undefined || !isValidVersion(raw)) continue;
    const version = normalizeVersion(raw);
    const list = byVersion.get(version) ?? [];
    list.push(file);
    byVersion.set(version, list);
  }
  const versions = sortVersions([...byVersion.keys()]);
  const hasFinal = versions.some((v) => !parseVersion(v).isPrerelease);
  const allowPre = policy.prerelease === "allow" || (policy.prerelease !== "disallow" && (policy.explicitPrerelease || !hasFinal));
  const usable = new Map<string, UsableVersion>();
  const reasons = new Map<string, { versions: string[]; noWheel?: { wheels: string[]; target: string } }>();
  const block = (version: string, reason: string, noWheel?: { wheels: string[]; target: string }) => {
    const group = reasons.get(reason) ?? { versions: [], noWheel };
    group.versions.push(version);
    reasons.set(reason, group);
  };
  const target = policy.target;
  for (const version of versions) {
    let list = byVersion.get(version)!;
    if (!allowPre && parseVersion(version).isPrerelease) {
      block(version, "is a pre-release (allowed with --prerelease allow or a requirement naming a pre-release)");
      continue;
    }
    if (policy.excludeNewer) {
      list = list.filter((f) => uploadedBefore(f, policy.excludeNewer!));
      if (list.length === 0) {
        block(version, `was uploaded after --exclude-newer ${policy.excludeNewer} (or has no upload time)`);
        continue;
      }
    }
    let yankedReason: string | undefined;
    const live = list.filter((f) => !f.yanked);
    if (live.length > 0) list = live;
    else if (policy.pinned(version)) yankedReason = list.find((f) => f.yanked?.reason)?.yanked?.reason ?? "no reason given";
    else {
      const why = list.find((f) => f.yanked?.reason)?.yanked?.reason;
      block(version, `is yanked${why ? ` (${why})` : ""}; only an exact == pin selects a yanked version`);
      continue;
    }
    const forPython = list.filter((f) => pythonOk(f, target));
    if (forPython.length === 0) {
      const rp = [...new Set(list.map((f) => f.requiresPython).filter(Boolean))].join(" / ");
      block(version, `requires Python ${rp} (target ${target.id} has ${pythonLabel(target)})`);
      continue;
    }
    const wheels = forPython.filter((f) => isWheelFilename(f.filename));
    const ranked = wheels
      .map((f) => ({ f, rank: safeRank(target, f.filename) }))
      .filter((x): x is { f: ProjectFile; rank: number } => x.rank !== undefined)
      .sort((a, b) => a.rank - b.rank || compareStrings(a.f.filename, b.f.filename));
    const sdistUse = policy.sdists ?? "no";
    if (sdistUse !== "no" && (ranked.length === 0 || sdistUse === "only")) {
      const sdist = bestSdist(forPython);
      if (sdist) {
        usable.set(version, { version, wheels: [], sdist, yankedReason });
        continue;
      }
    }
    if (sdistUse === "only") {
      block(
        version,
        `has no sdist (${forPython
          .map((f) => f.filename)
          .sort()
          .join(", ")}); wheels are refused for it (--no-binary-package)`,
      );
      continue;
    }
    if (ranked.length === 0) {
      const names = wheels.map((f) => f.filename).sort();
      const reason = names.length
        ? `has no wheel for target ${target.id} (wheels: ${names.join(", ")})`
        : `has no wheels, only sdists (${forPython
            .map((f) => f.filename)
            .sort()
            .join(", ")}); building is off for it, so pystore does not build sdists here`;
      block(version, reason, { wheels: names, target: target.id });
      continue;
    }
    usable.set(version, { version, wheels: ranked.map((x) => x.f), yankedReason });
  }
  const unavailable = [...reasons.entries()].map(([reason, g]) => ({ versions: g.versions, reason, noWheel: g.noWheel }));
  return { versions, usable, unavailable };
}

/** PEP 625's .tar.gz before a legacy .zip; among equals, the first name (deterministic). */
function bestSdist(files: ProjectFile[]): ProjectFile | undefined {
  const sdists = files.filter((f) => !isWheelFilename(f.filename) && /\.(tar\.gz|zip)$/i.test(f.filename));
  const rank = (f: ProjectFile) => (f.filename.toLowerCase().endsWith(".tar.gz") ? 0 : 1);
  return sdists.sort((a, b) => rank(a) - rank(b) || compareStrings(a.filename, b.filename))[0];
}

function safeRank(target: Target, filename: string): number | undefined {
  try {
    return rankWheel(target, parseWheelFilename(filename).tags);
  } catch {
    return undefined;
  }
}
