// PEP 751 installer semantics for one target: which locked packages apply (markers) and which wheel
// of each (tags). Pure: the target carries its own tags and marker environment.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { type EvaluationContext, type Reduced, reduceMarker } from "../standards/pep508.js";
import type { Pylock, PylockPackage, PylockWheel } from "../standards/pylock.js";
import { bestWheel } from "../standards/tags.js";
import { type Target, targetPythonSatisfies } from "../standards/targets.js";
import { isWheelFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { byKey } from "../util/order.js";
import { checkWheelEntry } from "./wheel-entry.js";
import { buildWheelsFor, type LockedBuild, type LockedBuildWheel, packageBuilds } from "./built-wheels.js";

// Any patch level, to show the form of the flag.
const PATCH_EXAMPLE = 7;

export interface SelectedPackage {
  name: string;
  version: string;
  wheel: PylockWheel;
  sha256: string;
  /** Set when the wheel is built from the package's sdist (it has no url or path; the store holds it, or it is rebuilt). */
  build?: SelectedBuild;
}

export interface SelectedBuild {
  /** The PEP 751 sdist table's file; for a local project, the packed tree that was built. */
  sdist: { name: string; url?: string; path?: string; sha256: string; size?: number };
  /** A local project (PEP 751 `directory.path`, relative to the lock): packed again to rebuild. */
  directory?: string;
  buildWheels: LockedBuildWheel[];
  network: boolean;
  /** The target the lock built it for. */
  builtFor: string;
}

export interface SelectOptions {
  extras?: string[];
  groups?: string[];
  /**
   * A package whose marker turns on the patch level the target leaves open: an error (the default, for
   * installing), or counted in (for checks that ask what the lock may install).
   */
  undecided?: "error" | "include";
}

/** Does the lock claim to cover this target? (`environments` absent means: any.) */
function lockCoversTarget(lock: Pylock, target: Target, opts: SelectOptions = {}): boolean {
  // A patch level the target leaves open is the installer's to check: some X.Y.N fit.
  if (lock.requiresPython && targetPythonSatisfies(lock.requiresPython, target) === false) return false;
  if (!lock.environments || lock.environments.length === 0) return true;
  return lock.environments.some((m) => holds(m, target, context(lock, opts)) !== false);
}

/** A wheel the lock built from the package's sdist for this target (by id, else by tags). */
function builtFor(pkg: PylockPackage, target: Target): SelectedPackage | undefined {
  const builds = packageBuilds(pkg);
  if (!builds || (pkg.sdist === undefined && (pkg.directory === undefined || builds.source === undefined))) return undefined;
  const fitting = (b: LockedBuild) => bestWheel(target, [{ wheel: b, tags: parseWheelFilename(b.wheel).tags }]) !== undefined;
  const chosen = builds.built.find((b) => b.target === target.id && fitting(b)) ?? builds.built.find(fitting);
  if (!chosen) return undefined;
  checkWheelEntry(pkg, chosen.wheel);
  const base = {
    name: pkg.name,
    version: pkg.version ?? parseWheelFilename(chosen.wheel).version,
    wheel: { name: chosen.wheel, size: chosen.size, hashes: { sha256: chosen.sha256 } },
    sha256: chosen.sha256,
  };
  const environment = { buildWheels: buildWheelsFor(builds, chosen), network: builds.network, builtFor: chosen.target };
  if (pkg.directory && builds.source) {
    const sdist = { name: builds.source.filename, sha256: builds.source.sha256 };
    return { ...base, build: { sdist, directory: pkg.directory.path, ...environment } };
  }
  const table = pkg.sdist as Record<string, unknown>;
  const sdistSha = (table.hashes as Record<string, string> | undefined)?.sha256;
  if (!sdistSha) throw new PystoreError("INVALID_LOCK", `${pkg.name}: its sdist has no sha256 hash`, { hint: "re-lock (pystore lock)" });
  const sdist: SelectedBuild["sdist"] = { name: String(table.name ?? ""), sha256: sdistSha.toLowerCase() };
  if (typeof table.url === "string") sdist.url = table.url;
  if (typeof table.path === "string") sdist.path = table.path;
  if (typeof table.size === "number") sdist.size = table.size;
  return { ...base, build: { sdist, ...environment } };
}

function context(lock: Pylock, opts: SelectOptions) {
  return { extras: opts.extras ?? [], dependency_groups: opts.groups ?? lock.defaultGroups };
}

function holds(marker: string, target: Target, ctx: EvaluationContext): Reduced {
  return reduceMarker(marker, target.markers, ctx, { pythonPatch: target.fullVersionKnown === false });
}

/** PEP 751: only the extras and groups the lock lists can be chosen; a typo must not select nothing. */
export function checkSelection(lock: Pylock, opts: SelectOptions): void {
  const check = (kind: string, flag: string, chosen: string[] | undefined, known: string[]) => {
    const knownSet = new Set(known.map(canonicalizeName));
    const unknown = (chosen ?? []).filter((name) => !knownSet.has(canonicalizeName(name)));
    if (unknown.length === 0) return;
    throw new PystoreError(
      "USAGE",
      `${flag} ${unknown.map((n) => JSON.stringify(n)).join(", ")}: the lock has no such ${kind} (it has: ${known.join(", ") || "none"})`,
      {
        hint:
          known.length > 0
            ? `choose among ${known.map((n) => `${flag} ${n}`).join(", ")}`
            : `declare it in pyproject.toml and re-lock (pystore lock)`,
        details: { unknown, known },
      },
    );
  };
  check("extra", "--extra", opts.extras, lock.extras);
  check("dependency group", "--group", opts.groups, lock.dependencyGroups);
}

export function selectForTarget(lock: Pylock, target: Target, opts: SelectOptions = {}): SelectedPackage[] {
  checkSelection(lock, opts);
  if (!lockCoversTarget(lock, target, opts)) {
    const envs = lock.environments?.length ? ` (environments: ${lock.environments.join(" | ")})` : "";
    const rp = lock.requiresPython ? ` (requires-python ${lock.requiresPython})` : "";
    throw new PystoreError("NO_MATCHING_WHEEL", `the lock does not cover target ${target.id}${envs}${rp}`, {
      // The command keeps the lock's other targets (--platform would replace them).
      hint: `add the target, keeping the lock's others (or list it in [tool.pystore] targets, if the project names them there): pystore lock --add-target ${target.platform}:${target.python}`,
    });
  }
  const ctx = context(lock, opts);
  const chosen = new Map<string, SelectedPackage>();
  for (const pkg of lock.packages) {
    const applies = pkg.marker === undefined ? true : holds(pkg.marker, target, ctx);
    if (applies === false) continue;
    if (applies !== true && opts.undecided !== "include") {
      throw new PystoreError(
        "INVALID_TARGET",
        `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""} is locked for part of Python ${target.python} only (${pkg.marker}); target ${target.id} names no patch level`,
        {
          hint: `give the target's full Python version, e.g. --python ${target.python}.${PATCH_EXAMPLE}`,
          details: { package: pkg.name, marker: pkg.marker, target: target.id },
        },
      );
    }
    const key = canonicalizeName(pkg.name);
    const wheels = (pkg.wheels ?? []).filter((w) => isWheelFilename(w.name));
    const fits = wheels.some((w) => bestWheel(target, [{ wheel: w, tags: parseWheelFilename(w.name).tags }]));
    const built = fits ? undefined : builtFor(pkg, target);
    if (built) {
      const previous = chosen.get(key);
      if (previous) {
        throw new PystoreError(
          "INVALID_LOCK",
          `two entries for ${pkg.name} apply to target ${target.id} (${previous.version} and ${pkg.version ?? "?"}); their markers overlap`,
        );
      }
      chosen.set(key, built);
      continue;
    }
    if (wheels.length === 0) {
      const kind = pkg.directory
        ? "a source directory"
        : pkg.vcs
          ? "a VCS checkout"
          : pkg.archive
            ? "a source archive"
            : pkg.sdist
              ? "an sdist"
              : "no files";
      throw new PystoreError(
        "NO_MATCHING_WHEEL",
        `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""} is locked with ${kind} and no wheel; pystore installs wheels only (building sdists is not supported yet)`,
        {
          hint: "lock a version of this package that publishes wheels",
          details: { package: pkg.name, target: target.id },
        },
      );
    }
    const candidates = wheels.map((w) => ({ wheel: w, tags: parseWheelFilename(w.name).tags }));
    const best = bestWheel(target, candidates);
    if (!best) {
      throw new PystoreError(
        "NO_MATCHING_WHEEL",
        `no wheel of ${pkg.name}${pkg.version ? ` ${pkg.version}` : ""} in the lock fits target ${target.id}; locked wheels: ${wheels.map((w) => w.name).join(", ")}`,
        {
          hint: "pystore installs wheels only (building sdists is not supported yet); re-lock with this target so a compatible version is chosen",
          details: { package: pkg.name, target: target.id, wheels: wheels.map((w) => w.name) },
        },
      );
    }
    // Tags were matched against the target above; name and version are the entry's own claim, checked here.
    checkWheelEntry(pkg, best.wheel.name);
    const sha256 = best.wheel.hashes.sha256?.toLowerCase();
    if (!sha256) {
      throw new PystoreError(
        "INVALID_LOCK",
        `${pkg.name}: wheel ${best.wheel.name} has no sha256 hash (has: ${Object.keys(best.wheel.hashes).join(", ")})`,
        {
          hint: "pystore's store is addressed by sha256; re-lock to record sha256 hashes",
        },
      );
    }
    const previous = chosen.get(key);
    if (previous) {
      throw new PystoreError(
        "INVALID_LOCK",
        `two entries for ${pkg.name} apply to target ${target.id} (${previous.version} and ${pkg.version ?? "?"}); their markers overlap`,
      );
    }
    chosen.set(key, { name: pkg.name, version: pkg.version ?? parseWheelFilename(best.wheel.name).version, wheel: best.wheel, sha256 });
  }
  return [...chosen.entries()].sort(byKey(([name]) => name)).map(([, v]) => v);
}

/**
 * Whether a package is installed on some target of the lock with these extras and groups chosen: its
 * marker with only the selections decided (for commands that serve every target at once).
 */
export function chosenOnSomeTarget(pkg: PylockPackage, lock: Pylock, opts: SelectOptions): boolean {
  if (pkg.marker === undefined) return true;
  const ctx = { extras: opts.extras ?? [], dependency_groups: opts.groups ?? lock.defaultGroups };
  return reduceMarker(pkg.marker, undefined, ctx, { environment: true }) !== false;
}
