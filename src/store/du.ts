// What `pystore store du` reports: every file under the store, each inode once, at its apparent size, in
// parts a user can act on (store-format/store-layout.md, "Directory tree" and "The file pool").

import { type Dirent, readdirSync, type Stats } from "node:fs";
import { join } from "node:path";
import { lstatOrUndefined } from "../util/fs-errors.js";
import type { StoreEntry } from "./entries.js";
import { parsePoolName, poolDir } from "./file-pool.js";
import { dbPath, wheelsDir } from "./layout.js";
import { pythonEntryDir, pythonsDir } from "./python-index.js";
import { TREE_INDEX, treeDir, treeUsage } from "./tree.js";

export interface Usage {
  files: number;
  bytes: number;
}

export interface ProjectUsage {
  entries: number;
  /** Its wheel files. */
  bytes: number;
  /** Its trees' files not already counted for another entry, and their index.json. */
  treeBytes: number;
}

export interface StoreUsage {
  entries: number;
  /** The wheel files, at the sizes their rows record. */
  wheelBytes: number;
  trees: number;
  treeBytes: number;
  projects: Map<string, ProjectUsage>;
  /**
   * Pool files no tree's index names. `gc`: nothing else links them (link count 1), the next gc removes
   * them. `linked`: another name links them (a directory bundle, or a writer's staging tree in tmp/), so
   * gc cannot free their bytes while that link exists.
   */
  poolNoTree: { gc: Usage; linked: Usage };
  pythons: number;
  /** Every file of the interpreter entries that have a row (their trees and entry.json). */
  pythonBytes: number;
  /** store.db and SQLite's -wal and -shm files beside it. */
  databaseBytes: number;
  /**
   * Everything else, by the top-level name holding it: tmp/, sources/, build-logs/, quarantine/, moved-aside
   * databases, and what no row or index accounts for inside wheels/, files/ and pythons/.
   */
  other: Map<string, Usage>;
  /** The sum of the parts above. */
  bytes: number;
}

interface Source {
  dir: string;
  list(): StoreEntry[];
  pythons: { list(): { entryName: string }[] };
}

/**
 * Every byte under the store: what `du -s --apparent-size --bytes` counts, less the directories' own sizes
 * (a tree's directories are not in its index, and sizing them would cost an lstat each). Each inode counts
 * once, for the first part that meets it, in the order of the fields above. Trees are counted from their
 * index (the inode and size extraction recorded), so the cost is one read per tree, one lstat per pool
 * file and per tree index, and a walk of the rest (interpreters, tmp/, sources/, ...): never one per tree file.
 */
export function storeUsage(store: Source, database: Usage = databaseUsage(store.dir)): StoreUsage {
  const seen = new Set<number>();
  const entries = store.list();
  const usage: StoreUsage = {
    entries: entries.length,
    wheelBytes: 0,
    trees: 0,
    treeBytes: 0,
    projects: new Map(),
    poolNoTree: { gc: { files: 0, bytes: 0 }, linked: { files: 0, bytes: 0 } },
    pythons: 0,
    pythonBytes: 0,
    databaseBytes: database.bytes,
    other: new Map(),
    bytes: 0,
  };
  /** Entry name → the row, and whether its tree was counted from its index. */
  const counted = new Map<string, { entry: StoreEntry; tree: boolean }>();
  for (const e of entries) {
    const p = usage.projects.get(e.name) ?? { entries: 0, bytes: 0, treeBytes: 0 };
    p.entries++;
    p.bytes += e.size;
    usage.wheelBytes += e.size;
    const tree = treeUsage(store.dir, e, seen);
    if (tree) {
      // Its index.json too: part of the tree, and no other name links it.
      const index = lstatOrUndefined(join(treeDir(store.dir, e.entryName), TREE_INDEX));
      const bytes = tree.bytes + (index && countOnce(index, seen) ? index.size : 0);
      usage.trees++;
      usage.treeBytes += bytes;
      p.treeBytes += bytes;
    }
    usage.projects.set(e.name, p);
    counted.set(e.entryName, { entry: e, tree: tree !== undefined });
  }
  // Row-less entries and unreadable trees first: the pool files only their trees link are theirs (the next
  // gc frees them with the directory), not "linked from outside the store".
  wheelsLeftOver(store.dir, counted, seen, usage);
  poolNoTree(store.dir, seen, usage);
  pythonsUsage(store, seen, usage);
  rest(store.dir, seen, usage);
  const other = [...usage.other.values()].reduce((sum, u) => sum + u.bytes, 0);
  const pool = usage.poolNoTree.gc.bytes + usage.poolNoTree.linked.bytes;
  usage.bytes = usage.wheelBytes + usage.treeBytes + pool + usage.pythonBytes + usage.databaseBytes + other;
  return usage;
}

/**
 * Pool files whose inode no tree counted: one lstat each (the only cost du adds per pool file; no join, no
 * name check for the many that trees use). Link count 1 is gc's own test for garbage (sweepPool); any
 * other link is outside the trees. What is not a pool file (listPool's strays) counts as other files.
 */
function poolNoTree(storeDir: string, seen: Set<number>, usage: StoreUsage): void {
  const root = poolDir(storeDir);
  for (const fan of readdirOrEmpty(root)) {
    const fanPath = `${root}/${fan.name}`;
    if (!fan.isDirectory() || fan.name.length !== 2) {
      addOther(usage, "files", walk(fanPath, seen));
      continue;
    }
    for (const name of readdirNames(fanPath)) {
      const path = `${fanPath}/${name}`;
      const info = lstatOrUndefined(path);
      if (!info || seen.has(info.ino)) continue; // gone meanwhile (a gc), or a tree's file
      if (!info.isFile() || !name.startsWith(fan.name) || !parsePoolName(name)) {
        addOther(usage, "files", walk(path, seen));
        continue;
      }
      seen.add(info.ino);
      const part = info.nlink === 1 ? usage.poolNoTree.gc : usage.poolNoTree.linked;
      part.files++;
      part.bytes += info.size;
    }
  }
}

/**
 * What no row or tree index accounts for under wheels/: entry directories without a row (`store verify`
 * lists them as unindexed), and anything beside an entry's wheel and tree (a tree with no readable index).
 */
function wheelsLeftOver(
  storeDir: string,
  counted: Map<string, { entry: StoreEntry; tree: boolean }>,
  seen: Set<number>,
  usage: StoreUsage,
): void {
  for (const name of readdirOrEmpty(wheelsDir(storeDir))) {
    const known = counted.get(name.name);
    const path = join(wheelsDir(storeDir), name.name);
    if (!known || !name.isDirectory()) {
      addOther(usage, "wheels", walk(path, seen));
      continue;
    }
    const tree = treeDir(storeDir, name.name);
    for (const member of readdirOrEmpty(path)) {
      const memberPath = join(path, member.name);
      if (member.name === known.entry.filename || (known.tree && memberPath === tree)) continue;
      addOther(usage, "wheels", walk(memberPath, seen));
    }
  }
}

/** Interpreter entries are walked: an lstat per file, but there are few of them (thousands of files each). */
function pythonsUsage(store: Source, seen: Set<number>, usage: StoreUsage): void {
  const rows = new Set(store.pythons.list().map((p) => p.entryName));
  usage.pythons = rows.size;
  for (const name of readdirOrEmpty(pythonsDir(store.dir))) {
    const found = walk(pythonEntryDir(store.dir, name.name), seen);
    if (rows.has(name.name) && name.isDirectory()) usage.pythonBytes += found.bytes;
    else addOther(usage, "pythons", found);
  }
}

function databaseFiles(storeDir: string): string[] {
  const db = dbPath(storeDir);
  return [db, `${db}-wal`, `${db}-shm`];
}

/**
 * store.db and its -wal and -shm files. Taken before the command opens the database: SQLite adds a 32 KiB
 * -shm (and an empty -wal) for as long as a connection is open, and removes them at the last close, so
 * measuring them while du holds the store open would report bytes that are gone when it exits.
 */
export function databaseUsage(storeDir: string): Usage {
  const found = { files: 0, bytes: 0 };
  for (const path of databaseFiles(storeDir)) {
    const info = lstatOrUndefined(path);
    if (info?.isFile()) countFile(info, new Set(), found);
  }
  return found;
}

/** The top level: every name but wheels/, files/, pythons/ and the database files, walked as it is. */
function rest(storeDir: string, seen: Set<number>, usage: StoreUsage): void {
  const handled = new Set([wheelsDir(storeDir), poolDir(storeDir), pythonsDir(storeDir), ...databaseFiles(storeDir)]);
  for (const name of readdirOrEmpty(storeDir)) {
    const path = join(storeDir, name.name);
    if (!handled.has(path)) addOther(usage, name.name, walk(path, seen));
  }
}

function addOther(usage: StoreUsage, name: string, found: Usage): void {
  if (found.files === 0) return;
  const known = usage.other.get(name) ?? { files: 0, bytes: 0 };
  known.files += found.files;
  known.bytes += found.bytes;
  usage.other.set(name, known);
}

/** Files and symlinks under `path` (or `path` itself), each inode not yet seen counted once. */
function walk(path: string, seen: Set<number>): Usage {
  const found = { files: 0, bytes: 0 };
  const info = lstatOrUndefined(path);
  if (info?.isDirectory()) walkDir(path, seen, found);
  else if (info) countFile(info, seen, found);
  return found;
}

/** Directories are known from readdir's types: only the files cost an lstat. */
function walkDir(dir: string, seen: Set<number>, found: Usage): void {
  for (const name of readdirOrEmpty(dir)) {
    const path = join(dir, name.name);
    if (name.isDirectory()) walkDir(path, seen, found);
    else {
      const info = lstatOrUndefined(path);
      if (info?.isDirectory()) walkDir(path, seen, found);
      else if (info) countFile(info, seen, found);
    }
  }
}

function countFile(info: Stats, seen: Set<number>, found: Usage): void {
  if (!countOnce(info, seen)) return;
  found.files++;
  found.bytes += info.size;
}

/** True the first time an inode is met: hard links (trees, bundles, a writer's staged copy) count once. */
function countOnce(info: Stats, seen: Set<number>): boolean {
  if (seen.has(info.ino)) return false;
  seen.add(info.ino);
  return true;
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A directory's entries; none when it is gone or unreadable (du reports what it can read). */
function readdirOrEmpty(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
