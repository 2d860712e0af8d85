// The sha256 digests a lock names: the one list that gc roots, closures, fetch and bundles agree on.

import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { sortedUnique } from "../util/order.js";
import { checkSelection, chosenOnSomeTarget, type SelectOptions, selectForTarget } from "./select.js";
import { packageBuilds } from "./built-wheels.js";

/** One target's share of a lock (with the extras and groups it installs). */
export interface DigestSelection extends SelectOptions {
  target: Target;
}

/**
 * Every wheel's sha256 in `lock` (or only the wheels `selection`'s target installs), lower-case, sorted,
 * unique. PEP 751 does not fix the case of hex digests and the store addresses content in lower case, so
 * a list compared with store digests must always come from here. Wheels without a sha256 are skipped:
 * the store cannot hold them.
 */
export function lockedDigests(lock: Pylock, selection?: DigestSelection): string[] {
  if (selection) return sortedUnique(selectForTarget(lock, selection.target, selection).map((s) => s.sha256.toLowerCase()));
  return sortedUnique(lockedWheels(lock).map((w) => w.sha256));
}

/**
 * Every wheel of `lock` that has a sha256 (lower-case), with its file name, in lock order: index wheels,
 * then for packages built from sdists the built wheels and their build environments (so a closure can be
 * bundled on a machine that cannot build); with `chosen`, only the packages those extras and groups
 * install on some target.
 */
export function lockedWheels(lock: Pylock, chosen?: SelectOptions): { sha256: string; filename: string }[] {
  const wheels: { sha256: string; filename: string }[] = [];
  if (chosen) checkSelection(lock, chosen);
  for (const pkg of lock.packages) {
    if (chosen && !chosenOnSomeTarget(pkg, lock, chosen)) continue;
    for (const wheel of pkg.wheels ?? []) {
      const sha256 = wheel.hashes.sha256;
      if (sha256) wheels.push({ sha256: sha256.toLowerCase(), filename: wheel.name });
    }
    const builds = packageBuilds(pkg);
    for (const b of builds?.built ?? []) wheels.push({ sha256: b.sha256, filename: b.wheel });
    for (const w of builds?.buildWheels ?? []) wheels.push({ sha256: w.sha256, filename: w.filename });
  }
  // One build environment serves several packages: each wheel once.
  return [...new Map(wheels.map((w) => [w.sha256, w])).values()];
}
