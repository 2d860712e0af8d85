// Garbage collection: delete entries no live root reaches, safely while other processes add, and
// safely when killed at any point (store-format/store-layout.md, "Garbage collection").

import { lstatSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { tempName } from "../util/atomic-write.js";
import { crashIfRequested, removeReadOnly } from "./content.js";
import { readMeta, ROOTS_LOST_AT, writeMeta } from "./db.js";
import type { StoreEntry } from "./entries.js";
import { entryDirMtime, listEntryDirs, wheelFilesIn } from "./entry-dirs.js";
import { entryDir, tmpDir, wheelsDir } from "./layout.js";
import type { Root, RootStatus } from "./roots.js";
import type { Store } from "./store.js";
import { sweepPool } from "./file-pool.js";
import { treesFreed } from "./gc-trees.js";
import { treeUsage } from "./tree.js";
import { planPythonGc } from "./python-gc.js";
import { pythonEntryDir, type PythonEntry } from "./pythons.js";
import { collectSources, type SourcesGcResult } from "./sources-gc.js";

/** An entry directory's unpacked tree, counted by treesFreed (its files may be shared). */
const TREE_DIR = "tree";

/** Default grace: an entry committed in the last hour may belong to a lock or bundle still being written. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export interface GcOptions {
  dryRun?: boolean;
  graceMs?: number;
  now?: number;
  /**
   * The roots lost with a rebuilt database (`store reindex`) are not coming back: collect what the roots
   * registered since do not reach, and forget the loss.
   */
  acceptLostRoots?: boolean;
}

export interface GcResult {
  dryRun: boolean;
  removed: StoreEntry[];
  /** Of `removed`, entries that had an unpacked tree (removed with them; its bytes are in freedBytes). */
  treesRemoved: number;
  /**
   * Wheels, their trees and orphan directories: everything this run frees (or, dry, would free). A tree's
   * file shared with another tree or a bundle (one inode, store-layout.md "The file pool") is not freed.
   */
  freedBytes: number;
  kept: number;
  /** Of `kept`, entries no live root reaches that stay only because they are younger than the grace period. */
  keptYoung: number;
  /** Of `kept`, entries no live root reaches that stay because the store's roots were lost (see rootsLostAt). */
  keptRootsLost: number;
  /** When `store reindex` rebuilt the database and the roots with it were lost (ms); undefined otherwise. */
  rootsLostAt?: number;
  /**
   * Entry directories without a row that gc removes (or, dry, would): the leftovers of a gc killed between
   * its steps, and directories holding no wheel (a writer killed before its link) older than the grace period.
   */
  orphans: string[];
  /**
   * Entry directories without a row, older than the grace period, that hold a wheel gc never doomed: kept;
   * `store reindex` indexes them. Younger ones are kept too, unreported: a writer before its commit.
   */
  unindexed: string[];
  roots: RootStatus[];
  /** Interpreters (pythons/), collected by the same rules and steps; their bytes are in freedBytes. */
  pythons: {
    removed: PythonEntry[];
    kept: number;
    keptYoung: number;
    orphans: string[];
    unindexed: string[];
  };
  /** sdists (sources/) no stored wheel was built from and no live root names, and their build logs. */
  sources: SourcesGcResult;
}

/** The roots in `now` that are not exactly as `read` had them (new, or registered again), by id. */
function changedRoots(read: Root[], now: Root[]): Map<number, Root> {
  const before = new Map(read.map((r) => [r.id, r]));
  const same = (a: Root, b: Root) =>
    a.kind === b.kind &&
    a.path === b.path &&
    a.createdAt === b.createdAt &&
    a.sha256s.length === b.sha256s.length &&
    a.sha256s.every((s, i) => s === b.sha256s[i]);
  return new Map(
    now
      .filter((r) => {
        const was = before.get(r.id);
        return was === undefined || !same(was, r);
      })
      .map((r) => [r.id, r]),
  );
}

/**
 * Live = members of roots that are not stale, and of roots registered (again) by another process after
 * they were read: the roots are read and checked before the write lock, since the checks read files, and
 * read again in step 1, under it. Three steps, each safe to be killed after:
 *
 * 1. One IMMEDIATE transaction deletes the rows of dead entries and records their names in gc_pending,
 *    and commits. A crash after it leaves intact directories without rows, named in gc_pending: orphans,
 *    invisible to every reader, removed by the next gc.
 * 2. A second IMMEDIATE transaction moves each dead entry's directory into tmp/ with one rename, unless
 *    a writer re-added the entry in between (its row is back), and forgets their gc_pending names. Writers
 *    commit their row under the same lock and only after checking their file exists, so a writer either
 *    lands before this step (and its entry is kept) or after (and finds no file, so it writes one). No
 *    reader ever sees half a directory.
 * 3. The moved directories are deleted, outside any lock; a crash leaves temp debris that the next
 *    store open removes (its writer's pid is dead).
 * 4. Pool files no tree links any more (link count 1) are deleted; a crash before or during this step
 *    leaves them for the next gc.
 *
 * A directory without a row that holds a wheel and is not in gc_pending is never deleted: it is a
 * writer's file before its commit, a killed writer's complete file, or a wheel whose row was lost with
 * the database. The wheel files are the store's truth; `store reindex` indexes them.
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
      // Roots registered or registered again since they were read (another process's lock, fetch or bundle)
      // were not checked: what they keep is live for this run, and they are not this run's to drop.
      const changed = changedRoots(roots, store.roots.list());
      for (const root of changed.values()) for (const sha of root.sha256s) live.add(sha);
      const lostAt = readMeta(db, ROOTS_LOST_AT);
      const rootsLostAt = lostAt === undefined || opts.acceptLostRoots ? undefined : Number(lostAt);
      const entries = store.list();
      const unrooted = entries.filter((e) => !live.has(e.sha256));
      const old = unrooted.filter((e) => e.addedAt <= now - grace);
      // Without its roots, "unrooted" says nothing about what is still needed: keep everything.
      const removed = rootsLostAt === undefined ? old : [];
      const rowless = classifyRowless(store, new Set(entries.map((e) => e.entryName)), now - grace);
      const pythons = planPythonGc(store, { live, cutoff: now - grace, now, keepAll: rootsLostAt !== undefined, dryRun });
      // gc_pending names interpreter directories too: those are not gone while pythons/ holds them.
      const pythonDirs = new Set(pythons.present);
      rowless.vanished = rowless.vanished.filter((name) => !pythonDirs.has(name));
      if (!dryRun) {
        const doom = db.prepare(
          "INSERT INTO gc_pending (entry_name, doomed_at) VALUES (?, ?) ON CONFLICT (entry_name) DO UPDATE SET doomed_at = excluded.doomed_at",
        );
        for (const entry of removed) {
          store.entries.delete(entry.sha256);
          doom.run(entry.entryName, now);
        }
        const forget = db.prepare("DELETE FROM gc_pending WHERE entry_name = ?");
        for (const name of rowless.vanished) forget.run(name);
        // Roots whose every member is gone keep nothing alive; drop stale ones so `store roots` stays short.
        for (const root of roots) if (root.stale && !changed.has(root.id)) store.roots.remove(root.id);
        if (opts.acceptLostRoots) writeMeta(db, ROOTS_LOST_AT, undefined);
      }
      return { entries, unrooted, removed, rootsLostAt, keptRootsLost: old.length - removed.length, ...rowless, pythons };
    })
    .immediate();
  crashIfRequested("gc-after-commit");
  const { entries, unrooted, removed, orphans, unindexed } = planned;
  const trees = removed.map((e) => treeUsage(store.dir, e)).filter((t) => t !== undefined);
  // Counted before anything is deleted, so that a dry run and the real run agree.
  const freedTrees = treesFreed(store.dir, [...removed.map((e) => e.entryName), ...orphans]);
  const freedBytes =
    removed.reduce((sum, e) => sum + e.size, 0) +
    freedTrees.bytes +
    orphans.reduce((sum, name) => sum + diskUsage(entryDir(store.dir, name), TREE_DIR), 0) +
    [...planned.pythons.removed.map((e) => e.entryName), ...planned.pythons.orphans].reduce(
      (sum, name) => sum + diskUsage(pythonEntryDir(store.dir, name)),
      0,
    );
  if (!dryRun) {
    const aside = db
      .transaction(() => {
        const moved: string[] = [];
        // A writer may have committed a row for any of these since step 1 (re-adding a dead entry, or
        // finishing one whose directory looked like an orphan): its row is back, so its directory stays.
        const claimed = db
          .prepare("SELECT 1 FROM entries WHERE entry_name = ? UNION ALL SELECT 1 FROM pythons WHERE entry_name = ?")
          .pluck();
        const forget = db.prepare("DELETE FROM gc_pending WHERE entry_name = ?");
        const pending = new Set(db.prepare("SELECT entry_name FROM gc_pending").pluck().all() as string[]);
        const doomedEntries = new Set([...removed.map((e) => e.entryName), ...orphans]);
        const doomed = [
          ...[...doomedEntries].map((name) => ({ name, dir: entryDir(store.dir, name) })),
          ...[...planned.pythons.removed.map((e) => e.entryName), ...planned.pythons.orphans].map((name) => ({
            name,
            dir: pythonEntryDir(store.dir, name),
          })),
        ];
        for (const { name, dir } of doomed) {
          forget.run(name);
          if (claimed.get(name, name) !== undefined) continue;
          // An entry directory is this gc's to take while its gc_pending name is (another gc that took it
          // first forgot the name; a writer may have made it again since, its row not yet committed), or,
          // for a directory that never held a wheel, while it still holds none.
          if (doomedEntries.has(name) && !pending.has(name) && wheelFilesIn(store.dir, name).length > 0) continue;
          const path = moveAside(store.dir, dir);
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
  // Step 4, after the trees are gone: pool files no tree links any more. Not under the write lock: tree
  // writers never take it, and every race with them is safe without it (file-pool.ts, sweepPool).
  const pool = sweepPool(store.dir, { dryRun, counted: freedTrees.pooled });
  // After the wheels: a wheel removed above took its builds rows, so its sdist is no longer kept by them.
  const sources = collectSources(store.dir, db, { live, cutoff: now - grace, dryRun });
  const result: GcResult = {
    dryRun,
    removed,
    treesRemoved: trees.length,
    freedBytes: freedBytes + pool.bytes + sources.freedBytes,
    kept: entries.length - removed.length,
    keptYoung: unrooted.length - planned.keptRootsLost - removed.length,
    keptRootsLost: planned.keptRootsLost,
    orphans: orphans.map((name) => join(wheelsDir(store.dir), name)),
    unindexed: unindexed.map((name) => join(wheelsDir(store.dir), name)),
    roots,
    pythons: {
      removed: planned.pythons.removed,
      kept: planned.pythons.kept,
      keptYoung: planned.pythons.keptYoung,
      orphans: planned.pythons.orphans.map((name) => pythonEntryDir(store.dir, name)),
      unindexed: planned.pythons.unindexed.map((name) => pythonEntryDir(store.dir, name)),
    },
    sources,
  };
  if (planned.rootsLostAt !== undefined) result.rootsLostAt = planned.rootsLostAt;
  return result;
}

/**
 * Sort the directories without a row: `orphans` gc may delete (doomed by an earlier gc and untouched
 * since, or holding no wheel and older than `cutoff`), `unindexed` it must keep and reports (a wheel
 * nobody doomed, older than `cutoff`; a younger one is kept silently), and `vanished` gc_pending names
 * whose directory is gone.
 */
function classifyRowless(store: Store, known: Set<string>, cutoff: number): { orphans: string[]; unindexed: string[]; vanished: string[] } {
  const pending = new Map(
    (store.db.prepare("SELECT entry_name, doomed_at FROM gc_pending").all() as { entry_name: string; doomed_at: number }[]).map((r) => [
      r.entry_name,
      r.doomed_at,
    ]),
  );
  const orphans: string[] = [];
  const unindexed: string[] = [];
  const present = new Set<string>();
  for (const name of listEntryDirs(store.dir)) {
    present.add(name);
    if (known.has(name)) continue;
    const mtime = entryDirMtime(store.dir, name);
    if (mtime === undefined) continue;
    const doomedAt = pending.get(name);
    // A directory changed after gc doomed it was made again since (a restored database's old list, say).
    if (doomedAt !== undefined && mtime <= doomedAt) orphans.push(name);
    else if (wheelFilesIn(store.dir, name).length > 0) {
      // Younger than the grace period, it is most likely a writer's file between its link and its commit:
      // kept like any rowless wheel, but not reported, or every gc racing a `fetch` would warn.
      if (mtime <= cutoff) unindexed.push(name);
    } else if (mtime <= cutoff) orphans.push(name);
  }
  const vanished = [...pending.keys()].filter((name) => !present.has(name));
  return { orphans, unindexed, vanished };
}

/** Rename an entry directory into tmp/ (one atomic step); undefined when it is already gone. */
function moveAside(storeDir: string, dir: string): string | undefined {
  const target = join(tmpDir(storeDir), tempName("gc"));
  try {
    renameSync(dir, target);
    return target;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Bytes of the regular files under `path`, leaving out its child `skip`; 0 for what vanished meanwhile. Runs
 * outside the write lock: another gc's step 2 may move a directory this one also planned to take (what the
 * other gc doomed is an orphan to this one) between the lstat and the readdir.
 */
function diskUsage(path: string, skip?: string): number {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let total = 0;
  for (const name of names) if (name !== skip) total += diskUsage(join(path, name));
  return total;
}
