// The open-time checks of store.db (store-format/sqlite-schema.md, "An index, not the truth"): missing
// beside stored wheels, not a database, truncated, wrong schema, malformed pages; and what is not damage.

import { copyFile, cp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodySha256 } from "../../src/index-client/cache.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { checkDbHeader, checkIntegrity, openDb } from "../../src/store/db.js";
import { dbPath } from "../../src/store/layout.js";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let pristine: string;

beforeAll(async () => {
  work = await tempDir("db-checks");
  pristine = join(work.path, "pristine");
  const wheel = await buildWheel({ name: "alpha", version: "1.0" }, join(work.path, "wheels"));
  const store = await openStore({ dir: pristine });
  await store.addWheelFile(wheel.path);
  store.close();
});
afterAll(() => work.cleanup());

async function copy(name: string): Promise<string> {
  const dir = join(work.path, name);
  await cp(pristine, dir, { recursive: true });
  return dir;
}

const damage = (reason: string) => ({ code: "STORE_INDEX_DAMAGED", exitCode: 7, details: expect.objectContaining({ reason }) });

describe("openStore", () => {
  it("refuses a missing or empty database beside stored wheels; `rebuild` (store reindex) may create it", async () => {
    const dir = await copy("missing");
    await rm(dbPath(dir));
    await expect(openStore({ dir })).rejects.toMatchObject(damage("missing"));
    await writeFile(dbPath(dir), "");
    await expect(openStore({ dir, readonly: true })).rejects.toMatchObject(damage("missing"));
    (await openStore({ dir, rebuild: true })).close();
  });

  it("names the file and the recovery command", async () => {
    const dir = await copy("named");
    await writeFile(dbPath(dir), "garbage".repeat(100));
    const error = await openStore({ dir }).catch((e) => e);
    expect(error).toMatchObject(damage("not-a-database"));
    expect(error.message).toContain(dbPath(dir));
    expect(error.hint).toContain("pystore store reindex");
  });

  it("gives a version-1 database that predates gc_pending the table, and refuses one missing another table", async () => {
    const dir = await copy("schema");
    const db = new Database(dbPath(dir));
    db.exec("DROP TABLE gc_pending");
    db.close();
    const store = await openStore({ dir });
    expect(store.db.prepare("SELECT count(*) FROM gc_pending").pluck().get()).toBe(0);
    store.db.exec("ALTER TABLE entries DROP COLUMN origin_url");
    store.close();
    const error = await openStore({ dir }).catch((e) => e);
    expect(error).toMatchObject(damage("schema"));
    expect(error.message).toContain("entries.origin_url");
  });
});

describe("http_cache.fresh_until (a column version 1 gained before release)", () => {
  it("is added on a writable open of a database without it; a read-only open works without it", async () => {
    const dir = await copy("fresh-until");
    const db = new Database(dbPath(dir));
    // As before the column: nor the index and trigger that came after it.
    db.exec("DROP TRIGGER http_cache_body_sha256; DROP INDEX http_cache_memo; ALTER TABLE http_cache DROP COLUMN body_sha256");
    db.exec("ALTER TABLE http_cache DROP COLUMN fresh_until");
    db.prepare("INSERT INTO http_cache (url, body, content_type, fetched_at) VALUES ('https://i/simple/a/', '{}', 'x', 'then')").run();
    db.close();
    const readonly = await openStore({ dir, readonly: true });
    // Without the column every page is revalidated, as before it existed.
    expect(readonly.httpCache().get("https://i/simple/a/")).toEqual({ body: "{}", contentType: "x", fetchedAt: "then" });
    readonly.close();
    const store = await openStore({ dir });
    const cache = store.httpCache();
    cache.revalidated("https://i/simple/a/", "now", 1234);
    // The 304 also filled in the digest the older database lacked.
    expect(cache.get("https://i/simple/a/")).toEqual({
      body: "{}",
      contentType: "x",
      fetchedAt: "now",
      freshUntil: 1234,
      sha256: bodySha256("{}"),
    });
    store.close();
  });
});

describe("checkDbHeader", () => {
  it("flags a file shorter than its header's page count, unless a non-empty -wal holds the pages", async () => {
    const dir = await copy("truncated");
    const path = dbPath(dir);
    const pageSize = (await readFile(path)).readUInt16BE(16);
    await truncate(path, pageSize * 2);
    expect(() => checkDbHeader(path)).toThrow(expect.objectContaining(damage("truncated")));
    await writeFile(`${path}-wal`, Buffer.alloc(32));
    expect(() => checkDbHeader(path)).not.toThrow();
  });

  it("leaves an absent or empty file to the caller", async () => {
    const path = join(work.path, "none.db");
    expect(() => checkDbHeader(path)).not.toThrow();
    await writeFile(path, "");
    expect(() => checkDbHeader(path)).not.toThrow();
  });
});

describe("checkIntegrity", () => {
  it("turns pages SQLite finds malformed into STORE_INDEX_DAMAGED", async () => {
    const dir = await copy("malformed");
    const path = dbPath(dir);
    const good = join(work.path, "good.db");
    await copyFile(path, good);
    const bytes = await readFile(path);
    const pageSize = bytes.readUInt16BE(16);
    // Scribble over the entries table's root page only: the schema (which may span several pages, the
    // last among them) stays readable, so open succeeds and only a check that reads every page finds it.
    const reader = new Database(path, { readonly: true });
    const root = reader.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'entries'").pluck().get() as number;
    reader.close();
    const start = (root - 1) * pageSize;
    for (let offset = start; offset < start + pageSize; offset += 1) bytes[offset] = (offset * 31) & 0xff;
    await writeFile(path, bytes);
    const db = openDb(path);
    try {
      expect(() => checkIntegrity(db, path)).toThrow(expect.objectContaining({ code: "STORE_INDEX_DAMAGED" }));
    } finally {
      db.close();
    }
    const intact = openDb(good);
    try {
      expect(() => checkIntegrity(intact, good)).not.toThrow();
    } finally {
      intact.close();
    }
  });
});
