// PyPI is the one default index: what a lock resolves against when nothing names an index, what the index
// client asks, and what the settings (`config show`, docs/configuration.md) say. The config layer may not
// import the index client, so its table spells the URL: this holds the three equal.

import { expect, it } from "vitest";
import { SETTING_BY_KEY } from "../../src/config/keys.js";
import { DEFAULT_INDEX_URL } from "../../src/index-client/client.js";
import { indexSettings } from "../../src/lock/index-config.js";

it("defaults a lock, the index client and the settings to one index", () => {
  const settings = indexSettings({ extraIndexUrls: [], findLinks: [], noIndex: false, env: { extraIndexUrls: [], noIndex: false } });
  expect(settings.indexUrl).toBe(DEFAULT_INDEX_URL);
  expect(SETTING_BY_KEY.get("index-url")?.default).toBe(DEFAULT_INDEX_URL);
  expect(DEFAULT_INDEX_URL).toBe("https://pypi.org/simple/");
});
