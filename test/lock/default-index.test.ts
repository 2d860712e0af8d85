// A lock's default index and the index client's are one URL, spelled twice only so that gathering a lock's
// inputs need not load the HTTP client (src/lock/index-config.ts).

import { expect, it } from "vitest";
import { DEFAULT_INDEX_URL } from "../../src/index-client/client.js";
import { DEFAULT_LOCK_INDEX_URL, indexSettings } from "../../src/lock/index-config.js";

it("defaults a lock to the index client's default index", () => {
  expect(DEFAULT_LOCK_INDEX_URL).toBe(DEFAULT_INDEX_URL);
  const settings = indexSettings({ extraIndexUrls: [], findLinks: [], noIndex: false, env: { extraIndexUrls: [], noIndex: false } });
  expect(settings.indexUrl).toBe(DEFAULT_INDEX_URL);
});
