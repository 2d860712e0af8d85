// Interpreters in the store: pythons/<entry-name>/{entry.json,python/} by the sha256 of the tree's
// canonical tar, and their rows in the `pythons` table (store-format/store-layout.md, "Interpreters").

import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { STORE_FORMAT_VERSION } from "../format-versions.js";
import { stableJson } from "../util/stable-json.js";
import { removeReadOnly } from "./content.js";
import type { Db } from "./db.js";
import { shortDigest } from "./layout.js";
import { listPythonDirs, PYTHON_ENTRY_FILE, type PythonIndex, pythonEntryDir, pythonsDir, readEntryFile } from "./python-index.js";
import { listPythonTree, PYTHON_ROOT, pythonTreeDigest, type PythonTreeListing } from "./python-tree.js";

// The rows and the entry.json reader live apart (./python-index.ts) so opening a store does not load this.
export {
  holdsStoredPythons,
  listPythonDirs,
  PYTHON_ENTRY_FILE,
  PythonIndex,
  pythonEntryDir,
  pythonsDir,
  readEntryFile,
} from "./python-index.js";

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
