// Which stored interpreter `bundle --embed-python [SHA256-PREFIX|PATH]` embeds and `lock --embed-python`
// pins, checked against the target.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { Target } from "../standards/targets.js";
import type { PythonEntry } from "../store/pythons.js";
import type { Store } from "../store/store.js";
import { describeFacts, describeWanted, matchingPythons, pythonMismatches, wantedFor } from "./match.js";

/** The best stored interpreter for the target (newest version first); undefined when none fits. */
export function bestPython(store: Store, target: Target): PythonEntry | undefined {
  return matchingPythons(store.pythons.list(), wantedFor(target))[0];
}

/** ENTRY_NOT_FOUND for a target no stored interpreter fits, with the way to add one. */
export function noPythonFor(target: Target): PystoreError {
  return new PystoreError("ENTRY_NOT_FOUND", `no stored interpreter fits ${target.id} (${describeWanted(wantedFor(target))})`, {
    hint: "add one with `pystore python add PYTHON.tar.gz` (python-build-standalone install_only), or name it: --embed-python PATH",
    details: { target: target.id },
  });
}

/**
 * A path that exists (or holds a "/"): added to the store first (as `python add` would). Anything else: a
 * sha256 or entry-digest prefix naming exactly one stored interpreter.
 */
export async function namedPython(store: Store, ref: string, cwd: string): Promise<PythonEntry> {
  const path = resolve(cwd, ref);
  // Loaded only to add one: the archive readers are not needed to choose among stored interpreters.
  if (ref.includes("/") || existsSync(path)) return (await (await import("./add.js")).addPython(store, path)).entry;
  const found = store.pythons.find(ref);
  if (found.length === 0)
    throw new PystoreError("ENTRY_NOT_FOUND", `no stored interpreter matches ${JSON.stringify(ref)}`, {
      hint: "see `pystore python list`; give a sha256 prefix (4+ characters) or the path of an interpreter to add",
    });
  if (found.length > 1)
    throw new PystoreError(
      "USAGE",
      `${JSON.stringify(ref)} matches ${found.length} stored interpreters: ${found.map((e) => e.entryName).join(", ")}`,
      { hint: "give more characters of the sha256" },
    );
  return found[0]!;
}

export function fitsTarget(entry: PythonEntry, target: Target): boolean {
  return pythonMismatches(entry, wantedFor(target)).length === 0;
}

/** PYTHON_MISMATCH, naming both, unless `entry` can run the target's bundles. */
export function checkFits(entry: PythonEntry, target: Target): PythonEntry {
  const wanted = wantedFor(target);
  const problems = pythonMismatches(entry, wanted);
  if (problems.length > 0)
    throw new PystoreError(
      "PYTHON_MISMATCH",
      `the interpreter ${entry.entryName} (${describeFacts(entry)}) cannot run bundles for ${target.id} (${describeWanted(wanted)}): ${problems.join(", ")}`,
      {
        hint: "embed an interpreter built for the target (see `pystore python find --platform P --python X.Y`), or bundle for the interpreter's platform",
        details: { interpreter: entry.sha256, target: target.id, problems },
      },
    );
  return entry;
}

/**
 * `true`: the best stored interpreter for the target. A path that exists: added to the store first (as
 * `python add` would). Anything else: a sha256 or entry-digest prefix of a stored interpreter. Whatever
 * is named must fit the target: PYTHON_MISMATCH names both otherwise.
 */
export async function selectPython(store: Store, ref: true | string, target: Target, cwd: string): Promise<PythonEntry> {
  if (ref === true) {
    const best = bestPython(store, target);
    if (!best) throw noPythonFor(target);
    return best;
  }
  return checkFits(await namedPython(store, ref, cwd), target);
}

/** The stored interpreter a lock pins for the target, by its sha256; ENTRY_NOT_FOUND names it when the store lacks it. */
export function pinnedPython(store: Store, pin: { sha256: string; version: string }, target: Target, lockPath: string): PythonEntry {
  const entry = store.pythons.get(pin.sha256);
  if (!entry)
    throw new PystoreError(
      "ENTRY_NOT_FOUND",
      `${lockPath} pins the interpreter ${pin.sha256} (Python ${pin.version}) for ${target.id}, and the store does not hold it`,
      {
        hint: "add that interpreter with `pystore python add PATH` (the same build hashes to the same sha256), or `pystore store import` a closure exported with `store export -l LOCK`; or bundle with --no-embed-python",
        details: { sha256: pin.sha256, target: target.id },
      },
    );
  return checkFits(entry, target);
}
