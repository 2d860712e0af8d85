// Lock memos in store.db (store-format/sqlite-schema.md, "Lock memos"): recorded and read back, and each
// condition under which a memo no longer answers for its lock.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/db.js";
import { dbPath } from "../../src/store/layout.js";
import {
  MAX_LOCK_MEMOS,
  openForMemo,
  pageCheckQuery,
  readLockMemo,
  rootHolds,
  stalePage,
  writeLockMemo,
} from "../../src/store/lock-memo.js";
import { openStore, type Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const JSON_PAGE = "application/vnd.pypi.simple.v1+json";
const NOW = 1_800_000_000_000;
const PAGE = "https://idx.test/simple/top/";

let work: TempDir;
let store: Store;

beforeAll(async () => {
  work = await tempDir("lock-memo");
  store = await openStore({ dir: work.path, log: silentLogger });
});

afterAll(async () => {
  store?.close();
  await work?.cleanup();
});

const memo = (lockPath: string) => ({
  lockPath,
  key: "k".repeat(64),
  lockSha256: sha("lock text"),
  pages: [{ url: PAGE, contentType: JSON_PAGE, sha256: sha("page body") }],
});

describe("lock memos", () => {
  it("reads back what was recorded, one memo per lock path", () => {
    writeLockMemo(store.db, memo("/src/a/pylock.toml"), NOW);
    writeLockMemo(store.db, { ...memo("/src/a/pylock.toml"), key: "j".repeat(64) }, NOW + 1);
    expect(readLockMemo(store.db, "/src/a/pylock.toml")).toEqual({ ...memo("/src/a/pylock.toml"), key: "j".repeat(64) });
    expect(readLockMemo(store.db, "/src/b/pylock.toml")).toBeUndefined();
  });

  it("keeps the most recently written MAX_LOCK_MEMOS", () => {
    for (let i = 0; i <= MAX_LOCK_MEMOS; i++)
      writeLockMemo(store.db, memo(`/many/${String(i).padStart(4, "0")}/pylock.toml`), NOW + 10 + i);
    expect(store.db.prepare("SELECT count(*) FROM lock_memos").pluck().get()).toBe(MAX_LOCK_MEMOS);
    expect(readLockMemo(store.db, "/src/a/pylock.toml")).toBeUndefined();
    expect(readLockMemo(store.db, "/many/0000/pylock.toml")).toBeUndefined();
    expect(readLockMemo(store.db, `/many/${String(MAX_LOCK_MEMOS).padStart(4, "0")}/pylock.toml`)).toBeDefined();
  });

  it("finds a recorded page stale when it is gone, past its freshness, or holds another body or type", () => {
    const cache = store.httpCache();
    const pages = memo("/x").pages;
    expect(stalePage(store.db, pages, NOW)).toMatch(/no longer cached/);
    cache.put(PAGE, { body: "page body", contentType: JSON_PAGE, fetchedAt: "t", freshUntil: NOW + 1000 });
    expect(stalePage(store.db, pages, NOW)).toBeUndefined();
    expect(stalePage(store.db, pages, NOW + 1000)).toMatch(/no longer fresh/);
    cache.put(PAGE, { body: "page body", contentType: JSON_PAGE, fetchedAt: "t" });
    expect(stalePage(store.db, pages, NOW)).toMatch(/no longer fresh/);
    cache.put(PAGE, { body: "another body", contentType: JSON_PAGE, fetchedAt: "t", freshUntil: NOW + 1000 });
    expect(stalePage(store.db, pages, NOW)).toMatch(/changed/);
    cache.put(PAGE, { body: "page body", contentType: "text/html", fetchedAt: "t", freshUntil: NOW + 1000 });
    expect(stalePage(store.db, pages, NOW)).toMatch(/changed/);
  });

  it("reads the pages' digests through the covering index, never their bodies", () => {
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${pageCheckQuery(store.db)}`).all(PAGE) as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual(["SEARCH http_cache USING COVERING INDEX http_cache_memo (url=?)"]);
    // The recorded digest answers: a body that no longer matches it is not read.
    const url = `${PAGE}digest/`;
    const page = { url, contentType: JSON_PAGE, sha256: sha("page body") };
    store.httpCache().put(url, { body: "page body", contentType: JSON_PAGE, fetchedAt: "t", freshUntil: NOW + 1000 });
    expect(stalePage(store.db, [page], NOW)).toBeUndefined();
    store.db.prepare("UPDATE http_cache SET body_sha256 = ? WHERE url = ?").run(sha("other body"), url);
    expect(stalePage(store.db, [page], NOW)).toBe(`${url} changed`);
  });

  it("hashes the body of a row without a digest (an older pystore's), and still finds it changed", () => {
    const url = `${PAGE}no-digest/`;
    const page = { url, contentType: JSON_PAGE, sha256: sha("page body") };
    store.httpCache().put(url, { body: "page body", contentType: JSON_PAGE, fetchedAt: "t", freshUntil: NOW + 1000 });
    store.db.prepare("UPDATE http_cache SET body_sha256 = NULL WHERE url = ?").run(url);
    expect(stalePage(store.db, [page], NOW)).toBeUndefined();
    // The older pystore's upsert replaces the body without naming the digest.
    store.db
      .prepare(
        `INSERT INTO http_cache (url, body, content_type, etag, last_modified, fetched_at, fresh_until) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (url) DO UPDATE SET body = excluded.body, content_type = excluded.content_type, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until`,
      )
      .run(url, "changed body", JSON_PAGE, null, null, "t", NOW + 1000);
    expect(stalePage(store.db, [page], NOW)).toBe(`${url} changed`);
  });

  it("answers on a read-only open of a database from before the digest column, hashing bodies", async () => {
    const old = await tempDir("lock-memo-no-digest");
    try {
      const older = await openStore({ dir: old.path, log: silentLogger });
      older.httpCache().put(PAGE, { body: "page body", contentType: JSON_PAGE, fetchedAt: "t", freshUntil: NOW + 1000 });
      older.db.exec("DROP TRIGGER http_cache_body_sha256; DROP INDEX http_cache_memo; ALTER TABLE http_cache DROP COLUMN body_sha256");
      older.close();
      const readonly = openForMemo(old.path)!;
      try {
        expect(pageCheckQuery(readonly)).toContain("NULL AS body_sha256");
        expect(stalePage(readonly, memo("/x").pages, NOW)).toBeUndefined();
        expect(stalePage(readonly, [{ ...memo("/x").pages[0], sha256: sha("other") }], NOW)).toBe(`${PAGE} changed`);
      } finally {
        readonly.close();
      }
    } finally {
      await old.cleanup();
    }
  });

  it("checks a lock's gc root holds exactly its wheels", () => {
    const wheels = ["A".repeat(64), "b".repeat(64)];
    expect(rootHolds(store.db, "lock", "/src/r/pylock.toml", wheels)).toBe(false);
    store.addRoot("lock", "/src/r/pylock.toml", wheels);
    expect(rootHolds(store.db, "lock", "/src/r/pylock.toml", [...wheels].reverse())).toBe(true);
    expect(rootHolds(store.db, "lock", "/src/r/pylock.toml", wheels.slice(1))).toBe(false);
    expect(rootHolds(store.db, "lock", "/src/r/pylock.toml", [...wheels, "c".repeat(64)])).toBe(false);
  });

  it("finds no memo in a database from before the table, until a writable open adds it", async () => {
    const old = await tempDir("lock-memo-old");
    const dir = old.path;
    (await openStore({ dir, log: silentLogger })).close();
    const raw = openDb(dbPath(dir));
    raw.exec("DROP TABLE lock_memos");
    raw.close();
    const readonly = openForMemo(dir)!;
    try {
      expect(readLockMemo(readonly, "/src/a/pylock.toml")).toBeUndefined();
    } finally {
      readonly.close();
    }
    const again = await openStore({ dir, log: silentLogger });
    try {
      writeLockMemo(again.db, memo("/src/a/pylock.toml"), NOW);
      expect(readLockMemo(again.db, "/src/a/pylock.toml")?.key).toBe("k".repeat(64));
    } finally {
      again.close();
      await old.cleanup();
    }
  });

  it("opens nothing for a store without a database", async () => {
    const empty = await tempDir("lock-memo-empty");
    try {
      expect(openForMemo(empty.path)).toBeUndefined();
    } finally {
      await empty.cleanup();
    }
  });
});
