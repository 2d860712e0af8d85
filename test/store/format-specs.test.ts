// The specs in store-format/ checked against the code that writes those formats: version constants,
// the SQLite schema of a fresh store, and a real bundle manifest against bundle-manifest.md's JSON schema.

import { readFileSync, readdirSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GREETLIB, lockFor, writeTwoExecutables } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { buildStandalonePython, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { addPython } from "../../src/python/add.js";
import { buildBundle } from "../../src/bundle/bundle.js";
import { MANIFEST_FILE } from "../../src/bundle/manifest.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import * as versions from "../../src/format-versions.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { ROOTS_LOST_AT } from "../../src/store/db.js";
import { POOL_MTIME_S, parsePoolName, poolDir, poolPath } from "../../src/store/file-pool.js";
import { dbPath } from "../../src/store/layout.js";
import { QUARANTINE_DIR, reindexStore, stamp } from "../../src/store/reindex.js";
import { openStore } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { tempDir } from "../helpers/temp.js";

const SPECS = join(import.meta.dirname, "..", "..", "store-format");
const spec = (name: string) => readFileSync(join(SPECS, name), "utf8");

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("format-specs");
});
afterAll(() => work?.cleanup());

/** README's table: spec file → the version constant it names. */
function readmeTable(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of spec("README.md").split("\n")) {
    const m = /^\| \[([\w.-]+\.md)\]\(\1\) \|.*\| `([A-Z_]+)` \|$/.exec(line);
    if (m) rows.set(m[1], m[2]);
  }
  return rows;
}

describe("store-format/README.md", () => {
  it("lists every spec in store-format/, each linked, each naming a real version constant", () => {
    const table = readmeTable();
    const files = readdirSync(SPECS)
      .filter((f) => f.endsWith(".md") && f !== "README.md")
      .sort();
    expect(files.length).toBeGreaterThan(0);
    expect([...table.keys()].sort()).toEqual(files);
    for (const constant of table.values()) expect(Object.keys(versions)).toContain(constant);
  });

  it("has a spec for every version constant, whose title carries the constant's value", () => {
    const table = readmeTable();
    const constants = Object.entries(versions);
    expect(constants.length).toBeGreaterThan(0);
    for (const [constant, value] of constants) {
      const files = [...table].filter(([, c]) => c === constant).map(([f]) => f);
      expect(files, `${constant} has no spec in store-format/README.md`).not.toEqual([]);
      for (const file of files) {
        const title = spec(file).split("\n")[0];
        expect(title, `${file}'s title`).toMatch(/^# /);
        const found = /format version (\d+)\)?$/.exec(title);
        expect(found?.[1], `${file}'s title should end with "format version ${value}"`).toBe(String(value));
      }
    }
  });
});

/** `CREATE TABLE name (col …, …)` blocks of the spec's sql code block → table → column names. */
function documentedSchema(): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  const text = spec("sqlite-schema.md");
  for (const block of text.matchAll(/```sql\n([\s\S]*?)```/g)) {
    for (const table of block[1].matchAll(/CREATE TABLE (\w+) \(\n([\s\S]*?)\n\)/g)) {
      const columns = new Set<string>();
      for (const line of table[2].split("\n")) {
        const m = /^\s+(\w+)\s+(TEXT|INTEGER|BLOB|REAL|ANY)\b/.exec(line);
        if (m) columns.add(m[1]);
      }
      tables.set(table[1], columns);
    }
  }
  return tables;
}

describe("store-format/sqlite-schema.md", () => {
  it("documents every table and column (and index and trigger) of a fresh store's database, and nothing it lacks", async () => {
    const dir = join(work.path, "store");
    const store = await openStore({ dir, log: silentLogger });
    store.close();
    const db = new Database(dbPath(dir), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
        name: string;
      }[];
      const actual = new Map(
        tables.map(({ name }) => [
          name,
          new Set((db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name)),
        ]),
      );
      const documented = documentedSchema();
      expect(actual.size).toBeGreaterThan(0);
      expect([...documented.keys()].sort()).toEqual([...actual.keys()].sort());
      for (const [table, columns] of actual) expect([...documented.get(table)!].sort(), `columns of ${table}`).toEqual([...columns].sort());

      const indexes = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string }[]
      ).map((r) => r.name);
      for (const index of indexes) expect(spec("sqlite-schema.md")).toContain(`CREATE INDEX ${index} `);
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[];
      for (const trigger of triggers) expect(spec("sqlite-schema.md")).toContain(`CREATE TRIGGER ${trigger} `);
      const version = db.prepare("SELECT value FROM meta WHERE key = 'format_version'").get() as { value: string };
      expect(version.value).toBe(String(versions.STORE_FORMAT_VERSION));
    } finally {
      db.close();
    }
  });

  it("documents every meta key, including the one a rebuild by `store reindex` writes", async () => {
    const dir = join(work.path, "rebuilt");
    const wheel = await buildWheel({ name: "metakeys", version: "1.0" }, join(work.path, "meta-wheels"));
    const store = await openStore({ dir, log: silentLogger });
    await store.addWheelFile(wheel.path);
    store.close();
    await rm(dbPath(dir));
    expect((await reindexStore(dir, silentLogger)).rootsLost).toBe(true);
    const db = new Database(dbPath(dir), { readonly: true });
    try {
      const keys = db.prepare("SELECT key FROM meta ORDER BY key").pluck().all() as string[];
      expect(keys).toContain(ROOTS_LOST_AT);
      const documented = /`meta` keys: ([^\n]*(?:\n[^\n]+)*)/.exec(spec("sqlite-schema.md"))?.[1] ?? "";
      for (const key of keys) expect(documented, `meta key ${key}`).toContain(`\`${key}\``);
    } finally {
      db.close();
    }
  });

  it("names the damaged-database file and the quarantine directory the code uses", () => {
    const layout = spec("store-layout.md");
    expect(layout).toContain(`${QUARANTINE_DIR}/`);
    expect(layout).toContain("store.db.corrupt-<yyyymmddThhmmssZ>");
    expect(stamp(Date.UTC(2026, 10, 24, 10, 15, 0))).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it("names the file pool's directory, file names and fixed mtime as the code makes them", () => {
    const layout = spec("store-layout.md");
    const sha = "ab".repeat(32);
    expect(poolDir("/s")).toBe("/s/files");
    expect(layout).toMatch(/^ {2}files\/ +the file pool/m);
    expect(layout).toMatch(/^ {4}<2 hex>\/ +the first two hex digits of the file's sha256/m);
    expect(poolPath("/s", sha, false)).toBe(`/s/files/ab/${sha}`);
    expect(layout).toMatch(/^ {6}<sha256> +a file whose bytes hash to <sha256> \(lower-case hex\), mode 0444, mtime 1 s after the epoch/m);
    expect(poolPath("/s", sha, true)).toBe(`/s/files/ab/${sha}-exec`);
    expect(layout).toMatch(/^ {6}<sha256>-exec +the same for a file executable in its wheel, mode 0555/m);
    expect(POOL_MTIME_S).toBe(1);
    expect(parsePoolName(`${sha}-exec`)).toEqual({ sha256: sha, executable: true });
    expect(parsePoolName(`${sha}.x`)).toBeUndefined();
  });
});

// A tiny checker for the JSON-schema keywords bundle-manifest.md uses; an unknown keyword fails loudly
// so the checker cannot silently pass a schema it does not understand.
type Schema = Record<string, unknown>;
const KNOWN = new Set([
  "$schema",
  "$id",
  "type",
  "required",
  "additionalProperties",
  "properties",
  "items",
  "const",
  "enum",
  "pattern",
  "minLength",
  "minimum",
  "oneOf",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length) return [`${path}: the checker does not know ${unknown.join(", ")}`];
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const t = typeOf(value);
    if (!(t === schema.type || (schema.type === "number" && t === "integer")))
      return [`${path}: expected ${String(schema.type)}, got ${t}`];
  }
  if ("const" in schema && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === "string") {
    if (schema.pattern && !new RegExp(schema.pattern as string, "u").test(value))
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${String(schema.pattern)}`);
    if (schema.minLength !== undefined && value.length < (schema.minLength as number))
      errors.push(`${path}: shorter than ${String(schema.minLength)}`);
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < (schema.minimum as number))
    errors.push(`${path}: below ${String(schema.minimum)}`);
  if (schema.oneOf) {
    const passing = (schema.oneOf as Schema[]).filter((s) => validate(s, value, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf's schemas, not exactly one`);
  }
  if (Array.isArray(value) && schema.items)
    for (const [i, item] of value.entries()) errors.push(...validate(schema.items as Schema, item, `${path}[${i}]`));
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in object)) errors.push(`${path}: missing required ${key}`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (properties[key]) errors.push(...validate(properties[key], item, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: ${key} is not in the schema`);
    }
  }
  return errors;
}

function manifestSchema(): Schema {
  const m = /## JSON schema\n\n```json\n([\s\S]*?)```/.exec(spec("bundle-manifest.md"));
  expect(m, "bundle-manifest.md has a ```json block under ## JSON schema").not.toBeNull();
  return JSON.parse(m![1]) as Schema;
}

describe("store-format/bundle-manifest.md", () => {
  it("the checker refuses what the schema forbids (so a pass means something)", () => {
    const schema = manifestSchema();
    expect(validate(schema, {})).toContain("$: missing required files");
    expect(validate(schema, { formatVersion: 2 }).join("\n")).toMatch(/formatVersion: expected 1/);
    expect(validate(schema, { surprise: true }).join("\n")).toMatch(/surprise is not in the schema/);
    expect(validate(schema, { files: [{ path: "a", sha256: "x", size: -1, mode: "0600" }] }).length).toBeGreaterThanOrEqual(3);
  });

  it("a real manifest (project code, scripts, a wheel, systemd units) has exactly the schema's keys and types", async () => {
    const store = await openStore({ dir: join(work.path, "bundle-store"), log: silentLogger });
    try {
      const wheels = join(work.path, "wheels");
      const greet = await buildWheel(GREETLIB, wheels);
      const { project } = await writeTwoExecutables(join(work.path, "project"));
      // Data files too, so the manifest carries every key the schema has.
      const pyproject = await readFile(join(project, "pyproject.toml"), "utf8");
      await writeFile(join(project, "pyproject.toml"), pyproject.replace("[tool.pystore]\n", '[tool.pystore]\ndata = ["etc/app.ini"]\n'));
      await mkdir(join(project, "etc"), { recursive: true });
      await writeFile(join(project, "etc", "app.ini"), "[app]\n");
      const lockText = lockFor([{ wheel: greet, path: greet.filename }]);
      // An embedded interpreter and build-time bytecode, when this machine can make one (python-standalone.ts).
      const python = standaloneUnavailable()
        ? undefined
        : (await addPython(store, buildStandalonePython(join(work.path, "standalone")).replace(/\/python$/, ""))).entry;
      const result = await buildBundle({
        ...(python
          ? { python, compile: { python: join(python.dir, python.executable), cacheTag: python.cacheTag, version: python.version } }
          : {}),
        lock: parsePylock(lockText),
        lockText,
        lockDir: wheels,
        target: resolveTarget("manylinux_x86_64", "3.11"),
        projectDir: project,
        out: join(work.path, "out"),
        format: "dir",
        systemd: {},
        mtime: DEFAULT_EPOCH,
        store,
        log: silentLogger,
        offline: true,
      });
      const manifest = JSON.parse(await readFile(join(result.out, MANIFEST_FILE), "utf8")) as Record<string, unknown>;
      expect((manifest.packages as unknown[]).length).toBe(1);
      expect((manifest.executables as unknown[]).length).toBeGreaterThan(0);
      expect(manifest.lock).not.toBeNull();
      expect(manifest.formatVersion).toBe(versions.BUNDLE_MANIFEST_VERSION);
      const schema = manifestSchema();
      expect(validate(schema, manifest)).toEqual([]);
      // Every key the schema declares is one the code writes; all are required but those only some projects have.
      const optional = ["data", "python", "bytecode"];
      expect([...(schema.required as string[]), ...optional].sort()).toEqual(Object.keys(schema.properties as object).sort());
      const written = python
        ? Object.keys(schema.properties as object)
        : Object.keys(schema.properties as object).filter((k) => k !== "python" && k !== "bytecode");
      expect(Object.keys(manifest).sort()).toEqual(written.sort());
    } finally {
      store.close();
    }
  });
});
