// The store's SQLite database: connection settings, schema creation and the format-version gate
// (store-format/sqlite-schema.md).

import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { PystoreError } from "../errors.js";
import { STORE_FORMAT_VERSION } from "../format-versions.js";
import { nodeGypAddon } from "../util/native-addon.js";
import { LATER_COLUMNS, LATER_OBJECTS, LATER_TABLES, SCHEMA } from "./db-schema.js";

export type Db = Database.Database;

/** Long enough for eight writers queueing behind a gc on a loaded machine. */
const BUSY_TIMEOUT_MS = 60_000;

/** The addon's path for better-sqlite3, so it skips its own search (src/util/native-addon.ts). */
const addonOption = () => ({ nativeBinding: nodeGypAddon("better-sqlite3", "better_sqlite3.node", import.meta.url) });

/** Whether `table` has `column` (a LATER_COLUMNS column is absent from a read-only, older database). */
export function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info("${table}")`).all() as Column[]).some((c) => c.name === column);
}

/** Whether the index `name` exists (a LATER_OBJECTS index is absent from a read-only, older database). */
export function hasIndex(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(name) !== undefined;
}

function formatError(path: string, found: string): PystoreError {
  return new PystoreError(
    "STORE_FORMAT",
    `The store database ${path} has format version ${found}; this pystore understands version ${STORE_FORMAT_VERSION} only`,
    {
      hint: "use the pystore release that created this store, or point --store at a new directory (stores are never migrated silently)",
      details: { path, found, supported: STORE_FORMAT_VERSION },
    },
  );
}

/** Why a database cannot be used as the store's index: `missing` (with wheels stored), or damage. */
export type DbDamage = "missing" | "not-a-database" | "truncated" | "malformed" | "schema";

export const REINDEX_HINT =
  "run `pystore store reindex`: it rebuilds the index from the wheel files, which are the store's truth (a damaged database is moved aside, never deleted; see docs/store.md)";

/** STORE_INDEX_DAMAGED naming the file: the wheels are intact, only the index needs rebuilding. */
export function damagedDb(path: string, reason: DbDamage, message: string, cause?: unknown): PystoreError {
  return new PystoreError("STORE_INDEX_DAMAGED", `the store database ${path} ${message}`, {
    hint: REINDEX_HINT,
    cause,
    details: { path, reason },
  });
}

/** SQLite's own words for a file that is not (or no longer) a well-formed database. */
const DAMAGE_CODES = new Map<string, DbDamage>([
  ["SQLITE_NOTADB", "not-a-database"],
  ["SQLITE_CORRUPT", "malformed"],
]);

/** A SQLite error that means the file is damaged, as STORE_INDEX_DAMAGED; undefined for anything else. */
export function asDamage(path: string, error: unknown): PystoreError | undefined {
  const code = (error as { code?: string }).code ?? "";
  const reason = DAMAGE_CODES.get(code) ?? (code.startsWith("SQLITE_CORRUPT") ? "malformed" : undefined);
  if (reason === undefined) return undefined;
  return damagedDb(path, reason, `is damaged: ${(error as Error).message}`, error);
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Check the 100-byte header before SQLite sees the file: a file that is not a database, or one shorter
 * than the page count its header records (cut off by a copy or a full disk), is damage. A database file
 * may legitimately lag its header only while its write-ahead log holds the pages (a checkpoint cut short),
 * so the size check is skipped when a non-empty `-wal` file sits beside it.
 */
export function checkDbHeader(path: string): void {
  const header = Buffer.alloc(100);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read === 0) return;
  if (read < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw damagedDb(path, "not-a-database", "is not an SQLite database (file is not a database)");
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  // The in-header page count is valid only when its "version valid for" matches the change counter.
  const pages = header.readUInt32BE(92) === header.readUInt32BE(24) ? header.readUInt32BE(28) : 0;
  if (pages === 0 || walHoldsPages(path)) return;
  // The size is taken after the header and the -wal check, never before: a concurrent process's checkpoint
  // may write the header's new page count, finish, and remove its -wal between an earlier stat and the
  // read, and a size from before it would look like a cut-off file.
  const size = fileSize(path);
  if (size !== undefined && size < pages * pageSize) {
    throw damagedDb(path, "truncated", `is truncated: ${size} bytes, but its header records ${pages} pages of ${pageSize} bytes`);
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function walHoldsPages(path: string): boolean {
  try {
    return statSync(`${path}-wal`).size > 0;
  } catch {
    return false;
  }
}

/** Whether `path` is a database file worth opening: absent or empty means there is none. */
export function dbFileExists(path: string): boolean {
  return existsSync(path) && statSync(path).size > 0;
}

/**
 * Switch a database to WAL, once in its life (the mode is kept in the file). The switch needs the database
 * to itself, and SQLite may answer SQLITE_BUSY at once rather than wait for the busy timeout, as two
 * processes creating one fresh store at the same moment showed: retried, within the same timeout.
 */
function setWal(db: Db): void {
  if (String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal") return;
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Open (creating if needed) the database; refuses an unknown format version without touching it. */
export function openDb(path: string, opts: { readonly?: boolean } = {}): Db {
  checkDbHeader(path);
  const binding = addonOption();
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly === true, timeout: BUSY_TIMEOUT_MS, ...binding });
  } catch (error) {
    throw (
      asDamage(path, error) ??
      new PystoreError("STORE_IO", `cannot open the store database ${path}: ${(error as Error).message}`, { cause: error })
    );
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Refuse an unknown or foreign database before any pragma could write to it.
    refuseUnknown(db, path);
    if (!opts.readonly) {
      // WAL lets readers (serve, ls) run while a writer adds; NORMAL sync is durable at checkpoints and
      // never corrupts in WAL mode. The wheel files themselves are fsynced before their row commits.
      setWal(db);
      db.pragma("synchronous = NORMAL");
    }
    db.pragma("foreign_keys = ON");
    checkOrCreateSchema(db, path, opts.readonly === true);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof PystoreError) throw error;
    throw (
      asDamage(path, error) ??
      new PystoreError("STORE_IO", `cannot use the store database ${path}: ${(error as Error).message}`, { cause: error })
    );
  }
}

/**
 * SQLite's full structural check (every page, every index): for `store verify` and `store reindex`,
 * which read everything anyway; too slow for every open of a large store.
 */
export function checkIntegrity(db: Db, path: string): void {
  let result: string[];
  try {
    result = (db.pragma("quick_check") as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
  } catch (error) {
    throw asDamage(path, error) ?? error;
  }
  if (result.length !== 1 || result[0] !== "ok") throw damagedDb(path, "malformed", `is damaged: ${result.slice(0, 3).join("; ")}`);
}

function readVersion(db: Db): string | undefined {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!table) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'format_version'").get() as { value: string } | undefined;
  return row?.value;
}

function refuseUnknown(db: Db, path: string): void {
  const existing = readVersion(db);
  if (existing !== undefined && existing !== String(STORE_FORMAT_VERSION)) throw formatError(path, existing);
  if (existing === undefined) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    // Tables without our version row: another program's database, or a store being created right now
    // (its creator's transaction makes both appear at once, so this is never a half-created store).
    if (tables.n > 0 && readVersion(db) === undefined) throw formatError(path, "none");
  }
}

function checkOrCreateSchema(db: Db, path: string, readonly: boolean): void {
  const existing = readVersion(db);
  if (existing !== undefined) {
    if (existing !== String(STORE_FORMAT_VERSION)) throw formatError(path, existing);
    checkTables(db, path, readonly);
    return;
  }
  if (readonly) throw new PystoreError("STORE_IO", `the store database ${path} has no pystore schema`);
  // Several processes may create a fresh store at once: IMMEDIATE serialises them and the losers see
  // the winner's version inside their own transaction.
  db.transaction(() => {
    if (readVersion(db) !== undefined) return;
    // A database with tables but no version is not ours (or from before versioning): refuse it.
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) throw formatError(path, "none");
    db.exec(SCHEMA);
    db.prepare("INSERT INTO meta (key, value) VALUES ('format_version', ?)").run(String(STORE_FORMAT_VERSION));
    db.prepare("INSERT INTO meta (key, value) VALUES ('created_by', 'pystore')").run();
  }).immediate();
  const version = readVersion(db);
  if (version !== String(STORE_FORMAT_VERSION)) throw formatError(path, version ?? "none");
}

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** Every table of SCHEMA with its columns, read from SQLite itself so it can never drift from SCHEMA. */
let expectedTables: Map<string, Column[]> | undefined;

function schemaTables(): Map<string, Column[]> {
  if (expectedTables) return expectedTables;
  const reference = new Database(":memory:", addonOption());
  try {
    reference.exec(SCHEMA);
    expectedTables = tableColumns(reference);
  } finally {
    reference.close();
  }
  return expectedTables;
}

function tableColumns(db: Db): Map<string, Column[]> {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  return new Map(names.map((name) => [name, db.prepare(`PRAGMA table_info("${name}")`).all() as Column[]]));
}

/**
 * A version-1 database with a table or column missing or changed was damaged (or edited by hand): every
 * query would fail later with SQLite's words, so say it here, naming the table. LATER_TABLES,
 * LATER_COLUMNS and LATER_OBJECTS are created when missing (version 1 gained them before release), in one
 * IMMEDIATE transaction that looks again: two processes opening an older store at once would otherwise
 * both add a column, and the second fail. A column and the trigger that guards it appear together.
 */
function checkTables(db: Db, path: string, readonly: boolean): void {
  if (laterMissing(db, path).length === 0 || readonly) return;
  db.transaction(() => {
    for (const statement of laterMissing(db, path)) db.exec(statement);
  }).immediate();
}

/** The statements creating what version 1 gained later and this database lacks; throws on any other difference. */
function laterMissing(db: Db, path: string): string[] {
  const missing: string[] = [];
  const actual = tableColumns(db);
  for (const [table, columns] of schemaTables()) {
    const found = actual.get(table);
    const later = LATER_TABLES.get(table);
    if (!found && later !== undefined) {
      missing.push(later);
      continue;
    }
    if (!found) throw damagedDb(path, "schema", `does not match the store schema: table ${table} is missing`);
    for (const column of columns) {
      const same = found.find((c) => c.name === column.name);
      const addColumn = LATER_COLUMNS.get(`${table}.${column.name}`);
      if (!same && addColumn !== undefined) {
        missing.push(addColumn);
        continue;
      }
      if (!same || same.type !== column.type || same.notnull !== column.notnull || same.pk !== column.pk) {
        throw damagedDb(
          path,
          "schema",
          `does not match the store schema: column ${table}.${column.name} is ${same ? "changed" : "missing"}`,
        );
      }
    }
  }
  const objects = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')").pluck().all() as string[]);
  for (const [name, statement] of LATER_OBJECTS) if (!objects.has(name)) missing.push(statement);
  return missing;
}

/**
 * meta key set by `store reindex` when it built a new database for stored wheels: the roots went with the
 * old one, so gc keeps unrooted wheels until `store gc --accept-lost-roots` (store-format/sqlite-schema.md).
 */
export const ROOTS_LOST_AT = "roots_lost_at";

export function readMeta(db: Db, key: string): string | undefined {
  return (db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined) ?? undefined;
}

export function writeMeta(db: Db, key: string, value: string | undefined): void {
  if (value === undefined) db.prepare("DELETE FROM meta WHERE key = ?").run(key);
  else db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
}
