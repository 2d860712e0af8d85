// Garbage collection: delete entries no live root reaches, safely while other processes add.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { removeReadOnly } from "./content.js";
import { entryDir, wheelsDir } from "./layout.js";
import { treeUsage } from "./tree.js";
import type { StoreEntry } from "./entries.js";
import type { RootStatus } from "./roots.js";
import type { Store } from "./store.js";

/** Default grace: an entry committed in the last hour may belong to a lock or bundle still being written. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export interface GcOptions {
  dryRun?: boolean;
  graceMs?: number;
  now?: number;
}

export interface GcResult {
  dryRun: boolean;
  removed: StoreEntry[];
  /** Of `removed`, entries that had an unpacked tree (removed with them; its bytes are in freedBytes). */
  treesRemoved: number;
  freedBytes: number;
  kept: number;
  /** Of `kept`, entries no live root reaches that stay only because they are younger than the grace period. */
  keptYoung: number;
  /** Entry directories with no row (crash leftovers), removed or (dry run) to be removed. */
  orphans: string[];
  roots: RootStatus[];
}

/**
 * Live = members of roots that are not stale. The deletion runs inside one IMMEDIATE transaction that
 * also removes the files: a writer commits its row under the same lock and only after checking its file
 * exists, so it either lands before gc (and is fresh, hence kept) or after (and re-writes its file).
 */
export function collectGarbage(store: Store, opts: GcOptions = {}): GcResult {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
  const dryRun = opts.dryRun === true;
  const roots = store.roots.listWithStatus();
  const live = new Set(roots.filter((r) => !r.stale).flatMap((r) => r.sha256s));
  const db = store.db;
  return db
    .transaction((): GcResult => {
      const entries = store.list();
      const unrooted = entries.filter((e) => !live.has(e.sha256));
      const removed = unrooted.filter((e) => e.addedAt <= now - grace);
      const known = new Set(entries.map((e) => e.entryName));
      const trees = removed.map((e) => treeUsage(store.dir, e)).filter((t) => t !== undefined);
      const orphans = listEntryDirs(store.dir).filter((name) => !known.has(name) && olderThan(entryDir(store.dir, name), now - grace));
      if (!dryRun) {
        for (const entry of removed) {
          store.entries.delete(entry.sha256);
          // The entry's unpacked tree (read-only) goes with it.
          removeReadOnly(entryDir(store.dir, entry.entryName));
        }
        for (const name of orphans) removeReadOnly(entryDir(store.dir, name));
        // Roots whose every member is gone keep nothing alive; drop stale ones so `store roots` stays short.
        for (const root of roots) if (root.stale) store.roots.remove(root.id);
      }
      return {
        dryRun,
        removed,
        treesRemoved: trees.length,
        freedBytes: removed.reduce((sum, e) => sum + e.size, 0) + trees.reduce((sum, t) => sum + t.bytes, 0),
        kept: entries.length - removed.length,
        keptYoung: unrooted.length - removed.length,
        orphans: orphans.map((name) => join(wheelsDir(store.dir), name)),
        roots,
      };
    })
    .immediate();
}

export function listEntryDirs(storeDir: string): string[] {
  try {
    return readdirSync(wheelsDir(storeDir)).sort();
  } catch {
    return [];
  }
}

function olderThan(path: string, cutoff: number): boolean {
  try {
    return statSync(path).mtimeMs <= cutoff;
  } catch {
    return false;
  }
}
