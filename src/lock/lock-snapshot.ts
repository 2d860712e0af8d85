// A parsed lock as JSON, kept with its memo (store-format/sqlite-schema.md, "Lock memos"): a re-lock whose
// file has the bytes the memo names takes the lock from here, since parsing TOML costs far more than JSON.

import { isDeepStrictEqual } from "node:util";
import { type Pylock, TomlDateTime } from "../standards/pylock.js";
import { VERSION } from "../version.js";

/** The one key of the objects a TomlDateTime and an explicit undefined become (no TOML key pystore reads starts with a NUL). */
const DATETIME = "\u0000datetime";
const UNDEFINED = "\u0000undefined";

interface Snapshot {
  /** The pystore whose parser produced the lock: another one may read the same bytes differently. */
  pystore: string;
  lock: Pylock;
}

/** `{[DATETIME]: text}` and `{[UNDEFINED]: true}` back into what they stand for, at every depth. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (!value || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === DATETIME && typeof record[DATETIME] === "string") return new TomlDateTime(record[DATETIME]);
  if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
  for (const key of keys) record[key] = revive(record[key]);
  return record;
}

function restore(json: string): Pylock | undefined {
  const snapshot = revive(JSON.parse(json)) as Snapshot;
  return snapshot.pystore === VERSION ? snapshot.lock : undefined;
}

/**
 * `lock` (what parsePylock gave for a lock file's bytes) as JSON, or undefined when JSON cannot carry it
 * exactly (an infinite or NaN float, a bigint): read back, it must be deep-equal to `lock`, or none is kept.
 */
export function snapshotLock(lock: Pylock): string | undefined {
  let json: string;
  try {
    // The parser leaves absent optional keys as explicit undefined (`requiresPython`), which JSON would drop.
    json = JSON.stringify({ pystore: VERSION, lock } satisfies Snapshot, (_key, value: unknown) =>
      value instanceof TomlDateTime ? { [DATETIME]: value.text } : value === undefined ? { [UNDEFINED]: true } : value,
    );
  } catch {
    return undefined;
  }
  return isDeepStrictEqual(restore(json), lock) ? json : undefined;
}

/** The lock a snapshot holds; undefined when another pystore wrote it or it does not read. */
export function restoreLock(json: string): Pylock | undefined {
  try {
    return restore(json);
  } catch {
    return undefined;
  }
}
