// Every relative link in README.md, docs/ and store-format/ leads to a file that exists, and every
// #anchor to a heading of that page: a renamed page or section fails here, not in a reader's browser.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function pages(): string[] {
  const out = [join(ROOT, "README.md")];
  for (const dir of ["docs", "store-format"]) {
    for (const name of readdirSync(join(ROOT, dir))) if (name.endsWith(".md")) out.push(join(ROOT, dir, name));
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    );
  }
  return out;
}

function links(markdown: string): string[] {
  // Code blocks hold examples, not links.
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target));
}

// Pages without relative links have nothing to check here.
const linked = pages()
  .map((p) => [relative(ROOT, p), p, links(readFileSync(p, "utf8"))] as const)
  .filter(([, , targets]) => targets.length > 0);

describe.each(linked.map(([name, page, targets]) => [name, page, targets] as const))("%s", (_name, page, targets) => {
  it("links to pages and sections that exist", () => {
    const broken: string[] = [];
    for (const target of targets) {
      const [file, anchor] = target.split("#");
      const path = file === "" ? page : join(dirname(page), file);
      if (!existsSync(path)) broken.push(`${target}: no such file`);
      else if (anchor && path.endsWith(".md") && !anchors(readFileSync(path, "utf8")).has(anchor))
        broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});

it("checks the pages that link somewhere", () => {
  expect(linked.length).toBeGreaterThan(5);
});
