// The developer docs name files and folders of this repository; each one they name must exist, so a
// move that forgets the docs fails here instead of misleading the next reader.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const TOP = ["src", "test", "fixtures", "docs", "store-format", "bench", "bin"];

/** Repository paths a page names: `src/x/y.ts` in prose, and the indented tree in its code block. */
export function namedPaths(markdown: string): string[] {
  const found = new Set<string>();
  const inline = new RegExp(`(?<![\\w./-])((?:${TOP.join("|")})/(?:[\\w./<>*-]*[\\w/])?)`, "g");
  for (const match of markdown.matchAll(inline)) found.add(match[1]);
  // Tree blocks: "src/" at column 0, then entries indented by two spaces per level.
  for (const block of markdown.matchAll(/```\n([\s\S]*?)```/g)) {
    const stack: string[] = [];
    for (const line of block[1].split("\n")) {
      const m = /^( *)([\w.-]+\/?(?:[\w.-]+\/?)*)(?:\s{2,}|$)/.exec(line);
      if (!m || m[2] === "") continue;
      const depth = m[1].length / 2;
      if (!Number.isInteger(depth) || depth > stack.length) continue;
      stack.length = depth;
      const path = [...stack, m[2].replace(/\/$/, "")].join("/");
      if (depth === 0 && !TOP.includes(path.split("/")[0])) continue;
      found.add(path);
      if (m[2].endsWith("/")) stack.push(m[2].replace(/\/$/, ""));
    }
  }
  // Placeholders and globs name families of files, not one path.
  return [...new Set([...found].filter((p) => !/[<>*]/.test(p)).map((p) => p.replace(/\/$/, "")))];
}

describe("docs/architecture.md", () => {
  const text = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
  const paths = namedPaths(text);

  it("names the main folders", () => {
    expect(paths).toEqual(expect.arrayContaining(["src/standards", "src/store", "src/bundle", "src/wheel", "src/app"]));
  });

  it.each(paths)("%s exists", (path) => {
    expect(existsSync(join(ROOT, path)), `${path} is named in docs/architecture.md`).toBe(true);
  });
});

describe("namedPaths", () => {
  it("reads prose paths and indented trees", () => {
    const md = "See `src/util/log.ts` and store-format/.\n```\nsrc/\n  wheel/  the archive\n    record.ts  RECORD\n  cli/\n```\n";
    expect(namedPaths(md).sort()).toEqual(["src", "src/cli", "src/util/log.ts", "src/wheel", "src/wheel/record.ts", "store-format"]);
  });
});
