// The layering docs/architecture.md describes, checked on the real import graph: pure standards at the
// bottom, the wheel and install cores below the store and bundles, commands above the application
// layer, and only the CLI above the commands.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "..", "src");

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Top-level area of a file under src/ ("store", "wheel", …; "" for src/*.ts). */
const areaOf = (file: string) => {
  const rel = relative(SRC, file).split("/");
  return rel.length === 1 ? "" : rel[0];
};

/** area → the areas it imports from (its own excluded), from static and dynamic relative imports. */
function importGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from\s+|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), match[1]);
      const [from, to] = [areaOf(file), areaOf(target)];
      if (from === to) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), relative(SRC, file)]);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** What each area may import (besides itself); "" is src/errors.ts, format-versions.ts, version.ts. */
const ALLOWED: Record<string, string[]> = {
  "": [],
  util: [""],
  standards: ["", "util"],
  platform: ["", "util", "standards"],
  project: ["", "util", "standards"],
  config: ["", "util", "standards"],
  wheel: ["", "util", "standards"],
  install: ["", "util", "standards", "wheel"],
  "index-client": ["", "util", "standards", "wheel"],
  resolver: ["", "util", "standards", "index-client"],
  store: ["", "util", "standards", "wheel", "install", "index-client"],
  lock: ["", "util", "standards", "project", "platform", "index-client", "resolver", "store"],
  python: ["", "util", "standards", "platform", "store"],
  build: ["", "util", "standards", "platform", "wheel", "install", "index-client", "resolver", "store", "lock"],
  bundle: ["", "util", "standards", "project", "platform", "wheel", "install", "index-client", "store", "lock", "python"],
  oci: ["", "util", "standards", "project", "index-client", "store", "lock"],
  app: [
    "",
    "util",
    "standards",
    "project",
    "platform",
    "index-client",
    "resolver",
    "store",
    "lock",
    "bundle",
    "install",
    "oci",
    "python",
    "build",
  ],
  commands: [
    "",
    "util",
    "standards",
    "project",
    "platform",
    "wheel",
    "install",
    "index-client",
    "resolver",
    "store",
    "lock",
    "bundle",
    "app",
    "oci",
    "config",
    "python",
    "build",
  ],
  cli: ["", "util", "standards", "platform", "commands", "index-client", "store"],
};

describe("the import graph of src/", () => {
  const graph = importGraph();

  it("has a rule for every area", () => {
    const areas = new Set(sourceFiles(SRC).map(areaOf));
    expect([...areas].filter((a) => !(a in ALLOWED))).toEqual([]);
  });

  it.each(Object.keys(ALLOWED))("%s imports only from the layers below it", (area) => {
    const bad = [...(graph.get(area) ?? new Map<string, string[]>()).entries()]
      .filter(([to]) => !ALLOWED[area].includes(to))
      .map(([to, files]) => `${area} → ${to || "src/*.ts"} (${[...new Set(files)].join(", ")})`);
    expect(bad).toEqual([]);
  });
});
