// Lock memos in store.db (store-format/sqlite-schema.md, "lock_memos"): what a written lock was resolved
// from, and the check that lets a re-lock with nothing changed answer "up to date" without resolving.

import { bodySha256 } from "../index-client/cache.js";
import { type Db, dbFileExists, hasColumn, hasIndex, openDb } from "./db.js";
import { dbPath } from "./layout.js";

/** A project page as the resolution used it: the http_cache key, its content type, the sha256 of its body. */
export interface MemoPage {
  url: string;
  contentType: string;
  sha256: string;
}

export interface LockMemo {
  /** Absolute path of the lock file. */
  lockPath: string;
  /** lockMemoKey (src/lock/memo-key.ts): everything the resolution read besides the pages. */
  key: string;
  /** sha256 of the lock file's bytes as written. */
  lockSha256: string;
  pages: MemoPage[];
  /** The lock as parsed, as JSON (src/lock/lock-snapshot.ts); absent when none was kept. */
  lockJson?: string;
}

/** One memo per lock path, the most recently written kept: a store that locks many paths stays small. */
export const MAX_LOCK_MEMOS = 256;

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Record (or replace) the memo of `memo.lockPath`, dropping the oldest beyond MAX_LOCK_MEMOS. */
export function writeLockMemo(db: Db, memo: LockMemo, now: number): void {
  const pages = JSON.stringify(memo.pages.map((p) => [p.url, p.contentType, p.sha256]));
  db.transaction(() => {
    db.prepare(
      `INSERT INTO lock_memos (lock_path, key, lock_sha256, pages, lock_json, written_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (lock_path) DO UPDATE SET key = excluded.key, lock_sha256 = excluded.lock_sha256,
         pages = excluded.pages, lock_json = excluded.lock_json, written_at = excluded.written_at`,
    ).run(memo.lockPath, memo.key, memo.lockSha256, pages, memo.lockJson ?? null, now);
    db.prepare(
      "DELETE FROM lock_memos WHERE lock_path NOT IN (SELECT lock_path FROM lock_memos ORDER BY written_at DESC, lock_path LIMIT ?)",
    ).run(MAX_LOCK_MEMOS);
  }).immediate();
}

export function readLockMemo(db: Db, lockPath: string): LockMemo | undefined {
  // A read-only open of a database from before the table existed: no memo.
  if (!hasTable(db, "lock_memos")) return undefined;
  const row = db.prepare("SELECT key, lock_sha256, pages, lock_json FROM lock_memos WHERE lock_path = ?").get(lockPath) as
    | { key: string; lock_sha256: string; pages: string; lock_json: string | null }
    | undefined;
  if (!row) return undefined;
  const pages = (JSON.parse(row.pages) as [string, string, string][]).map(([url, contentType, sha256]) => ({ url, contentType, sha256 }));
  return { lockPath, key: row.key, lockSha256: row.lock_sha256, pages, ...(row.lock_json === null ? {} : { lockJson: row.lock_json }) };
}

/** The first recorded page the cache no longer holds as it was, or holds past its freshness; undefined when none. */
export function stalePage(db: Db, pages: MemoPage[], now: number): string | undefined {
  // Without the column nothing is fresh: every page would be asked for again.
  if (!hasColumn(db, "http_cache", "fresh_until")) return pages[0] && `${pages[0].url} has no freshness recorded`;
  const select = db.prepare(pageCheckQuery(db));
  const body = db.prepare("SELECT body FROM http_cache WHERE url = ?").pluck();
  for (const page of pages) {
    const row = select.get(page.url) as { fresh_until: number | null; content_type: string; body_sha256: string | null } | undefined;
    if (!row) return `${page.url} is no longer cached`;
    if (row.fresh_until === null || now >= row.fresh_until) return `${page.url} is no longer fresh`;
    if (row.content_type !== page.contentType) return `${page.url} changed`;
    // NULL: written by a pystore from before the column, or its body replaced by one (a trigger nulls it).
    const stored = row.body_sha256 === null ? (body.get(page.url) as string | undefined) : undefined;
    const sha256 = row.body_sha256 ?? (stored === undefined ? undefined : bodySha256(stored));
    if (sha256 === undefined) return `${page.url} is no longer cached`;
    if (sha256 !== page.sha256) return `${page.url} changed`;
  }
  return undefined;
}

/**
 * The page check's query: through the covering index http_cache_memo, never touching a body (PyPI's pages
 * run to megabytes, and even a column after the body costs a walk of its overflow pages). Left to itself
 * SQLite picks the primary key's index (unique: one row) and reads the wide row, hence INDEXED BY. A
 * read-only open of an older database may lack the column and the index: its bodies are hashed, as then.
 */
export function pageCheckQuery(db: Db): string {
  const digests = hasColumn(db, "http_cache", "body_sha256");
  const index = digests && hasIndex(db, "http_cache_memo") ? " INDEXED BY http_cache_memo" : "";
  return `SELECT fresh_until, content_type, ${digests ? "body_sha256" : "NULL AS body_sha256"} FROM http_cache${index} WHERE url = ?`;
}

/** Whether the root of `kind` at `path` is registered with exactly these members (lower-case sha256s). */
export function rootHolds(db: Db, kind: string, path: string, sha256s: string[]): boolean {
  const root = db.prepare("SELECT id FROM roots WHERE kind = ? AND path = ?").get(kind, path) as { id: number } | undefined;
  if (!root) return false;
  const members = db.prepare("SELECT sha256 FROM root_members WHERE root_id = ? ORDER BY sha256").pluck().all(root.id) as string[];
  const wanted = [...new Set(sha256s.map((s) => s.toLowerCase()))].sort();
  return members.length === wanted.length && members.every((m, i) => m === wanted[i]);
}

/** The store's database opened read-only for the memo check, or undefined when the store has none yet. */
export function openForMemo(storeDir: string): Db | undefined {
  const path = dbPath(storeDir);
  return dbFileExists(path) ? openDb(path, { readonly: true }) : undefined;
}
