// Freshness of cached index pages from Cache-Control and Age (RFC 9111 §4.2, as a private cache).
import { describe, expect, it } from "vitest";
import { freshUntil } from "../../src/index-client/cache-control.js";

const NOW = 1_700_000_000_000;

describe("freshUntil", () => {
  it.each([
    ["max-age=600, public", undefined, NOW + 600_000],
    ["public, max-age=600", "100", NOW + 500_000],
    ["MAX-AGE=60", undefined, NOW + 60_000],
    ['max-age="30"', undefined, NOW + 30_000],
    ["max-age=600", "600", undefined],
    ["max-age=600", "700", undefined],
    ["max-age=0", undefined, undefined],
    ["max-age=600, no-cache", undefined, undefined],
    ["no-store, max-age=600", undefined, undefined],
    ["max-age=-5", undefined, undefined],
    ["max-age=1e3", undefined, undefined],
    ["max-age=", undefined, undefined],
    ["public", undefined, undefined],
    [undefined, undefined, undefined],
    ["", undefined, undefined],
  ])("Cache-Control %j, Age %j → %j", (cacheControl, age, expected) => {
    expect(freshUntil(cacheControl, age, NOW)).toBe(expected);
  });

  it("ignores an Age that is not a number of seconds", () => {
    expect(freshUntil("max-age=10", "soon", NOW)).toBe(NOW + 10_000);
  });
});
