// Which stored interpreter `bundle --embed-python [SHA256-PREFIX|PATH]` embeds, checked against the target.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { Target } from "../standards/targets.js";
import type { PythonEntry } from "../store/pythons.js";
import type { Store } from "../store/store.js";
import { addPython } from "./add.js";
import { describeFacts, describeWanted, matchingPythons, pythonMismatches, wantedFor } from "./match.js";

/**
 * `true`: the best stored interpreter for the target. A path that exists: added to the store first (as
 * `python add` would). Anything else: a sha256 or entry-digest prefix of a stored interpreter. Whatever
 * is named must fit the target: PYTHON_MISMATCH names both otherwise.
 */
export async function selectPython(store: Store, ref: true | string, target: Target, cwd: string): Promise<PythonEntry> {
  const wanted = wantedFor(target);
  let entry: PythonEntry;
  if (ref === true) {
    const [best] = matchingPythons(store.pythons.list(), wanted);
    if (!best)
      throw new PystoreError("ENTRY_NOT_FOUND", `no stored interpreter fits ${target.id} (${describeWanted(wanted)})`, {
        hint: "add one with `pystore python add PYTHON.tar.gz` (python-build-standalone install_only), or name it: --embed-python PATH",
      });
    return best;
  }
  const path = resolve(cwd, ref);
  if (ref.includes("/") || existsSync(path)) entry = (await addPython(store, path)).entry;
  else {
    const found = store.pythons.find(ref);
    if (found.length === 0)
      throw new PystoreError("ENTRY_NOT_FOUND", `no stored interpreter matches ${JSON.stringify(ref)}`, {
        hint: "see `pystore python list`; give a sha256 prefix (4+ characters) or the path of an interpreter to add",
      });
    if (found.length > 1)
      throw new PystoreError(
        "USAGE",
        `${JSON.stringify(ref)} matches ${found.length} stored interpreters: ${found.map((e) => e.entryName).join(", ")}`,
        {
          hint: "give more characters of the sha256",
        },
      );
    entry = found[0]!;
  }
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
