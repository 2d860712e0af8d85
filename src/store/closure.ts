// The closure archive's manifest (store-format/closure-archive.md) and what goes into a closure.

import { PystoreError } from "../errors.js";
import { CLOSURE_ARCHIVE_VERSION } from "../format-versions.js";
import { canonicalizeName } from "../standards/normalize.js";
import { specifierContains } from "../standards/pep440.js";
import { parseRequirement, type Requirement } from "../standards/pep508.js";
import { byKey, sortedUnique } from "../util/order.js";
import { VERSION } from "../version.js";
import type { NewEntry, StoreEntry } from "./entries.js";
import type { Store } from "./store.js";
import { type ClosurePython, pythonMemberPath, toClosurePython } from "./python-closure.js";
import type { PythonEntry } from "./pythons.js";

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
  /** Interpreters, each carried as its canonical tar `pythons/<sha256>.tar`; absent when there are none. */
  pythons?: ClosurePython[];
}

export function memberPath(entry: { sha256: string; filename: string }): string {
  return `wheels/${entry.sha256}/${entry.filename}`;
}

export const MEMBER_PATH = /^wheels\/([0-9a-f]{64})\/([^/]+\.whl)$/;

export function buildManifest(entries: StoreEntry[], pythons: PythonEntry[] = []): ClosureManifest {
  const sorted = [...entries].sort(byKey((e) => e.sha256));
  const interpreters = [...pythons].sort(byKey((e) => e.sha256));
  const members = [
    ...interpreters.map((p) => ({ path: pythonMemberPath(p.sha256), sha256: p.sha256, size: p.size })),
    ...sorted.map((e) => ({ path: memberPath(e), sha256: e.sha256, size: e.size })),
  ];
  return {
    format: CLOSURE_FORMAT,
    version: CLOSURE_ARCHIVE_VERSION,
    createdBy: `pystore ${VERSION}`,
    members,
    entries: sorted.map(toClosureEntry),
    ...(interpreters.length > 0 ? { pythons: interpreters.map(toClosurePython) } : {}),
  };
}

/** Optional fields are left out rather than written as undefined/null: the manifest's bytes stay stable. */
function toClosureEntry(e: StoreEntry): ClosureEntry {
  const { path: _path, addedAt: _addedAt, ...row } = e;
  for (const key of ["requiresPython", "originUrl", "index"] as const) if (row[key] === undefined) delete row[key];
  return row;
}

/** A wheel a closure must carry: its lower-case sha256 and its file name (for the message when absent). */
export interface WantedWheel {
  sha256: string;
  filename: string;
}

/** The stored entry of every wanted wheel; all must already be stored (ENTRY_NOT_FOUND names the rest). */
export function entriesForWheels(store: Store, wanted: WantedWheel[], source: string): StoreEntry[] {
  const found = new Map<string, StoreEntry>();
  const missing: string[] = [];
  for (const wheel of wanted) {
    const entry = store.get(wheel.sha256);
    if (entry) found.set(entry.sha256, entry);
    else missing.push(wheel.filename);
  }
  if (missing.length > 0) {
    const names = sortedUnique(missing);
    throw new PystoreError("ENTRY_NOT_FOUND", `${source} locks ${names.length} wheel(s) the store does not hold: ${names.join(", ")}`, {
      hint: `run \`pystore fetch -l ${source}\` first`,
      details: { missing: names },
    });
  }
  return [...found.values()];
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
      let req: Requirement;
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
