// Interpreters in the store: pythons/<entry-name>/{entry.json,python/} by the sha256 of the tree's
// canonical tar, and their rows in the `pythons` table (store-format/store-layout.md, "Interpreters").

import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { STORE_FORMAT_VERSION } from "../format-versions.js";
import { compareStrings } from "../util/order.js";
import { stableJson } from "../util/stable-json.js";
import { removeReadOnly } from "./content.js";
import type { Db } from "./db.js";
import { shortDigest } from "./layout.js";
import { listPythonTree, PYTHON_ROOT, pythonTreeDigest, type PythonTreeListing } from "./python-tree.js";

const PYTHONS_DIR = "pythons";
/** Written last into the staging directory: an entry directory that has it was renamed into place complete. */
export const PYTHON_ENTRY_FILE = "entry.json";

/** What probing the interpreter found (src/python/probe.ts); the row's facts. */
export interface PythonFacts {
  /** sys.implementation.name: "cpython". */
  implementation: string;
  /** platform.python_version(): "3.11.2". */
  version: string;
  /** "3.11" */
  python: string;
  /** sys.platform: "linux". */
  os: string;
  /** os.uname().machine, normalised: "x86_64", "aarch64". */
  machine: string;
  /** The C library the interpreter runs on: "glibc", "musl", or null (not Linux, or not told). */
  libc: "glibc" | "musl" | null;
  abiflags: string;
  /** sys.implementation.cache_tag: "cpython-311" (names its .pyc files). */
  cacheTag: string;
  /** Path of the interpreter inside the entry: "python/bin/python3". */
  executable: string;
  /** python/PYTHON.json as parsed, when the distribution has one. */
  build?: Record<string, unknown>;
}

export interface PythonEntry extends PythonFacts {
  sha256: string;
  /** Bytes of the canonical tar (what `store export` carries). */
  size: number;
  entryName: string;
  /** Absolute path of pythons/<entry-name>. */
  dir: string;
  /** Number of regular files. */
  files: number;
  addedAt: number;
}

/** pythons/<entry-name>/entry.json: the facts and the member list, so bundles link without hashing. */
export interface PythonEntryFile {
  formatVersion: number;
  sha256: string;
  size: number;
  facts: PythonFacts;
  files: PythonTreeListing["files"];
  symlinks: PythonTreeListing["symlinks"];
}

export function pythonsDir(storeDir: string): string {
  return join(storeDir, PYTHONS_DIR);
}

export function pythonEntryDir(storeDir: string, entryName: string): string {
  return join(storeDir, PYTHONS_DIR, entryName);
}

/** `<digest>-<implementation>-<version>-<os>-<machine>-<libc>`, libc `gnu`, `musl` or `none`. */
export function pythonEntryName(sha256: string, facts: PythonFacts): string {
  const libc = facts.libc === "glibc" ? "gnu" : (facts.libc ?? "none");
  const parts = [facts.implementation, facts.version, facts.os, facts.machine, libc];
  for (const part of parts) {
    if (!/^[A-Za-z0-9_.+]+$/.test(part))
      throw new PystoreError("INVALID_PYTHON", `cannot name an interpreter entry with ${JSON.stringify(part)}`);
  }
  return `${shortDigest(sha256)}-${parts.join("-")}`;
}

interface PythonRow {
  sha256: string;
  size: number;
  entry_name: string;
  facts: string;
  files: number;
  added_at: number;
}

export class PythonIndex {
  constructor(
    private readonly db: Db,
    private readonly storeDir: string,
  ) {}

  private toEntry(row: PythonRow): PythonEntry {
    return {
      ...(JSON.parse(row.facts) as PythonFacts),
      sha256: row.sha256,
      size: row.size,
      entryName: row.entry_name,
      dir: pythonEntryDir(this.storeDir, row.entry_name),
      files: row.files,
      addedAt: row.added_at,
    };
  }

  list(): PythonEntry[] {
    const rows = this.db.prepare("SELECT * FROM pythons").all() as PythonRow[];
    return rows.map((r) => this.toEntry(r)).sort((a, b) => compareStrings(a.entryName, b.entryName));
  }

  get(sha256: string): PythonEntry | undefined {
    const row = this.db.prepare("SELECT * FROM pythons WHERE sha256 = ?").get(sha256) as PythonRow | undefined;
    return row && this.toEntry(row);
  }

  /** By sha256 hex prefix or entry-name digest prefix (4+ characters). */
  find(prefix: string): PythonEntry[] {
    const p = prefix.toLowerCase();
    if (p.length < 4) return [];
    return this.list().filter((e) => e.sha256.startsWith(p) || e.entryName.startsWith(p));
  }

  delete(sha256: string): void {
    this.db.prepare("DELETE FROM pythons WHERE sha256 = ?").run(sha256);
  }

  /** Commit the row of an entry directory in place (its file checked inside the transaction); undefined when it vanished. */
  commit(file: PythonEntryFile, entryName: string): PythonEntry | undefined {
    return this.db
      .transaction(() => {
        if (readEntryFile(this.storeDir, entryName)?.sha256 !== file.sha256) return undefined;
        this.db
          .prepare(
            `INSERT INTO pythons (sha256, size, entry_name, implementation, version, python, os, machine, libc, facts, files, added_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (sha256) DO UPDATE SET added_at = excluded.added_at`,
          )
          .run(
            file.sha256,
            file.size,
            entryName,
            file.facts.implementation,
            file.facts.version,
            file.facts.python,
            file.facts.os,
            file.facts.machine,
            file.facts.libc,
            stableJson(file.facts),
            file.files.length,
            Date.now(),
          );
        // Claimed again: a gc that doomed this directory and was killed before moving it must not take it.
        this.db.prepare("DELETE FROM gc_pending WHERE entry_name = ?").run(entryName);
        return this.get(file.sha256);
      })
      .immediate();
  }

  /** Refresh the commit time so a concurrent gc's grace period covers it. */
  touch(sha256: string): void {
    this.db.prepare("UPDATE pythons SET added_at = max(added_at, ?) WHERE sha256 = ?").run(Date.now(), sha256);
  }
}

export function readEntryFile(storeDir: string, entryName: string): PythonEntryFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(pythonEntryDir(storeDir, entryName), PYTHON_ENTRY_FILE), "utf8")) as PythonEntryFile;
    return parsed?.formatVersion === STORE_FORMAT_VERSION && typeof parsed.sha256 === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether any pythons/ directory is a finished entry (has its entry.json): a store whose index must not be made up afresh. */
export function holdsStoredPythons(storeDir: string): boolean {
  return listPythonDirs(storeDir).some((name) => readEntryFile(storeDir, name) !== undefined);
}

/** Every name under pythons/, sorted (rows or not). */
export function listPythonDirs(storeDir: string): string[] {
  try {
    return readdirSync(pythonsDir(storeDir)).sort(compareStrings);
  } catch {
    return [];
  }
}

/**
 * Make a staged tree (`staging/python/…`, in the store's tmp/) an entry: hash it, write entry.json, make
 * it read-only, rename it to pythons/<entry-name>. A rename that finds the name taken means another
 * writer won with the same bytes (its entry.json exists only in a finished entry): success, and the
 * staging directory is removed. Returns the entry file and name; the caller commits the row.
 */
export function placePythonTree(
  storeDir: string,
  staging: string,
  facts: PythonFacts,
  label = staging,
): { file: PythonEntryFile; entryName: string } {
  const { sha256, size, listing } = pythonTreeDigest(staging, listPythonTree(staging, label));
  const entryName = pythonEntryName(sha256, facts);
  const file: PythonEntryFile = {
    formatVersion: STORE_FORMAT_VERSION,
    sha256,
    size,
    facts,
    files: listing.files,
    symlinks: listing.symlinks,
  };
  writeFileSync(join(staging, PYTHON_ENTRY_FILE), stableJson(file), { mode: 0o444, flag: "wx" });
  makeReadOnly(join(staging, PYTHON_ROOT));
  const target = pythonEntryDir(storeDir, entryName);
  mkdirSync(pythonsDir(storeDir), { recursive: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EEXIST" && code !== "ENOTEMPTY") throw error;
    if (!intactEntry(storeDir, entryName, sha256)) {
      // Unfinished (no entry.json) or damaged (an edit through a hardlinked bundle): move it aside, place ours.
      const aside = `${staging}-old`;
      renameSync(target, aside);
      removeReadOnly(aside);
      renameSync(staging, target);
    } else removeReadOnly(staging);
  }
  return { file, entryName };
}

/** Whether pythons/<entryName> is finished and still hashes to `sha256`. */
function intactEntry(storeDir: string, entryName: string, sha256: string): boolean {
  if (readEntryFile(storeDir, entryName)?.sha256 !== sha256) return false;
  try {
    return pythonTreeDigest(pythonEntryDir(storeDir, entryName)).sha256 === sha256;
  } catch {
    return false;
  }
}

/** Files 0444 (0555 when executable), directories 0555, deepest first; symlinks are left as they are. */
function makeReadOnly(path: string): void {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    for (const name of readdirSync(path)) makeReadOnly(join(path, name));
    chmodSync(path, 0o555);
  } else chmodSync(path, info.mode & 0o111 ? 0o555 : 0o444);
}

export type PythonCheck = { status: "ok" } | { status: "missing" | "corrupted"; reason: string };

/** Re-hash an entry's tree against its row: the canonical tar must give the row's sha256 and size. */
export function checkPythonEntry(entry: PythonEntry): PythonCheck {
  try {
    statSync(join(entry.dir, PYTHON_ROOT));
  } catch {
    return { status: "missing", reason: `${join(entry.dir, PYTHON_ROOT)} is missing` };
  }
  try {
    const found = pythonTreeDigest(entry.dir);
    if (found.sha256 === entry.sha256 && found.size === entry.size) return { status: "ok" };
    return { status: "corrupted", reason: `tree hashes to ${found.sha256} (${found.size} bytes), not ${entry.sha256}` };
  } catch (error) {
    return { status: "corrupted", reason: (error as Error).message };
  }
}

export interface PythonReindex {
  /** Rows made from finished pythons/ directories that had none (their tree re-hashed first). */
  added: PythonEntry[];
  /** Rows whose directory (or its entry.json) is gone: removed. */
  rowsRemoved: PythonEntry[];
  /** Directories whose entry.json is missing or whose tree no longer hashes to it: left for `python add`. */
  skipped: { entryName: string; reason: string }[];
}

/**
 * `store reindex` for interpreters: entry.json holds every fact of a row, so a directory without a row is
 * indexed again once its tree hashes to the sha256 entry.json names, and a row without its directory goes.
 */
export function reindexPythons(store: { db: Db; dir: string; pythons: PythonIndex }): PythonReindex {
  const result: PythonReindex = { added: [], rowsRemoved: [], skipped: [] };
  for (const entry of store.pythons.list()) {
    if (readEntryFile(store.dir, entry.entryName)?.sha256 === entry.sha256) continue;
    const removed = store.db
      .transaction(() => {
        if (readEntryFile(store.dir, entry.entryName)?.sha256 === entry.sha256) return false;
        store.pythons.delete(entry.sha256);
        return true;
      })
      .immediate();
    if (removed) result.rowsRemoved.push(entry);
  }
  const indexed = new Set(store.pythons.list().map((e) => e.entryName));
  for (const name of listPythonDirs(store.dir)) {
    if (indexed.has(name)) continue;
    const file = readEntryFile(store.dir, name);
    if (!file) {
      result.skipped.push({ entryName: name, reason: `no readable ${PYTHON_ENTRY_FILE}` });
      continue;
    }
    if (pythonEntryName(file.sha256, file.facts) !== name || !intactEntry(store.dir, name, file.sha256)) {
      result.skipped.push({ entryName: name, reason: `its tree does not hash to the sha256 its ${PYTHON_ENTRY_FILE} names` });
      continue;
    }
    const entry = store.pythons.commit(file, name);
    if (entry) result.added.push(entry);
  }
  return result;
}
