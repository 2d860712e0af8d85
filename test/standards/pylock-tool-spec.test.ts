// store-format/pylock-tool-pystore.md against the code: the keys its table documents (names, order,
// which are optional) equal the keys a real lock's [tool.pystore] carries with every input set or none.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { PYLOCK_TOOL_VERSION } from "../../src/format-versions.js";
import { buildLock } from "../../src/lock/build-lock.js";
import type { LockInputs } from "../../src/lock/inputs.js";
import { withPins } from "../../src/lock/python-pins.js";
import { parseRequirement } from "../../src/standards/pep508.js";
import { writePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { memoryProvider } from "../resolver/memory-index.js";

const SPEC = readFileSync(join(import.meta.dirname, "..", "..", "store-format", "pylock-tool-pystore.md"), "utf8");

/** The "Keys" table's rows in document order: key, and whether its type column says "optional". */
function documentedKeys(): { key: string; optional: boolean }[] {
  const section = /## Keys[^\n]*\n([\s\S]*?)\n## /.exec(SPEC)?.[1] ?? "";
  const rows: { key: string; optional: boolean }[] = [];
  for (const line of section.split("\n")) {
    const m = /^\| `([a-z-]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.push({ key: m[1], optional: /\boptional\b/.test(m[2]) });
  }
  return rows;
}

const INDEX = { app: { "1.0": { uploadTime: "2024-01-01T00:00:00Z" } } };
const target = resolveTarget("manylinux_x86_64", "3.11");

/** Every input set: `Required` makes the compiler name any option added later and not set here. */
const everything: Required<LockInputs> = {
  rootName: "demo",
  requirements: [parseRequirement("app>=1")],
  constraints: [parseRequirement("app<2")],
  requiresPython: ">=3.10",
  extras: ["cli"],
  groups: ["dev"],
  targets: [target],
  indexUrl: "https://user:secret@index.test/simple/",
  extraIndexUrls: ["https://extra.test/simple/"],
  findLinks: ["wheels"],
  indexStrategy: "unsafe-best-match",
  noIndex: false,
  indexPins: { app: "https://index.test/simple/" },
  prerelease: "allow",
  excludeNewer: "2024-06-01T23:59:59.000Z",
  requirementFiles: ["requirements.in"],
  building: { noBuild: true, noBuildPackages: ["native"], noBinaryPackages: ["pure"] },
};

const nothing: LockInputs = {
  rootName: "root",
  requirements: [parseRequirement("app")],
  constraints: [],
  extras: [],
  groups: [],
  targets: [target],
  indexUrl: "https://index.test/simple/",
  extraIndexUrls: [],
  findLinks: [],
  indexStrategy: "first-index",
  prerelease: "if-necessary-or-explicit",
};

/** An interpreter pin (`lock --embed-python`): added to the built lock, so not among the LockInputs. */
const pin = {
  target: target.id,
  sha256: "c".repeat(64),
  implementation: "cpython",
  version: "3.11.7",
  os: "linux",
  machine: "x86_64",
  libc: "glibc",
};

/** [tool.pystore]'s keys as written to disk, in file order. */
async function writtenKeys(inputs: LockInputs, pins = [pin]): Promise<string[]> {
  const { lock } = await buildLock(memoryProvider(INDEX), inputs);
  const text = writePylock(withPins(lock, pins));
  expect(text).not.toContain("secret");
  const table = (parseToml(text).tool as Record<string, Record<string, unknown>>).pystore;
  return Object.keys(table);
}

describe("store-format/pylock-tool-pystore.md", () => {
  const documented = documentedKeys();
  const order = documented.map((d) => d.key);

  it("documents exactly the keys the writer emits, in the order it writes them", async () => {
    expect(documented.length).toBeGreaterThan(10);
    const full = await writtenKeys(everything);
    // --no-index swaps the index keys for its flag, so the two locks together write every key.
    const noIndex = await writtenKeys({ ...everything, noIndex: true });
    expect(noIndex).toContain("no-index");
    expect(noIndex).not.toContain("index-url");
    expect([...new Set([...full, ...noIndex])].sort()).toEqual([...order].sort());
    for (const keys of [full, noIndex]) expect(keys).toEqual(order.filter((k) => keys.includes(k)));
  });

  it("marks as optional exactly the keys a lock with no options leaves out", async () => {
    const minimal = await writtenKeys(nothing, []);
    expect(minimal.length).toBeGreaterThan(0);
    expect(documented.filter((d) => !d.optional).map((d) => d.key)).toEqual(minimal);
  });

  it("says which format version it describes", () => {
    expect(SPEC).toContain(`\`format-version = ${PYLOCK_TOOL_VERSION}\``);
  });
});
