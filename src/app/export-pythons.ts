// What `store export -l LOCK` carries besides wheels: the interpreters the lock pins (`lock --embed-python`),
// so an air-gapped machine bundles with exactly them.

import { PystoreError } from "../errors.js";
import { readLockFile } from "../lock/read-lock.js";
import { recordedPins } from "../lock/python-pins.js";
import type { PythonEntry } from "../store/pythons.js";
import type { Store } from "../store/store.js";
import { compareStrings } from "../util/order.js";

/** The stored entry of every interpreter the lock at `path` pins, sorted by sha256; all must be stored. */
export async function pinnedPythonsForLock(store: Store, path: string, source: string = path): Promise<PythonEntry[]> {
  const { lock } = await readLockFile(path);
  const found = new Map<string, PythonEntry>();
  const missing: string[] = [];
  for (const pin of recordedPins(lock)) {
    const entry = store.pythons.get(pin.sha256);
    if (entry) found.set(entry.sha256, entry);
    else missing.push(`${pin.sha256} (Python ${pin.version}, ${pin.target})`);
  }
  if (missing.length > 0)
    throw new PystoreError(
      "ENTRY_NOT_FOUND",
      `${source} pins ${missing.length} interpreter(s) the store does not hold: ${missing.join(", ")}`,
      {
        hint: "add them with `pystore python add PATH` (the same build hashes to the same sha256), or re-lock with --no-embed-python",
        details: { missing },
      },
    );
  return [...found.values()].sort((a, b) => compareStrings(a.sha256, b.sha256));
}
