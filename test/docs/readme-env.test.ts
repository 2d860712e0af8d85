// README.md's table of environment variables names every variable the settings catalogue reads
// (src/config/keys.ts), so a new setting cannot ship with a variable nobody can find.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config/keys.js";

const ROOT = join(import.meta.dirname, "..", "..");

function envSection(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Environment variables");
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README.md's environment variables", () => {
  it("names every variable of every setting", () => {
    const section = envSection();
    // Proxy variables are written once, lower case, with "(either case)".
    const wanted = [...new Set(SETTINGS.flatMap((s) => s.env).map((name) => (/proxy$/i.test(name) ? name.toLowerCase() : name)))];
    const missing = wanted.filter((name) => !new RegExp(`\`${name}[\`=]`).test(section));
    expect(missing).toEqual([]);
  });
});
