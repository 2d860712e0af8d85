// The HTTP cache seam for simple pages and core metadata: an interface the store backs with SQLite, plus an in-memory one.

export interface CachedResponse {
  body: string;
  contentType: string;
  etag?: string;
  lastModified?: string;
  /** ISO 8601 time of the last successful fetch or revalidation. */
  fetchedAt: string;
  /** Milliseconds since the epoch until which the index said the page is fresh (Cache-Control max-age). */
  freshUntil?: number;
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
