// The closure archive's manifest (store-format/closure-archive.md) and what goes into a closure.

import { PystoreError } from "../errors.js";
import { CLOSURE_ARCHIVE_VERSION } from "../format-versions.js";
import { canonicalizeName } from "../standards/normalize.js";
import { specifierContains } from "../standards/pep440.js";
import { parseRequirement } from "../standards/pep508.js";
import { readLockFile } from "../lock/read-lock.js";
import type { Pylock } from "../standards/pylock.js";
import { VERSION } from "../version.js";
import type { NewEntry, StoreEntry } from "./entries.js";
import type { Store } from "./store.js";
import { byKey } from "../util/order.js";

export const MANIFEST_NAME = "manifest.json";
export const CLOSURE_FORMAT = "pystore-closure";

export interface ClosureMember {
  path: string;
  sha256: string;
  size: number;
}

/** An entry's row as carried between stores: what a store commits for a wheel, without local paths or times. */
export type ClosureEntry = NewEntry;

export interface ClosureManifest {
  format: typeof CLOSURE_FORMAT;
  version: number;
  createdBy: string;
  members: ClosureMember[];
  entries: ClosureEntry[];
}

export function memberPath(entry: { sha256: string; filename: string }): string {
  return `wheels/${entry.sha256}/${entry.filename}`;
}

export const MEMBER_PATH = /^wheels\/([0-9a-f]{64})\/([^/]+\.whl)$/;

export function buildManifest(entries: StoreEntry[]): ClosureManifest {
  const sorted = [...entries].sort(byKey((e) => e.sha256));
  return {
    format: CLOSURE_FORMAT,
    version: CLOSURE_ARCHIVE_VERSION,
    createdBy: `pystore ${VERSION}`,
    members: sorted.map((e) => ({ path: memberPath(e), sha256: e.sha256, size: e.size })),
    entries: sorted.map(toClosureEntry),
  };
}

/** Optional fields are left out rather than written as undefined/null: the manifest's bytes stay stable. */
function toClosureEntry(e: StoreEntry): ClosureEntry {
  const { path: _path, addedAt: _addedAt, ...row } = e;
  for (const key of ["requiresPython", "originUrl", "index"] as const) if (row[key] === undefined) delete row[key];
  return row;
}


/**
 * Every wheel the lock at `path` names with a sha256, for all its targets; all must already be stored.
 * Read through readLockFile, so a missing lock gets the same message and hint as in every other command.
 */
export async function entriesForLockFile(store: Store, path: string, source: string = path): Promise<StoreEntry[]> {
  const { lock } = await readLockFile(path);
  return entriesForPylock(store, lock, source);
}

function entriesForPylock(store: Store, lock: Pylock, source: string): StoreEntry[] {
  const wanted = new Map<string, string>();
  for (const pkg of lock.packages) {
    for (const wheel of pkg.wheels ?? []) {
      const sha = wheel.hashes.sha256?.toLowerCase();
      if (sha) wanted.set(sha, wheel.name);
    }
  }
  const found: StoreEntry[] = [];
  const missing: string[] = [];
  for (const [sha, filename] of [...wanted].sort()) {
    const entry = store.get(sha);
    if (entry) found.push(entry);
    else missing.push(filename);
  }
  if (missing.length > 0) {
    throw new PystoreError(
      "ENTRY_NOT_FOUND",
      `${source} locks ${missing.length} wheel(s) the store does not hold: ${missing.sort().join(", ")}`,
      {
        hint: `run \`pystore fetch -l ${source}\` first`,
        details: { missing },
      },
    );
  }
  return found;
}

/**
 * The named entries plus, transitively, stored wheels that satisfy their unconditional dependencies
 * (requirements behind an `extra` marker are left out: nothing asked for the extra).
 */
export function entriesForNames(store: Store, queries: string[]): StoreEntry[] {
  const chosen = new Map<string, StoreEntry>();
  const queue: StoreEntry[] = [];
  for (const query of queries) {
    const matches = store.find(query);
    if (matches.length === 0)
      throw new PystoreError("ENTRY_NOT_FOUND", `nothing in the store matches ${JSON.stringify(query)}`, {
        hint: "see `pystore store ls`",
      });
    queue.push(...matches);
  }
  while (queue.length > 0) {
    const entry = queue.shift()!;
    if (chosen.has(entry.sha256)) continue;
    chosen.set(entry.sha256, entry);
    for (const text of entry.dependencies) {
      if (/\bextra\b/.test(text.split(";")[1] ?? "")) continue;
      let req;
      try {
        req = parseRequirement(text);
      } catch {
        continue;
      }
      const name = canonicalizeName(req.name);
      for (const candidate of store.find(name)) {
        if (candidate.name !== name) continue;
        let ok = true;
        try {
          ok = specifierContains(req.specifier, candidate.version, { prereleases: true });
        } catch {
          ok = true;
        }
        if (ok) queue.push(candidate);
      }
    }
  }
  return [...chosen.values()];
}
