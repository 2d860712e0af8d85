// gc's share for interpreters: the same three crash-safe steps as wheels (gc.ts), over pythons/ and
// the `pythons` table, with gc_pending naming doomed directories of either kind.

import { statSync } from "node:fs";
import type { Db } from "./db.js";
import { listPythonDirs, pythonEntryDir, type PythonEntry, readEntryFile } from "./pythons.js";
import type { Store } from "./store.js";

export interface PythonGcPlan {
  removed: PythonEntry[];
  /** Row-less directories gc takes: doomed by a killed gc and untouched since, or never finished and old. */
  orphans: string[];
  /** Row-less directories older than the grace period holding a finished entry gc never doomed: kept. */
  unindexed: string[];
  keptYoung: number;
  kept: number;
  /** Every name under pythons/: gc_pending names found here have not vanished. */
  present: string[];
}

/** Step 1's decisions for interpreters, inside gc's first transaction; rows deleted and doomed unless dry. */
export function planPythonGc(
  store: Store,
  opts: { live: Set<string>; cutoff: number; now: number; keepAll: boolean; dryRun: boolean },
): PythonGcPlan {
  const entries = store.pythons.list();
  const unrooted = entries.filter((e) => !opts.live.has(e.sha256));
  const old = unrooted.filter((e) => e.addedAt <= opts.cutoff);
  const removed = opts.keepAll ? [] : old;
  const known = new Set(entries.map((e) => e.entryName));
  const pending = pendingNames(store.db);
  const present = listPythonDirs(store.dir);
  const orphans: string[] = [];
  const unindexed: string[] = [];
  for (const name of present) {
    if (known.has(name)) continue;
    const mtime = dirMtime(pythonEntryDir(store.dir, name));
    if (mtime === undefined) continue;
    const doomedAt = pending.get(name);
    if (doomedAt !== undefined && mtime <= doomedAt) orphans.push(name);
    else if (readEntryFile(store.dir, name)) {
      // A young one is most likely an `add` between its rename and its commit: kept, not reported.
      if (mtime <= opts.cutoff) unindexed.push(name);
    } else if (mtime <= opts.cutoff) orphans.push(name);
  }
  if (!opts.dryRun) {
    const doom = store.db.prepare(
      "INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?) ON CONFLICT (entry_name) DO UPDATE SET doomed_at = excluded.doomed_at",
    );
    for (const entry of removed) {
      store.pythons.delete(entry.sha256);
      doom.run(entry.entryName, opts.now);
    }
  }
  return {
    removed,
    orphans,
    unindexed,
    keptYoung: unrooted.length - old.length,
    kept: entries.length - removed.length,
    present,
  };
}

function pendingNames(db: Db): Map<string, number> {
  const rows = db.prepare("SELECT entry_name, doomed_at FROM gc_pending").all() as { entry_name: string; doomed_at: number }[];
  return new Map(rows.map((r) => [r.entry_name, r.doomed_at]));
}

function dirMtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
