// What `store export -l LOCK` archives: every wheel the lock names, all of which must be stored.

import { readLockFile } from "../lock/read-lock.js";
import { lockedWheels } from "../lock/digests.js";
import type { SelectOptions } from "../lock/select.js";
import { entriesForWheels } from "../store/closure.js";
import type { StoreEntry } from "../store/entries.js";
import type { Store } from "../store/store.js";

/**
 * The stored entries of every wheel the lock at `path` installs on any of its targets with the `chosen`
 * extras and groups (default: none). Read through
 * readLockFile, so a missing lock gets the same message and hint as in every other command.
 */
export async function closureEntriesForLock(
  store: Store,
  path: string,
  source: string = path,
  chosen: SelectOptions = {},
): Promise<StoreEntry[]> {
  const { lock } = await readLockFile(path);
  return entriesForWheels(store, lockedWheels(lock, chosen), source);
}
