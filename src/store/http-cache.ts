// The index client's HTTP cache (ETag / Last-Modified revalidation), kept in the store's SQLite database.

import { stripCredentials } from "../util/redact.js";
import { bodySha256, type CachedResponse, type HttpCache } from "../index-client/cache.js";
import { type Db, hasColumn } from "./db.js";

export type { CachedResponse, HttpCache };

interface CacheRow {
  body: string;
  content_type: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: string;
  fresh_until: number | null;
  body_sha256: string | null;
}

/** Connections with pystore_sha256 registered (SQLite refuses to redefine a function while a statement runs). */
const withSha256 = new WeakSet<Db>();

/** Keys never carry credentials: the cache is on disk and outlives tokens. */
export function sqliteHttpCache(db: Db): HttpCache {
  // A read-only open of a store from before `fresh_until` existed: every page is revalidated, as then.
  const freshness = hasColumn(db, "http_cache", "fresh_until");
  // A writable open has every column (db.ts adds them); one without is a read-only open of an older
  // store, where no write could succeed.
  const digests = hasColumn(db, "http_cache", "body_sha256");
  const select = db.prepare(
    `SELECT body, content_type, etag, last_modified, fetched_at, ${freshness ? "fresh_until" : "NULL AS fresh_until"},
       ${digests ? "body_sha256" : "NULL AS body_sha256"} FROM http_cache WHERE url = ?`,
  );
  const upsert = digests
    ? db.prepare(
        `INSERT INTO http_cache (url, body, content_type, etag, last_modified, fetched_at, fresh_until, body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (url) DO UPDATE SET body = excluded.body, content_type = excluded.content_type, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until,
           body_sha256 = excluded.body_sha256`,
      )
    : undefined;
  // A 304 changes small columns only: the body (often hundreds of kilobytes) is not written again, and its
  // digest stands. A row written before the digest existed gets it here, hashed inside the statement so
  // it is the digest of the body the row holds, whoever wrote it: else it would stay NULL, and the lock
  // memo's check would hash its body on every run, until the page changed.
  if (digests && !withSha256.has(db)) {
    db.function("pystore_sha256", { deterministic: true }, (body) => bodySha256(String(body)));
    withSha256.add(db);
  }
  const touch = freshness
    ? db.prepare(
        digests
          ? "UPDATE http_cache SET fetched_at = ?, fresh_until = ?, body_sha256 = CASE WHEN body_sha256 IS NULL THEN pystore_sha256(body) ELSE body_sha256 END WHERE url = ?"
          : "UPDATE http_cache SET fetched_at = ?, fresh_until = ? WHERE url = ?",
      )
    : undefined;
  return {
    get(url) {
      const row = select.get(stripCredentials(url)) as CacheRow | undefined;
      if (!row) return undefined;
      const entry: CachedResponse = { body: row.body, contentType: row.content_type, fetchedAt: row.fetched_at };
      if (row.etag !== null) entry.etag = row.etag;
      if (row.last_modified !== null) entry.lastModified = row.last_modified;
      if (row.fresh_until !== null) entry.freshUntil = row.fresh_until;
      if (row.body_sha256 !== null) entry.sha256 = row.body_sha256;
      return entry;
    },
    put(url, entry) {
      upsert?.run(
        stripCredentials(url),
        entry.body,
        entry.contentType,
        entry.etag ?? null,
        entry.lastModified ?? null,
        entry.fetchedAt,
        entry.freshUntil ?? null,
        // Hashed where the body is in memory (by the caller, or here), so the lock memo's check never reads it back.
        entry.sha256 ?? bodySha256(entry.body),
      );
    },
    revalidated(url, fetchedAt, freshUntil) {
      touch?.run(fetchedAt, freshUntil ?? null, stripCredentials(url));
    },
  };
}
