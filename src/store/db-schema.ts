// The text of store.db's schema, version 1 (store-format/sqlite-schema.md), and what version 1 gained
// before release, which db.ts adds to an older database on a writable open.

/**
 * Entry directories whose rows gc deleted (its step 1) and has not yet moved away (step 2): the only
 * row-less directories gc may delete while they still hold a wheel. Added to version 1 before release;
 * a store opened for writing without it gets it (store-format/sqlite-schema.md, "Changes").
 */
const GC_PENDING = `CREATE TABLE IF NOT EXISTS gc_pending (
  entry_name TEXT PRIMARY KEY,
  doomed_at  INTEGER NOT NULL
) STRICT;
`;

/**
 * Interpreters (store-format/sqlite-schema.md, "pythons"): one row per pythons/<entry-name>/ directory,
 * keyed by the sha256 of the tree's canonical tar. Added to version 1 before release, like gc_pending.
 */
const PYTHONS = `CREATE TABLE IF NOT EXISTS pythons (
  sha256         TEXT PRIMARY KEY,
  size           INTEGER NOT NULL,
  entry_name     TEXT NOT NULL UNIQUE,
  implementation TEXT NOT NULL,
  version        TEXT NOT NULL,
  python         TEXT NOT NULL,
  os             TEXT NOT NULL,
  machine        TEXT NOT NULL,
  libc           TEXT,
  facts          TEXT NOT NULL,
  files          INTEGER NOT NULL,
  added_at       INTEGER NOT NULL
) STRICT;
`;

/**
 * Builds of sdists (store-format/sqlite-schema.md, "builds"): each built wheel's provenance, and the core
 * metadata read from sdists (static PKG-INFO or the backend's). Added to version 1 before release, like gc_pending.
 */
const BUILDS = `CREATE TABLE IF NOT EXISTS builds (
  build_key    TEXT PRIMARY KEY,
  sha256       TEXT NOT NULL REFERENCES entries (sha256) ON DELETE CASCADE,
  sdist_sha256 TEXT NOT NULL,
  derivation   TEXT NOT NULL,
  target       TEXT NOT NULL,
  built_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS builds_sha256 ON builds (sha256);
CREATE TABLE IF NOT EXISTS sdist_metadata (
  sdist_sha256 TEXT NOT NULL,
  environment  TEXT NOT NULL,
  source       TEXT NOT NULL,
  metadata     TEXT NOT NULL,
  PRIMARY KEY (sdist_sha256, environment)
) STRICT;
`;

/**
 * What a written lock was resolved from (store-format/sqlite-schema.md, "lock_memos"): a re-lock with the
 * same key and the same, still fresh, index pages is up to date without resolving. Added to version 1
 * before release, like gc_pending.
 */
const LOCK_MEMOS = `CREATE TABLE IF NOT EXISTS lock_memos (
  lock_path   TEXT PRIMARY KEY,
  key         TEXT NOT NULL,
  lock_sha256 TEXT NOT NULL,
  pages       TEXT NOT NULL,
  lock_json   TEXT,
  written_at  INTEGER NOT NULL
) STRICT;
`;

/** Tables version 1 gained before release: created on a writable open when missing, never reported as damage. */
export const LATER_TABLES = new Map([
  ["gc_pending", GC_PENDING],
  ["pythons", PYTHONS],
  ["builds", BUILDS],
  ["sdist_metadata", BUILDS],
  ["lock_memos", LOCK_MEMOS],
]);

/**
 * Nullable columns version 1 gained before release: added on a writable open when missing; a read-only
 * open of a database without one works without it (its readers check `hasColumn`).
 */
export const LATER_COLUMNS = new Map([
  ["http_cache.fresh_until", "ALTER TABLE http_cache ADD COLUMN fresh_until INTEGER"],
  ["http_cache.body_sha256", "ALTER TABLE http_cache ADD COLUMN body_sha256 TEXT"],
]);

/**
 * The lock memo's page check reads only this index, never a page's body (PyPI's pages run to megabytes,
 * and a column after the body in the row costs a walk of the body's overflow pages). The trigger keeps
 * `body_sha256` honest against a pystore from before the column: its upsert replaces `body` and leaves
 * the previous body's digest, which would vouch for a page that changed; a NULL digest is hashed instead.
 */
const HTTP_CACHE_MEMO_INDEX = `CREATE INDEX IF NOT EXISTS http_cache_memo ON http_cache (url, fresh_until, content_type, body_sha256);
`;
const HTTP_CACHE_BODY_TRIGGER = `CREATE TRIGGER IF NOT EXISTS http_cache_body_sha256 AFTER UPDATE OF body ON http_cache
  WHEN NEW.body_sha256 IS NOT NULL AND NEW.body_sha256 IS OLD.body_sha256 AND NEW.body IS NOT OLD.body
BEGIN
  UPDATE http_cache SET body_sha256 = NULL WHERE url = NEW.url;
END;
`;

/** Indexes and triggers version 1 gained before release, by name: created on a writable open when missing. */
export const LATER_OBJECTS = new Map([
  ["http_cache_memo", HTTP_CACHE_MEMO_INDEX],
  ["http_cache_body_sha256", HTTP_CACHE_BODY_TRIGGER],
]);

export const SCHEMA = `
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
  fetched_at    TEXT NOT NULL,
  fresh_until   INTEGER,
  body_sha256   TEXT
) STRICT;
${HTTP_CACHE_MEMO_INDEX}${HTTP_CACHE_BODY_TRIGGER}${GC_PENDING}${PYTHONS}${BUILDS}${LOCK_MEMOS}`;
