// The index client's HTTP cache (ETag / Last-Modified revalidation), kept in the store's SQLite database.

import { stripCredentials } from "../util/redact.js";
import type { CachedResponse, HttpCache } from "../index-client/cache.js";
import { type Db, hasColumn } from "./db.js";

export type { CachedResponse, HttpCache };

interface CacheRow {
  body: string;
  content_type: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: string;
  fresh_until: number | null;
}

/** Keys never carry credentials: the cache is on disk and outlives tokens. */
export function sqliteHttpCache(db: Db): HttpCache {
  // A read-only open of a store from before `fresh_until` existed: every page is revalidated, as then.
  const freshness = hasColumn(db, "http_cache", "fresh_until");
  const select = db.prepare(
    `SELECT body, content_type, etag, last_modified, fetched_at, ${freshness ? "fresh_until" : "NULL AS fresh_until"} FROM http_cache WHERE url = ?`,
  );
  const upsert = freshness
    ? db.prepare(
        `INSERT INTO http_cache (url, body, content_type, etag, last_modified, fetched_at, fresh_until) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (url) DO UPDATE SET body = excluded.body, content_type = excluded.content_type, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until`,
      )
    : undefined;
  // A 304 changes two small columns: the body (often hundreds of kilobytes) is not written again.
  const touch = freshness ? db.prepare("UPDATE http_cache SET fetched_at = ?, fresh_until = ? WHERE url = ?") : undefined;
  return {
    get(url) {
      const row = select.get(stripCredentials(url)) as CacheRow | undefined;
      if (!row) return undefined;
      const entry: CachedResponse = { body: row.body, contentType: row.content_type, fetchedAt: row.fetched_at };
      if (row.etag !== null) entry.etag = row.etag;
      if (row.last_modified !== null) entry.lastModified = row.last_modified;
      if (row.fresh_until !== null) entry.freshUntil = row.fresh_until;
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
      );
    },
    revalidated(url, fetchedAt, freshUntil) {
      touch?.run(fetchedAt, freshUntil ?? null, stripCredentials(url));
    },
  };
}
