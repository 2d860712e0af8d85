// The store's SQLite database: connection settings, schema creation and the format-version gate
// (store-format/sqlite-schema.md).

import Database from "better-sqlite3";
import { PystoreError } from "../errors.js";
import { STORE_FORMAT_VERSION } from "../format-versions.js";

export type Db = Database.Database;

/** Long enough for eight writers queueing behind a gc on a loaded machine. */
const BUSY_TIMEOUT_MS = 60_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS entries (
  sha256          TEXT PRIMARY KEY,
  integrity       TEXT NOT NULL,
  size            INTEGER NOT NULL,
  filename        TEXT NOT NULL,
  name            TEXT NOT NULL,
  version         TEXT NOT NULL,
  tags            TEXT NOT NULL,
  requires_python TEXT,
  metadata        TEXT NOT NULL,
  origin_url      TEXT,
  index_url       TEXT,
  entry_name      TEXT NOT NULL UNIQUE,
  added_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_name ON entries (name, version);
CREATE TABLE IF NOT EXISTS dependencies (
  sha256      TEXT NOT NULL REFERENCES entries (sha256) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  requirement TEXT NOT NULL,
  PRIMARY KEY (sha256, position)
) STRICT;
CREATE TABLE IF NOT EXISTS roots (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('lock', 'bundle', 'fetch')),
  path       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (kind, path)
) STRICT;
CREATE TABLE IF NOT EXISTS root_members (
  root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
  sha256  TEXT NOT NULL,
  PRIMARY KEY (root_id, sha256)
) STRICT;
CREATE INDEX IF NOT EXISTS root_members_sha256 ON root_members (sha256);
CREATE TABLE IF NOT EXISTS http_cache (
  url           TEXT PRIMARY KEY,
  body          TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  etag          TEXT,
  last_modified TEXT,
  fetched_at    TEXT NOT NULL
) STRICT;
`;

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

/** Open (creating if needed) the database; refuses an unknown format version without touching it. */
export function openDb(path: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly === true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new PystoreError("STORE_IO", `cannot open the store database ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Refuse an unknown or foreign database before any pragma could write to it.
    refuseUnknown(db, path);
    if (!opts.readonly) {
      // WAL lets readers (serve, ls) run while a writer adds; NORMAL sync is durable at checkpoints and
      // never corrupts in WAL mode. The wheel files themselves are fsynced before their row commits.
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    }
    db.pragma("foreign_keys = ON");
    checkOrCreateSchema(db, path, opts.readonly === true);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof PystoreError) throw error;
    throw new PystoreError("STORE_IO", `cannot use the store database ${path}: ${(error as Error).message}`, { cause: error });
  }
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
