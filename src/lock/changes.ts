// What a re-lock changed: one entry per package whose locked versions differ between two locks, for
// `lock --upgrade`'s `name old → new` lines and the --json `changes` list.

import { canonicalizeName } from "../standards/normalize.js";
import type { Pylock } from "../standards/pylock.js";
import { compareStrings } from "../util/order.js";

/** `old` null: added; `new` null: removed. A package locked at several versions (per-target markers) lists them joined by ", ". */
export interface PackageChange {
  name: string;
  old: string | null;
  new: string | null;
}

function versionsByName(lock: Pylock | undefined): Map<string, { name: string; versions: string }> {
  const seen = new Map<string, { name: string; versions: Set<string> }>();
  for (const pkg of lock?.packages ?? []) {
    const key = canonicalizeName(pkg.name);
    const entry = seen.get(key) ?? { name: pkg.name, versions: new Set<string>() };
    // A package without a version (a source tree) still counts as present.
    entry.versions.add(pkg.version ?? "(unversioned)");
    seen.set(key, entry);
  }
  return new Map([...seen].map(([key, e]) => [key, { name: e.name, versions: [...e.versions].sort(compareStrings).join(", ") }]));
}

/** The packages whose versions differ from `before` to `after`, sorted by canonical name; empty when nothing changed. */
export function lockChanges(before: Pylock | undefined, after: Pylock): PackageChange[] {
  const old = versionsByName(before);
  const now = versionsByName(after);
  const changes: PackageChange[] = [];
  for (const key of [...new Set([...old.keys(), ...now.keys()])].sort(compareStrings)) {
    const a = old.get(key);
    const b = now.get(key);
    if (a?.versions === b?.versions) continue;
    changes.push({ name: (b ?? a)!.name, old: a?.versions ?? null, new: b?.versions ?? null });
  }
  return changes;
}

/** `name old → new`, with "(added)" and "(removed)" standing for the missing side. */
export function formatChange(change: PackageChange): string {
  return `${change.name} ${change.old ?? "(added)"} → ${change.new ?? "(removed)"}`;
}
