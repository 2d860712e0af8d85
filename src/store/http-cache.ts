// The index client's HTTP cache (ETag / Last-Modified revalidation), kept in the store's SQLite database.

import { stripCredentials } from "../util/redact.js";
import type { CachedResponse, HttpCache } from "../index-client/cache.js";
import type { Db } from "./db.js";

export type { CachedResponse, HttpCache };

interface CacheRow {
  body: string;
  content_type: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: string;
}

/** Keys never carry credentials: the cache is on disk and outlives tokens. */
export function sqliteHttpCache(db: Db): HttpCache {
  const select = db.prepare("SELECT body, content_type, etag, last_modified, fetched_at FROM http_cache WHERE url = ?");
  const upsert = db.prepare(
    `INSERT INTO http_cache (url, body, content_type, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (url) DO UPDATE SET body = excluded.body, content_type = excluded.content_type, etag = excluded.etag,
       last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
  );
  return {
    get(url) {
      const row = select.get(stripCredentials(url)) as CacheRow | undefined;
      if (!row) return undefined;
      const entry: CachedResponse = { body: row.body, contentType: row.content_type, fetchedAt: row.fetched_at };
      if (row.etag !== null) entry.etag = row.etag;
      if (row.last_modified !== null) entry.lastModified = row.last_modified;
      return entry;
    },
    put(url, entry) {
      upsert.run(stripCredentials(url), entry.body, entry.contentType, entry.etag ?? null, entry.lastModified ?? null, entry.fetchedAt);
    },
  };
}
