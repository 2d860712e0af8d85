// PEP 751 installer semantics for one target: which locked packages apply (markers) and which wheel
// of each (tags). Pure: the target carries its own tags and marker environment.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { evaluateMarker } from "../standards/pep508.js";
import { specifierContains } from "../standards/pep440.js";
import type { Pylock, PylockWheel } from "../standards/pylock.js";
import { bestWheel } from "../standards/tags.js";
import type { Target } from "../standards/targets.js";
import { isWheelFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { byKey } from "../util/order.js";
import { checkWheelEntry } from "./wheel-entry.js";

export interface SelectedPackage {
  name: string;
  version: string;
  wheel: PylockWheel;
  sha256: string;
}

export interface SelectOptions {
  extras?: string[];
  groups?: string[];
}

/** Does the lock claim to cover this target? (`environments` absent means: any.) */
function lockCoversTarget(lock: Pylock, target: Target, opts: SelectOptions = {}): boolean {
  if (lock.requiresPython && !specifierContains(lock.requiresPython, target.markers.python_full_version, { prereleases: true }))
    return false;
  if (!lock.environments || lock.environments.length === 0) return true;
  return lock.environments.some((m) => evaluateMarker(m, target.markers, context(lock, opts)));
}

function context(lock: Pylock, opts: SelectOptions) {
  return { extras: opts.extras ?? [], dependency_groups: opts.groups ?? lock.defaultGroups };
}

export function selectForTarget(lock: Pylock, target: Target, opts: SelectOptions = {}): SelectedPackage[] {
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
    if (pkg.marker !== undefined && !evaluateMarker(pkg.marker, target.markers, ctx)) continue;
    const key = canonicalizeName(pkg.name);
    const wheels = (pkg.wheels ?? []).filter((w) => isWheelFilename(w.name));
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
