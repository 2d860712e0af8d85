// The HTTP cache seam for simple pages and core metadata: an interface the store backs with SQLite, plus an in-memory one,
// and a recorder of the pages a run used (what a lock memo records).

import { createHash } from "node:crypto";
import { byKey } from "../util/order.js";
import { stripCredentials } from "../util/redact.js";

export interface CachedResponse {
  body: string;
  contentType: string;
  etag?: string;
  lastModified?: string;
  /** ISO 8601 time of the last successful fetch or revalidation. */
  fetchedAt: string;
  /** Milliseconds since the epoch until which the index said the page is fresh (Cache-Control max-age). */
  freshUntil?: number;
  /** Lower-case hex sha256 of `body`'s UTF-8 bytes, when the cache already knows it (bodySha256). */
  sha256?: string;
}

/** The digest a lock memo records for a page, and the store keeps beside it (http_cache.body_sha256). */
export function bodySha256(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/** Keys are URLs without credentials. */
export interface HttpCache {
  get(url: string): CachedResponse | undefined;
  put(url: string, entry: CachedResponse): void;
  /** A 304 answer: the cached body stands; only its fetch time and freshness change. */
  revalidated(url: string, fetchedAt: string, freshUntil: number | undefined): void;
}

/**
 * Content type recorded for "the index answered 404 for this project": offline runs need to know an
 * earlier index lacked a project before they may take it from a later one (first-index strategy).
 */
export const NOT_FOUND_CONTENT_TYPE = "application/x-pystore-not-found";

/** Content type of cached core metadata (immutable: keyed by the file URL + ".metadata"). */
export const METADATA_CONTENT_TYPE = "text/x-python-core-metadata";

export class MemoryHttpCache implements HttpCache {
  readonly entries = new Map<string, CachedResponse>();
  get(url: string): CachedResponse | undefined {
    return this.entries.get(url);
  }
  put(url: string, entry: CachedResponse): void {
    this.entries.set(url, { ...entry });
  }
  revalidated(url: string, fetchedAt: string, freshUntil: number | undefined): void {
    const entry = this.entries.get(url);
    if (!entry) return;
    const updated: CachedResponse = { ...entry, fetchedAt };
    if (freshUntil === undefined) delete updated.freshUntil;
    else updated.freshUntil = freshUntil;
    this.entries.set(url, updated);
  }
}

/** A page as a run used it: its cache key, content type and the sha256 of the body the run parsed. */
export interface UsedPage {
  url: string;
  contentType: string;
  sha256: string;
}

/**
 * An HttpCache that remembers, per page, the body the run ended up using: the cached one (fresh, or
 * confirmed by a 304) or the one it stored (a 200, or a not-found answer). Core metadata is left out: it is
 * immutable per file URL, and the file URLs and hashes are in the pages.
 */
export class PageRecorder implements HttpCache {
  private readonly used = new Map<string, CachedResponse>();
  constructor(private readonly inner: HttpCache) {}

  get(url: string): CachedResponse | undefined {
    const entry = this.inner.get(url);
    if (entry && entry.contentType !== METADATA_CONTENT_TYPE) this.used.set(stripCredentials(url), entry);
    return entry;
  }
  put(url: string, entry: CachedResponse): void {
    if (entry.contentType === METADATA_CONTENT_TYPE) return this.inner.put(url, entry);
    // Hashed once, for the memo and for the store's copy alike.
    const hashed = { ...entry, sha256: entry.sha256 ?? bodySha256(entry.body) };
    this.inner.put(url, hashed);
    this.used.set(stripCredentials(url), hashed);
  }
  revalidated(url: string, fetchedAt: string, freshUntil: number | undefined): void {
    this.inner.revalidated(url, fetchedAt, freshUntil);
  }

  /** Every page used, sorted by URL; a body is hashed here only when the cache did not know its digest. */
  pages(): UsedPage[] {
    return [...this.used]
      .sort(byKey(([url]) => url))
      .map(([url, { body, contentType, sha256 }]) => ({ url, contentType, sha256: sha256 ?? bodySha256(body) }));
  }
}
