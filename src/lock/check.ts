// `lock --check`: is pylock.toml still what `pystore lock` would start from? Compares the recorded
// [tool.pystore] inputs with the current ones and checks every root requirement is met per target.

import { canonicalizeName } from "../standards/normalize.js";
import { specifierContains } from "../standards/pep440.js";
import { formatRequirement, reduceMarker } from "../standards/pep508.js";
import type { Target } from "../standards/targets.js";
import type { Pylock } from "../standards/pylock.js";
import { PYLOCK_TOOL_VERSION } from "../format-versions.js";
import { inputsTable, sortTargets, type LockInputs } from "./inputs.js";
import { type SelectedPackage, selectForTarget } from "./select.js";
import { sortKeysDeep } from "../util/stable-json.js";
import { PIN_KEY, pinProblems, recordedPins } from "./python-pins.js";

function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

function listDiff(label: string, before: unknown, after: unknown): string | undefined {
  const a = Array.isArray(before) ? before.map(canonicalJson) : [];
  const b = Array.isArray(after) ? after.map(canonicalJson) : [];
  const added = b.filter((x) => !a.includes(x));
  const removed = a.filter((x) => !b.includes(x));
  if (added.length === 0 && removed.length === 0) return undefined;
  return `${label} changed: ${[...added.map((x) => `+${x}`), ...removed.map((x) => `-${x}`)].join(", ")}`;
}

/**
 * Reasons the lock is stale; empty when it is fresh. A target the lock cannot serve (an entry that
 * contradicts its wheel, no wheel for the target) is a reason too, unless `damage: "throw"`: `bundle` and
 * `fetch` then report that error under its own code, since --frozen, which a stale lock's hint offers,
 * cannot fix a damaged one.
 */
export function checkLock(lock: Pylock, inputs: LockInputs, opts: { damage?: "reason" | "throw" } = {}): string[] {
  const recorded = (lock.tool?.pystore ?? undefined) as Record<string, unknown> | undefined;
  if (!recorded) return ["the lock has no [tool.pystore] table (not written by pystore lock)"];
  if (recorded["format-version"] !== PYLOCK_TOOL_VERSION)
    return [`[tool.pystore] format-version ${String(recorded["format-version"])} is not ${PYLOCK_TOOL_VERSION}`];
  const current = inputsTable(inputs);
  const reasons: string[] = [];
  for (const key of new Set([...Object.keys(current), ...Object.keys(recorded)])) {
    // The pinned interpreters are what `lock --embed-python` chose, not what the lock was made from.
    if (key === PIN_KEY) continue;
    const before = recorded[key];
    const after = current[key];
    if (canonicalJson(before) === canonicalJson(after)) continue;
    if (Array.isArray(before) || Array.isArray(after)) reasons.push(listDiff(key, before, after) ?? `${key} changed`);
    else reasons.push(`${key} changed: ${JSON.stringify(before ?? null)} -> ${JSON.stringify(after ?? null)}`);
  }
  if (reasons.length > 0) return reasons;
  // Inputs match; also catch hand edits that broke the lock itself.
  reasons.push(...pinProblems(recordedPins(lock), sortTargets(inputs.targets)));
  const everything = { extras: lock.extras, groups: lock.dependencyGroups, undecided: "include" } as const;
  const everythingContext = { extras: lock.extras, dependency_groups: lock.dependencyGroups };
  for (const target of sortTargets(inputs.targets)) {
    let selected: SelectedPackage[];
    try {
      // Every requirement must be met with everything selectable chosen.
      selected = selectForTarget(lock, target, everything);
    } catch (error) {
      if (opts.damage === "throw") throw error;
      reasons.push(`${target.id}: ${(error as Error).message}`);
      continue;
    }
    const versions = new Map(selected.map((s) => [canonicalizeName(s.name), s.version]));
    for (const req of inputs.requirements) {
      if (req.marker && reduceMarker(req.marker, target.markers, everythingContext, unknowns(target)) === false) continue;
      const version = versions.get(canonicalizeName(req.name));
      if (version === undefined) reasons.push(`${target.id}: ${formatRequirement(req)} is not in the lock`);
      else if (req.specifier && !specifierContains(req.specifier, version, { prereleases: true })) {
        reasons.push(`${target.id}: the lock has ${req.name} ${version}, which does not satisfy ${formatRequirement(req)}`);
      }
    }
  }
  return reasons;
}

function unknowns(target: Target) {
  return { pythonPatch: target.fullVersionKnown === false };
}
