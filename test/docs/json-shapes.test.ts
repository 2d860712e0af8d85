// docs/json.md against the real CLI: every section's example has the shape (keys at every depth, value
// types) of what the command prints with --json. `PYSTORE_UPDATE_DOCS=1` rewrites each example from a
// real run, paths and ports replaced by placeholders.

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, REPO_ROOT } from "../helpers/cli.js";

const PAGE = join(REPO_ROOT, "docs", "json.md");

/** Heading (as in docs/json.md) → the command, run in order in one project against one store. */
const CASES: [string, string[]][] = [
  ["pystore lock --json", ["lock", "--json"]],
  ["pystore lock --check --json", ["lock", "--check", "--json"]],
  ["pystore fetch --json", ["fetch", "--json"]],
  ["pystore tree --json", ["tree", "--json"]],
  ["pystore export requirements --json", ["export", "requirements", "--platform", "manylinux_x86_64", "--python", "3.11", "--json"]],
  ["pystore bundle --json", ["bundle", "-o", "out", "--platform", "manylinux_x86_64", "--python", "3.11", "--json"]],
  ["pystore bundle verify --json", ["bundle", "verify", "out", "--json"]],
  ["pystore index show --json", ["index", "show", "shapes-lib", "--json"]],
  ["pystore tags --json", ["tags", "--platform", "manylinux_x86_64", "--python", "3.11", "--json"]],
  ["pystore store ls --json", ["store", "ls", "--json"]],
  ["pystore store info --json", ["store", "info", "shapes-lib", "--json"]],
  ["pystore store path --json", ["store", "path", "--json"]],
  ["pystore store du --json", ["store", "du", "--json"]],
  ["pystore store roots --json", ["store", "roots", "--json"]],
  ["pystore store verify --json", ["store", "verify", "--json"]],
  ["pystore store export --json", ["store", "export", "-l", "pylock.toml", "-o", "closure.tar", "--json"]],
  ["pystore store import --json", ["store", "import", "closure.tar", "--json"]],
  ["pystore store gc --json", ["store", "gc", "--dry-run", "--json"]],
  ["pystore store reindex --json", ["store", "reindex", "--json"]],
  ["pystore store add --json", ["store", "add", "extra-wheel/shapes_extra-1.0-py3-none-any.whl", "--json"]],
];

let work: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;
const outputs = new Map<string, unknown>();

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PYSTORE_BIN, ...args], { cwd: join(work, "app"), env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-json-shapes-"));
  const wheels = [
    await buildWheel({ name: "shapes-lib", version: "1.0", requiresDist: ["shapes-dep"] }, join(work, "wheels")),
    await buildWheel({ name: "shapes-dep", version: "2.0" }, join(work, "wheels")),
  ];
  await buildWheel({ name: "shapes-extra", version: "1.0" }, join(work, "app", "extra-wheel"));
  server = await startIndexServer({ wheels });
  env = { ...process.env, PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url, SOURCE_DATE_EPOCH: "0", NO_COLOR: "1" };
  await mkdir(join(work, "app", "src", "shapes_app"), { recursive: true });
  await writeFile(
    join(work, "app", "pyproject.toml"),
    '[project]\nname = "shapes-app"\nversion = "1.0"\ndependencies = ["shapes-lib"]\n\n[project.scripts]\nshapes = "shapes_app:main"\n\n[tool.pystore]\ntargets = [{ platform = "manylinux_x86_64", python = "3.11" }]\n',
  );
  await writeFile(join(work, "app", "src", "shapes_app", "__init__.py"), "def main():\n    return 0\n");
  for (const [heading, args] of CASES) {
    const r = await cli(args);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    outputs.set(heading, JSON.parse(r.stdout));
  }
}, 240_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The shape of a value: object keys (sorted) with their shapes, the first element of arrays, a type name. */
type Shape = string | { [key: string]: Shape } | Shape[];
function shape(value: unknown): Shape {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

/** Docs may show null or [] where a run has a value, and a type where the run has null or []. */
function compatible(doc: Shape, real: Shape, path: string, out: string[]): void {
  if (doc === "null" || real === "null") return;
  if (Array.isArray(doc) || Array.isArray(real)) {
    if (!Array.isArray(doc) || !Array.isArray(real)) out.push(`${path}: array in one, not in the other`);
    else if (doc.length > 0 && real.length > 0) compatible(doc[0], real[0], `${path}[0]`, out);
    return;
  }
  if (typeof doc === "string" || typeof real === "string") {
    if (doc !== real) out.push(`${path}: ${JSON.stringify(doc)} in the docs, ${JSON.stringify(real)} printed`);
    return;
  }
  for (const key of new Set([...Object.keys(doc), ...Object.keys(real)])) {
    if (!(key in doc)) out.push(`${path}.${key}: printed, not in the docs`);
    else if (!(key in real)) out.push(`${path}.${key}: in the docs, not printed`);
    else compatible(doc[key], real[key], `${path}.${key}`, out);
  }
}

function sections(text: string): Map<string, { start: number; end: number; json: string }> {
  const found = new Map<string, { start: number; end: number; json: string }>();
  for (const m of text.matchAll(/^## `([^`]+)`\n[\s\S]*?```json\n([\s\S]*?)```/gm)) {
    const start = (m.index ?? 0) + m[0].length - m[2].length - 3;
    found.set(m[1], { start, end: start + m[2].length, json: m[2] });
  }
  return found;
}

/** Long lists cut to their first two items: the page shows the shape, not every tag. */
function shortened(value: unknown): unknown {
  if (Array.isArray(value)) return (value.length > 3 ? value.slice(0, 2) : value).map(shortened);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortened(v)]));
  return value;
}

function placeholders(value: unknown): string {
  return `${JSON.stringify(shortened(value), null, 2)
    .split(work)
    .join("/home/me")
    .replace(/127\.0\.0\.1:\d+/g, "nexus.corp")
    .replace(/http:\/\/nexus\.corp/g, "https://nexus.corp")}\n`;
}

describe("docs/json.md", () => {
  it("has a section for every command tested here, in the page", async () => {
    let text = await readFile(PAGE, "utf8");
    if (process.env.PYSTORE_UPDATE_DOCS === "1") {
      // Rewrite examples from the end, so earlier offsets stay valid.
      const found = [...sections(text).entries()].sort((a, b) => b[1].start - a[1].start);
      for (const [heading, { start, end }] of found) {
        if (outputs.has(heading)) text = text.slice(0, start) + placeholders(outputs.get(heading)) + text.slice(end);
      }
      await writeFile(PAGE, text);
    }
    const headings = [...sections(text).keys()];
    expect(CASES.map(([h]) => h).filter((h) => !headings.includes(h))).toEqual([]);
  });

  it.each(CASES.map(([heading]) => [heading]))("%s: the example has the printed shape", async (heading) => {
    const section = sections(await readFile(PAGE, "utf8")).get(heading);
    expect(section, `no "## \`${heading}\`" section with a json block`).toBeDefined();
    const problems: string[] = [];
    compatible(shape(JSON.parse(section!.json)), shape(outputs.get(heading)), "$", problems);
    expect(problems).toEqual([]);
  });
});
