// Garbage collection: delete entries no live root reaches, safely while other processes add, and
// safely when killed at any point (store-format/store-layout.md, "Garbage collection").

import { lstatSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempName } from "../util/atomic-write.js";
import { crashIfRequested, removeReadOnly } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { entryDir, tmpDir, wheelsDir } from "./layout.js";
import type { RootStatus } from "./roots.js";
import type { Store } from "./store.js";
import { treeUsage } from "./tree.js";

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
  /** Wheels, their trees and orphan directories: everything this run frees (or, dry, would free). */
  freedBytes: number;
  kept: number;
  /** Of `kept`, entries no live root reaches that stay only because they are younger than the grace period. */
  keptYoung: number;
  /** Entry directories with no row (crash leftovers), removed or (dry run) to be removed. */
  orphans: string[];
  roots: RootStatus[];
}

/**
 * Live = members of roots that are not stale. Three steps, each safe to be killed after:
 *
 * 1. One IMMEDIATE transaction deletes the rows of dead entries and commits. A crash after it leaves
 *    intact directories without rows: orphans, invisible to every reader, removed by the next gc.
 * 2. A second IMMEDIATE transaction moves each dead entry's directory into tmp/ with one rename, unless
 *    a writer re-added the entry in between (its row is back). Writers commit their row under the same
 *    lock and only after checking their file exists, so a writer either lands before this step (and its
 *    entry is kept) or after (and finds no file, so it writes one). No reader ever sees half a directory.
 * 3. The moved directories are deleted, outside any lock; a crash leaves temp debris that the next
 *    store open removes (its writer's pid is dead).
 */
export function collectGarbage(store: Store, opts: GcOptions = {}): GcResult {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
  const dryRun = opts.dryRun === true;
  const roots = store.roots.listWithStatus();
  const live = new Set(roots.filter((r) => !r.stale).flatMap((r) => r.sha256s));
  const db = store.db;
  const planned = db
    .transaction(() => {
      const entries = store.list();
      const unrooted = entries.filter((e) => !live.has(e.sha256));
      const removed = unrooted.filter((e) => e.addedAt <= now - grace);
      const known = new Set(entries.map((e) => e.entryName));
      const orphans = listEntryDirs(store.dir).filter((name) => !known.has(name) && olderThan(entryDir(store.dir, name), now - grace));
      if (!dryRun) {
        for (const entry of removed) store.entries.delete(entry.sha256);
        // Roots whose every member is gone keep nothing alive; drop stale ones so `store roots` stays short.
        for (const root of roots) if (root.stale) store.roots.remove(root.id);
      }
      return { entries, unrooted, removed, orphans };
    })
    .immediate();
  crashIfRequested("gc-after-commit");
  const { entries, unrooted, removed, orphans } = planned;
  const trees = removed.map((e) => treeUsage(store.dir, e)).filter((t) => t !== undefined);
  const freedBytes =
    removed.reduce((sum, e) => sum + e.size, 0) +
    trees.reduce((sum, t) => sum + t.bytes, 0) +
    orphans.reduce((sum, name) => sum + diskUsage(entryDir(store.dir, name)), 0);
  if (!dryRun) {
    const aside = db
      .transaction(() => {
        const moved: string[] = [];
        // A writer may have committed a row for any of these since step 1 (re-adding a dead entry, or
        // finishing one whose directory looked like an orphan): its row is back, so its directory stays.
        const claimed = db.prepare("SELECT 1 FROM entries WHERE entry_name = ?").pluck();
        for (const name of [...removed.map((e) => e.entryName), ...orphans].filter((n) => claimed.get(n) === undefined)) {
          const path = moveAside(store.dir, name);
          if (path) moved.push(path);
          if (moved.length === 1) crashIfRequested("gc-after-move");
        }
        return moved;
      })
      .immediate();
    for (const path of aside) {
      removeReadOnly(path);
      crashIfRequested("gc-during-delete");
    }
  }
  return {
    dryRun,
    removed,
    treesRemoved: trees.length,
    freedBytes,
    kept: entries.length - removed.length,
    keptYoung: unrooted.length - removed.length,
    orphans: orphans.map((name) => join(wheelsDir(store.dir), name)),
    roots,
  };
}

/** Rename an entry directory into tmp/ (one atomic step); undefined when it is already gone. */
function moveAside(storeDir: string, entryName: string): string | undefined {
  const target = join(tmpDir(storeDir), tempName("gc"));
  try {
    renameSync(entryDir(storeDir, entryName), target);
    return target;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
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

/** Bytes of the regular files under `path` (0 when it vanished meanwhile). */
function diskUsage(path: string): number {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const name of readdirSync(path)) total += diskUsage(join(path, name));
  return total;
}
