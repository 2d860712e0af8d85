// Hostile inputs through the real CLI, the way a user meets them: `store add FILE`, a `bundle` whose lock
// points at a loopback index, and `store import` of a closure. One representative row per class: a typed
// error naming the culprit, the documented exit code, the store and the output directory exactly as
// before, no temp debris, and `store verify` clean afterwards. A row whose defect lives only in an
// ordinary member's bytes is admitted (admission inflates no such member), and the first bundle refuses it
// instead: the same code, naming the wheel and the member, no output, no tree and no temp debris in the
// store, and `store verify` reports the wheel. (Every row: wheel-reader.test.ts.)

import { createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closureTar, polyglotClosure } from "../../fixtures/hostile-tars.js";
import { HOSTILE_WHEELS, wheelEntries } from "../../fixtures/hostile-wheels.js";
import { buildZip } from "../../fixtures/hostile-zip.js";
import { startIndexServer } from "../../fixtures/index-server.js";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { ERROR_CODES, EXIT } from "../../src/errors.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { FIRST_MEMBER, MEMBER_CONTENT_IDS } from "./helpers.js";

// dist/ is built by `npm test`'s pretest (or `npm run build` by hand) before these run.
let work: { path: string; cleanup: () => Promise<void> };
let good: BuiltWheel;

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "" } });

/** One row per class, and the rows that were accepted before the reader was made strict. */
const REPRESENTATIVE = [
  "dotdot",
  "nfc-nfd",
  "local-without-central",
  "suffix",
  "zip64-confusion",
  "overlapping",
  "symlink",
  "record-hash",
  "two-dist-info",
  "metadata-version",
  'entry-point-name "../evil"',
  "data-unknown-scheme",
];
const rows = HOSTILE_WHEELS.filter((r) => REPRESENTATIVE.includes(r.id));
const refusedAtAdmission = rows.filter((r) => !MEMBER_CONTENT_IDS.has(r.id));
const inMembers = rows.filter((r) => MEMBER_CONTENT_IDS.has(r.id));
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

function described(path: string, filename: string, bytes: Buffer): BuiltWheel {
  return { filename, path, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, metadata: "" };
}

async function hostileFile(id: string): Promise<BuiltWheel> {
  const row = rows.find((r) => r.id === id)!;
  const dir = join(work.path, "wheels", id.replace(/\W+/g, "-"));
  await mkdir(dir, { recursive: true });
  const w = described(join(dir, row.filename), row.filename, row.bytes());
  await writeFile(w.path, w.bytes);
  return w;
}

/** Everything a user could see of a store: its listing and every file under it (tmp/ included). */
async function snapshot(store: string): Promise<{ ls: unknown; files: string[] }> {
  const ls = await cli(store, "store", "ls", "--json");
  expect(ls.code).toBe(0);
  const files = (await readdir(store, { recursive: true })).filter((f) => !/^pystore\.db/.test(f)).sort();
  return { ls: JSON.parse(ls.stdout), files };
}

async function seeded(name: string): Promise<string> {
  const store = join(work.path, "stores", name.replace(/\W+/g, "-"));
  expect((await cli(store, "store", "add", good.path)).code).toBe(0);
  return store;
}

async function expectClean(store: string, before: { ls: unknown; files: string[] }): Promise<void> {
  expect(await snapshot(store)).toEqual(before);
  const verify = await cli(store, "store", "verify");
  expect(verify.stderr).toBe("");
  expect(verify.code).toBe(0);
}

/**
 * The first bundle of a stored wheel whose member does not match refused it: the row's code, naming the
 * wheel and the member, nothing beside the lock in `dir`, and the store holding the wheel and nothing
 * else new (no tree, no temp debris); `store verify` reports the wheel and the member.
 */
async function expectBundleRefused(
  result: CliResult,
  row: (typeof rows)[number],
  dir: string,
  keep: string[],
  store: string,
  before: { files: string[] },
): Promise<void> {
  expect(result.stderr).toMatch(row.reason);
  expect(result.stderr).toContain(row.filename);
  expect(result.stderr).toContain(FIRST_MEMBER);
  expect(result.code).toBe(EXIT[ERROR_CODES[row.code]]);
  expect((await readdir(dir)).filter((n) => !keep.includes(n))).toEqual([]);
  const after = await snapshot(store);
  const added = after.files.filter((f) => !before.files.includes(f));
  expect(added).toHaveLength(2);
  expect(added[1]).toBe(`${added[0]}/${row.filename}`);
  expect(added[0]).toMatch(/^wheels\/[^/]+$/);
  const verify = await cli(store, "store", "verify");
  expect(verify.code).toBe(EXIT.integrity);
  expect(verify.stdout).toContain(`invalid ${added[0].slice("wheels/".length)}`);
  expect(verify.stdout).toContain(FIRST_MEMBER);
  expect(verify.stderr).toMatch(row.reason);
}

beforeAll(async () => {
  work = await tempDir("hostile-cli");
  good = await buildWheel({ name: "fine", version: "1.0" }, join(work.path, "wheels"));
});
afterAll(() => work?.cleanup());

describe("store add", () => {
  it("covers every class", () => {
    expect(new Set(rows.map((r) => r.cls)).size).toBe(6);
    expect(rows).toHaveLength(REPRESENTATIVE.length);
    expect(inMembers.length).toBeGreaterThan(0);
  });

  it.each(refusedAtAdmission.map((r) => [`${r.cls}: ${r.id}`, r] as const))("%s", async (_label, row) => {
    const store = await seeded(`add-${row.id}`);
    const before = await snapshot(store);
    const w = await hostileFile(row.id);
    const result = await cli(store, "store", "add", "--json", w.path);
    expect(result.stderr).toMatch(row.reason);
    expect(result.stderr).toContain(row.filename);
    expect(result.code).toBe(EXIT[ERROR_CODES[row.code]]);
    expect(JSON.parse(result.stdout).error.code).toBe(row.code);
    await expectClean(store, before);
  });

  it.each(inMembers.map((r) => [`${r.cls}: ${r.id}`, r] as const))(
    "%s: admitted, then refused by the first bundle",
    async (_label, row) => {
      const store = await seeded(`add-${row.id}`);
      const before = await snapshot(store);
      const w = await hostileFile(row.id);
      const added = await cli(store, "store", "add", w.path);
      expect(added.stderr).toBe("");
      expect(added.code).toBe(0);
      const dir = join(work.path, "projects", `add-${row.id.replace(/\W+/g, "-")}`);
      await writeTree(dir, { "pylock.toml": lockFor([{ wheel: w, path: w.filename }]) });
      await writeFile(join(dir, w.filename), w.bytes);
      const result = await cli(store, "bundle", "-l", join(dir, "pylock.toml"), ...TARGET, "-o", join(dir, "out"));
      await expectBundleRefused(result, row, dir, ["pylock.toml", w.filename], store, before);
    },
  );
});

describe("bundle from a loopback index", () => {
  it.each(["zip64-confusion", "nfc-nfd", 'entry-point-name "../evil"'])("%s: no OUT, store unchanged", async (id) => {
    const row = rows.find((r) => r.id === id)!;
    const w = await hostileFile(id);
    const server = await startIndexServer({ wheels: [w] });
    try {
      const store = await seeded(`bundle-${id}`);
      const before = await snapshot(store);
      const dir = join(work.path, "projects", id.replace(/\W+/g, "-"));
      await writeTree(dir, { "pylock.toml": lockFor([{ wheel: w, url: `${server.origin}/files/${w.filename}`, index: server.url }]) });
      const out = join(dir, "out");
      const result = await cli(store, "bundle", "-l", join(dir, "pylock.toml"), ...TARGET, "-o", out);
      expect(result.stderr).toMatch(row.reason);
      expect(result.stderr).toContain(w.filename);
      expect(result.code).toBe(EXIT[ERROR_CODES[row.code]]);
      expect(server.requests.some((r) => r.path === `/files/${w.filename}`)).toBe(true);
      expect((await readdir(dir)).filter((n) => n !== "pylock.toml")).toEqual([]);
      await expectClean(store, before);
    } finally {
      await server.close();
    }
  });

  it.each(["record-hash"])("%s: fetched and stored, then no OUT, no tree, no temp debris", async (id) => {
    const row = rows.find((r) => r.id === id)!;
    expect(MEMBER_CONTENT_IDS.has(id)).toBe(true);
    const w = await hostileFile(id);
    const server = await startIndexServer({ wheels: [w] });
    try {
      const store = await seeded(`bundle-${id}`);
      const before = await snapshot(store);
      const dir = join(work.path, "projects", id.replace(/\W+/g, "-"));
      await writeTree(dir, { "pylock.toml": lockFor([{ wheel: w, url: `${server.origin}/files/${w.filename}`, index: server.url }]) });
      const result = await cli(store, "bundle", "-l", join(dir, "pylock.toml"), ...TARGET, "-o", join(dir, "out"));
      expect(server.requests.some((r) => r.path === `/files/${w.filename}`)).toBe(true);
      await expectBundleRefused(result, row, dir, ["pylock.toml"], store, before);
    } finally {
      await server.close();
    }
  });
});

describe("store import", () => {
  it.each([
    ["a symlink member", () => closureTar([good], [{ path: "wheels/evil", type: "2", linkpath: "/etc/passwd" }]), /is a symbolic link/],
    [
      "a tar that is also a zip",
      () => polyglotClosure([good], (p) => buildZip({ entries: wheelEntries(), prefix: Buffer.alloc(p), adjustOffsets: true }).subarray(p)),
      /is also a zip archive/,
    ],
    ["a hostile wheel inside", async () => closureTar([good, { filename: rows[0].filename, bytes: rows[0].bytes() }]), rows[0].reason],
  ] as const)("%s: nothing imported", async (label, build, reason) => {
    const store = join(work.path, "stores", `import-${label.replace(/\W+/g, "-")}`);
    expect((await cli(store, "store", "ls")).code).toBe(0);
    const before = await snapshot(store);
    const archive = join(work.path, `${label.replace(/\W+/g, "-")}.tar`);
    await writeFile(archive, await build());
    const result = await cli(store, "store", "import", archive);
    expect(result.stderr).toMatch(reason);
    expect(result.code).toBe(label === "a hostile wheel inside" ? EXIT.bundle : EXIT.integrity);
    await expectClean(store, before);
  });
});
