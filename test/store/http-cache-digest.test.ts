// http_cache.body_sha256 (store-format/sqlite-schema.md, "http_cache"): written with every body, kept (or
// filled in) by a 304, nulled when a pystore from before the column replaces a body, added to an older database.

import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasColumn, hasIndex, openDb } from "../../src/store/db.js";
import { dbPath } from "../../src/store/layout.js";
import { openStore, type Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const PAGE = "https://idx.test/simple/top/";
const JSON_PAGE = "application/vnd.pypi.simple.v1+json";

/** The upsert of the pystore before body_sha256 (src/store/http-cache.ts as it was): it never names the digest. */
const OLDER_UPSERT = `INSERT INTO http_cache (url, body, content_type, etag, last_modified, fetched_at, fresh_until) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (url) DO UPDATE SET body = excluded.body, content_type = excluded.content_type, etag = excluded.etag,
    last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until`;

let work: TempDir;
let store: Store;

beforeAll(async () => {
  work = await tempDir("http-cache-digest");
  store = await openStore({ dir: work.path, log: silentLogger });
});

afterAll(async () => {
  store?.close();
  await work?.cleanup();
});

const digestOf = (db: Database.Database, url: string) =>
  db.prepare("SELECT body_sha256 FROM http_cache WHERE url = ?").pluck().get(url) as string | null | undefined;

describe("http_cache.body_sha256", () => {
  it("is the sha256 of the body's UTF-8 bytes on every put, and a 304 keeps it", () => {
    const cache = store.httpCache();
    const body = '{"name": "top", "note": "ünïcode ✓"}';
    cache.put(PAGE, { body, contentType: JSON_PAGE, fetchedAt: "t1", freshUntil: 5 });
    expect(digestOf(store.db, PAGE)).toBe(createHash("sha256").update(Buffer.from(body, "utf8")).digest("hex"));
    cache.put(PAGE, { body: "another", contentType: JSON_PAGE, fetchedAt: "t2" });
    expect(digestOf(store.db, PAGE)).toBe(sha("another"));
    cache.revalidated(PAGE, "t3", 99);
    expect(digestOf(store.db, PAGE)).toBe(sha("another"));
    // A read hands the digest on, so the lock memo records it without hashing the body again.
    expect(cache.get(PAGE)).toEqual({ body: "another", contentType: JSON_PAGE, fetchedAt: "t3", freshUntil: 99, sha256: sha("another") });
  });

  it("is nulled when a pystore from before the column replaces the body, and kept when it writes the same body", () => {
    const url = `${PAGE}older/`;
    store.httpCache().put(url, { body: "v1", contentType: JSON_PAGE, fetchedAt: "t1", freshUntil: 5 });
    const older = store.db.prepare(OLDER_UPSERT);
    older.run(url, "v1", JSON_PAGE, null, null, "t2", 6);
    expect(digestOf(store.db, url)).toBe(sha("v1"));
    older.run(url, "v2", JSON_PAGE, null, null, "t3", 7);
    expect(digestOf(store.db, url)).toBeNull();
    expect(store.db.prepare("SELECT body, fresh_until FROM http_cache WHERE url = ?").get(url)).toEqual({ body: "v2", fresh_until: 7 });
    // A row the older pystore inserted has no digest either; this pystore's next put gives it one.
    older.run(`${url}new/`, "v3", JSON_PAGE, null, null, "t4", 8);
    expect(digestOf(store.db, `${url}new/`)).toBeNull();
    store.httpCache().put(url, { body: "v2", contentType: JSON_PAGE, fetchedAt: "t5" });
    expect(digestOf(store.db, url)).toBe(sha("v2"));
  });

  it("is filled in by a 304 on a row written without it, from the body the row holds", () => {
    const url = `${PAGE}backfill/`;
    store.db.prepare(OLDER_UPSERT).run(url, "kept body", JSON_PAGE, null, null, "t1", 5);
    expect(digestOf(store.db, url)).toBeNull();
    store.httpCache().revalidated(url, "t2", 6);
    expect(digestOf(store.db, url)).toBe(sha("kept body"));
  });
});

describe("a database from before body_sha256", () => {
  async function olderStore(label: string): Promise<TempDir> {
    const old = await tempDir(label);
    (await openStore({ dir: old.path, log: silentLogger })).close();
    const raw = new Database(dbPath(old.path));
    raw.exec("DROP TRIGGER http_cache_body_sha256; DROP INDEX http_cache_memo; ALTER TABLE http_cache DROP COLUMN body_sha256");
    raw.prepare(OLDER_UPSERT).run(PAGE, "old body", JSON_PAGE, null, null, "then", 5);
    raw.close();
    return old;
  }

  it("is not damaged on a read-only open, and gets the column, index and trigger on a writable one", async () => {
    const old = await olderStore("http-cache-digest-old");
    try {
      const readonly = openDb(dbPath(old.path), { readonly: true });
      try {
        expect(hasColumn(readonly, "http_cache", "body_sha256")).toBe(false);
        expect(hasIndex(readonly, "http_cache_memo")).toBe(false);
      } finally {
        readonly.close();
      }
      const writable = openDb(dbPath(old.path));
      try {
        expect(hasColumn(writable, "http_cache", "body_sha256")).toBe(true);
        expect(hasIndex(writable, "http_cache_memo")).toBe(true);
        expect(digestOf(writable, PAGE)).toBeNull();
        writable.prepare("UPDATE http_cache SET body_sha256 = ? WHERE url = ?").run(sha("old body"), PAGE);
        writable.prepare(OLDER_UPSERT).run(PAGE, "newer body", JSON_PAGE, null, null, "now", 6);
        expect(digestOf(writable, PAGE)).toBeNull();
      } finally {
        writable.close();
      }
    } finally {
      await old.cleanup();
    }
  });
});
