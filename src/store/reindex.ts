// `store reindex`: rebuild store.db from the wheel files, which are the store's truth (a damaged database
// is moved aside first), and the same step for `store verify --repair` (store-format/store-layout.md,
// "The database is an index").

import { existsSync, linkSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { tempName } from "../util/atomic-write.js";
import { hashFile } from "../util/hash-file.js";
import type { Logger } from "../util/log.js";
import { checkFile, type FileCheck } from "./content.js";
import { checkIntegrity, dbFileExists, openDb, ROOTS_LOST_AT, writeMeta } from "./db.js";
import type { StoreEntry } from "./entries.js";
import { holdsStoredWheels, listEntryDirs, wheelFilesIn } from "./entry-dirs.js";
import { dbPath, entryDir, entryName, parseEntryName, shortDigest, tmpDir } from "./layout.js";
import { openStore, type Store } from "./store.js";
import { holdsStoredPythons, type PythonReindex, reindexPythons } from "./pythons.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";

/** Where entry directories whose bytes do not match their names go: out of wheels/, never deleted. */
export const QUARANTINE_DIR = "quarantine";

export interface Quarantined {
  entryName: string;
  /** Where the directory is now. */
  path: string;
  reason: string;
}

export interface ReindexCounts {
  /** Entry directories looked at. */
  scanned: number;
  /** Rows made from wheel files that had none. */
  added: StoreEntry[];
  /** Rows whose file was present and intact. */
  alreadyIndexed: number;
  /** Rows whose file is missing: removed (the index now says what is there). */
  rowsRemoved: StoreEntry[];
  /** Directories holding no wheel that matches their name, moved to quarantine/. */
  quarantined: Quarantined[];
  /** Rows whose file fails its hash: left in place for `store verify --repair` to re-fetch. */
  damaged: { entry: StoreEntry; found?: { sha256?: string; size?: number } }[];
  /** Wheels that match their names but cannot be read as pystore reads a wheel today: left in place. */
  skipped: { entryName: string; reason: string }[];
  /** Interpreters (pythons/): rows rebuilt from each entry's entry.json, rows without a directory removed. */
  pythons: PythonReindex;
}

export interface ReindexReport extends ReindexCounts {
  /** Where a damaged database was moved (`store.db.corrupt-<time>`), if one was. */
  databaseMovedTo?: string;
  /** A new database was created: everything the old one held beyond the wheels' own facts is gone. */
  rebuilt: boolean;
  /** The rebuild found wheels stored, whose roots went with the old database (gc keeps them; see gc.ts). */
  rootsLost: boolean;
}

/** What an entry directory without a row holds: a wheel matching its name, or not. */
export type Examined =
  | { kind: "match"; path: string; source: { sha256: string; size: number }; info: WheelInfo }
  | { kind: "mismatch"; reason: string }
  | { kind: "unreadable"; reason: string };

/**
 * Re-hash the wheel files of an entry directory without a row and read the one whose bytes match the
 * directory's name as `store add` reads a wheel: a match's entry name, computed again from its sha256,
 * METADATA name and version and file name tags, must be the directory's name exactly.
 */
export async function examineEntryDir(storeDir: string, name: string): Promise<Examined> {
  const parsed = parseEntryName(name);
  if (!parsed) return { kind: "mismatch", reason: "not an entry name" };
  const files = wheelFilesIn(storeDir, name);
  let reason = "no wheel file";
  for (const filename of files) {
    const path = join(entryDir(storeDir, name), filename);
    const source = await hashFile(path);
    if (shortDigest(source.sha256) !== parsed.digest) {
      reason = `${filename}: its sha256 ${source.sha256} does not match the digest ${parsed.digest} of its directory's name`;
      continue;
    }
    let info: WheelInfo;
    try {
      info = await readWheelInfo(path, filename);
    } catch (error) {
      if (!(error instanceof PystoreError)) throw error;
      return { kind: "unreadable", reason: `${filename}: ${error.message}` };
    }
    let expected: string;
    try {
      expected = entryName(source.sha256, info.name, info.version, info.tag);
    } catch (error) {
      reason = `${filename}: ${(error as Error).message}`;
      continue;
    }
    if (expected === name) return { kind: "match", path, source, info };
    reason = `${filename} belongs in ${expected}`;
  }
  return { kind: "mismatch", reason };
}

export interface ReindexOptions {
  /** What a caller already found for some rows (by sha256): they are not hashed again. */
  known?: Map<string, FileCheck["status"]>;
  now?: number;
}

/**
 * Make the rows say what wheels/ holds: keep rows of intact files, remove rows of missing files, add a
 * row for every wheel that matches its directory's name, quarantine directories that hold only wheels
 * that do not. Rows with damaged files stay for `store verify --repair`. Every change commits under the
 * write lock after checking the file again, as writers and gc do, so it is safe beside them.
 */
export async function reindexEntries(store: Store, opts: ReindexOptions = {}): Promise<ReindexCounts> {
  const now = opts.now ?? Date.now();
  const counts: ReindexCounts = {
    scanned: 0,
    added: [],
    alreadyIndexed: 0,
    rowsRemoved: [],
    quarantined: [],
    damaged: [],
    skipped: [],
    pythons: reindexPythons(store),
  };
  const rows = store.list();
  for (const entry of rows) {
    const known = opts.known?.get(entry.sha256);
    const check: FileCheck = known === undefined ? await checkFile(entry.path, entry.sha256, entry.size) : { status: known };
    if (check.status === "ok") counts.alreadyIndexed++;
    else if (check.status === "corrupted") counts.damaged.push({ entry, found: { sha256: check.sha256, size: check.size } });
    else if (removeRowIfFileMissing(store, entry)) counts.rowsRemoved.push(entry);
  }
  const indexed = new Set(rows.map((e) => e.entryName));
  const names = listEntryDirs(store.dir);
  counts.scanned = names.length;
  for (const name of names) {
    // A directory holding no wheel has nothing to index: a writer killed before its link; gc removes it.
    if (indexed.has(name) || wheelFilesIn(store.dir, name).length === 0) continue;
    const found = await examineEntryDir(store.dir, name);
    if (found.kind === "match") {
      const entry = store.indexStoredFile(found.path, found.source, found.info);
      if (entry) counts.added.push(entry);
    } else if (found.kind === "unreadable") {
      counts.skipped.push({ entryName: name, reason: found.reason });
      store.log.warn(`${name}: cannot index it: ${found.reason}`);
    } else {
      const path = quarantine(store, name, now);
      if (path) {
        counts.quarantined.push({ entryName: name, path, reason: found.reason });
        store.log.warn(`${name}: ${found.reason}; moved to ${path}`);
      }
    }
  }
  return counts;
}

/** Remove a row whose file is still missing, under the write lock (a writer may be putting it back). */
function removeRowIfFileMissing(store: Store, entry: StoreEntry): boolean {
  return store.db
    .transaction(() => {
      if (existsSync(entry.path) || !store.entries.get(entry.sha256)) return false;
      store.entries.delete(entry.sha256);
      return true;
    })
    .immediate();
}

/**
 * Move an entry directory to quarantine/<name>.<time>, under the write lock and only while no row
 * claims it: a writer that just put intact bytes there and committed keeps them.
 */
function quarantine(store: Store, name: string, now: number): string | undefined {
  const dir = join(store.dir, QUARANTINE_DIR);
  mkdirSync(dir, { recursive: true });
  return store.db
    .transaction(() => {
      if (store.db.prepare("SELECT 1 FROM entries WHERE entry_name = ?").pluck().get(name) !== undefined) return undefined;
      const target = freeName(join(dir, `${name}.${stamp(now)}`));
      renameSync(entryDir(store.dir, name), target);
      return target;
    })
    .immediate();
}

/** `20261124T101500Z`: sortable, no characters any filesystem refuses. */
export function stamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

function freeName(path: string): string {
  if (!existsSync(path)) return path;
  for (let n = 1; ; n++) if (!existsSync(`${path}-${n}`)) return `${path}-${n}`;
}

/**
 * Move a damaged database aside with its -wal and -shm files (kept together, so SQLite could still open
 * the copy): `store.db.corrupt-<time>`. Nothing is deleted.
 */
function moveDbAside(storeDir: string, now: number): string {
  const path = dbPath(storeDir);
  const target = freeName(`${path}.corrupt-${stamp(now)}`);
  for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  renameSync(path, target);
  return target;
}

/**
 * The write-ahead log and shared memory of a database that is gone would be replayed into the new one:
 * move them aside too (checked again right before, as another reindex may have just created the database).
 */
function moveStrayJournal(storeDir: string, now: number): string | undefined {
  const path = dbPath(storeDir);
  const stray = ["-wal", "-shm"].filter((suffix) => existsSync(path + suffix));
  if (stray.length === 0 || existsSync(path)) return undefined;
  const target = freeName(`${path}.corrupt-${stamp(now)}`);
  for (const suffix of stray) if (!existsSync(path)) renameSync(path + suffix, target + suffix);
  return target;
}

/**
 * A new database, published whole: made under a temp name, marked `roots_lost_at` when wheels are
 * stored (before any row is adopted, so a reindex killed halfway never leaves rows gc could take for
 * unrooted garbage), switched out of WAL so it is one file, then linked into place (never over a
 * database another reindex published meanwhile, which is then used instead).
 */
function publishNewDb(dir: string, now: number): boolean {
  const path = dbPath(dir);
  // Bundles' roots keep interpreters alive too: with either kind stored, lost roots matter.
  const rootsLost = holdsStoredWheels(dir) || holdsStoredPythons(dir);
  mkdirSync(tmpDir(dir), { recursive: true });
  const fresh = join(tmpDir(dir), tempName("store.db"));
  try {
    const db = openDb(fresh);
    try {
      if (rootsLost) db.transaction(() => writeMeta(db, ROOTS_LOST_AT, String(now))).immediate();
      db.pragma("journal_mode = DELETE");
    } finally {
      db.close();
    }
    try {
      linkSync(fresh, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      return false;
    }
    return rootsLost;
  } finally {
    rmSync(fresh, { force: true });
  }
}

/**
 * Open the store at `dir` for a rebuild: a database that fails its checks (header, schema, SQLite's
 * quick_check) is moved aside and a new one published. A database of another format version is never
 * touched (STORE_FORMAT): it is not damaged, only not ours to rebuild.
 */
async function openForReindex(
  dir: string,
  log: Logger,
  now: number,
): Promise<{ store: Store; rebuilt: boolean; rootsLost: boolean; movedTo?: string }> {
  const path = dbPath(dir);
  let movedTo: string | undefined;
  let rebuilt = !dbFileExists(path);
  if (!rebuilt) {
    try {
      const db = openDb(path);
      try {
        checkIntegrity(db, path);
      } finally {
        db.close();
      }
    } catch (error) {
      if (!(error instanceof PystoreError) || error.code !== "STORE_INDEX_DAMAGED") throw error;
      movedTo = moveDbAside(dir, now);
      rebuilt = true;
      log.warn(`moved the damaged database aside to ${movedTo}: it ${error.message.replace(`the store database ${path} `, "")}`);
    }
  } else if (existsSync(dir)) {
    movedTo = moveStrayJournal(dir, now);
  }
  // An empty file in place of the database is a lost database too: publish over it.
  if (rebuilt && existsSync(path) && !dbFileExists(path)) rmSync(path);
  const rootsLost = rebuilt && existsSync(dir) && publishNewDb(dir, now);
  return { store: await openStore({ dir, log, rebuild: true }), rebuilt, rootsLost, movedTo };
}

/** The whole `store reindex`: open (moving a damaged database aside, recording lost roots), then reindex. */
export async function reindexStore(dir: string, log: Logger, now = Date.now()): Promise<ReindexReport> {
  const { store, rebuilt, rootsLost, movedTo } = await openForReindex(dir, log, now);
  try {
    const counts = await reindexEntries(store, { now });
    const report: ReindexReport = { ...counts, rebuilt, rootsLost };
    if (movedTo) report.databaseMovedTo = movedTo;
    return report;
  } finally {
    store.close();
  }
}
