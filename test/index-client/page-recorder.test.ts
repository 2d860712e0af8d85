// PageRecorder: the pages a run used, as the bodies it used (what a lock memo records), through any HttpCache.

import { createHash } from "node:crypto";
import { expect, it } from "vitest";
import { MemoryHttpCache, METADATA_CONTENT_TYPE, NOT_FOUND_CONTENT_TYPE, PageRecorder } from "../../src/index-client/cache.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const JSON_PAGE = "application/vnd.pypi.simple.v1+json";

it("records the cached body a read handed out, and the body a store replaced it with", () => {
  const inner = new MemoryHttpCache();
  inner.put("https://idx.test/simple/a/", { body: "old a", contentType: JSON_PAGE, fetchedAt: "t0", freshUntil: 10 });
  inner.put("https://idx.test/simple/b/", { body: "old b", contentType: JSON_PAGE, fetchedAt: "t0" });
  const recorder = new PageRecorder(inner);

  expect(recorder.get("https://idx.test/simple/a/")?.body).toBe("old a");
  recorder.revalidated("https://idx.test/simple/a/", "t1", 20);
  expect(recorder.get("https://idx.test/simple/b/")?.body).toBe("old b");
  recorder.put("https://idx.test/simple/b/", { body: "new b", contentType: JSON_PAGE, fetchedAt: "t1" });
  expect(recorder.get("https://idx.test/simple/missing/")).toBeUndefined();
  recorder.put("https://idx.test/simple/gone/", { body: "", contentType: NOT_FOUND_CONTENT_TYPE, fetchedAt: "t1" });

  expect(recorder.pages()).toEqual([
    { url: "https://idx.test/simple/a/", contentType: JSON_PAGE, sha256: sha("old a") },
    { url: "https://idx.test/simple/b/", contentType: JSON_PAGE, sha256: sha("new b") },
    { url: "https://idx.test/simple/gone/", contentType: NOT_FOUND_CONTENT_TYPE, sha256: sha("") },
  ]);
  // The cache underneath saw every call.
  expect(inner.get("https://idx.test/simple/a/")).toMatchObject({ fetchedAt: "t1", freshUntil: 20 });
  expect(inner.get("https://idx.test/simple/b/")?.body).toBe("new b");
});

it("leaves core metadata out, and keys pages without credentials", () => {
  const recorder = new PageRecorder(new MemoryHttpCache());
  recorder.put("https://idx.test/files/a-1.0-py3-none-any.whl.metadata", {
    body: "Name: a",
    contentType: METADATA_CONTENT_TYPE,
    fetchedAt: "t",
  });
  recorder.get("https://idx.test/files/a-1.0-py3-none-any.whl.metadata");
  recorder.put("https://user:secret@idx.test/simple/a/", { body: "a", contentType: JSON_PAGE, fetchedAt: "t" });
  expect(recorder.pages()).toEqual([{ url: "https://idx.test/simple/a/", contentType: JSON_PAGE, sha256: sha("a") }]);
});

it("hashes each body once: a digest the cache knows is used as is, and a stored page's goes down with it", () => {
  const inner = new MemoryHttpCache();
  // A digest the cache keeps beside the body (http_cache.body_sha256) is trusted, not recomputed.
  inner.put("https://idx.test/simple/a/", { body: "a", contentType: JSON_PAGE, fetchedAt: "t0", sha256: "digest-the-cache-kept" });
  const recorder = new PageRecorder(inner);
  recorder.get("https://idx.test/simple/a/");
  recorder.put("https://idx.test/simple/b/", { body: "b", contentType: JSON_PAGE, fetchedAt: "t1" });
  expect(recorder.pages().map((p) => p.sha256)).toEqual(["digest-the-cache-kept", sha("b")]);
  // The store is handed the digest the recorder computed, so it need not hash the body again.
  expect(inner.get("https://idx.test/simple/b/")?.sha256).toBe(sha("b"));
  // Core metadata is not a page: stored as given.
  recorder.put("https://idx.test/files/b-1.whl.metadata", { body: "Name: b", contentType: METADATA_CONTENT_TYPE, fetchedAt: "t1" });
  expect(inner.get("https://idx.test/files/b-1.whl.metadata")?.sha256).toBeUndefined();
});
