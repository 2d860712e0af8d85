// Hostile locks through the built CLI: no hashes, only weak ones, bytes that differ, an unknown major
// lock-version, duplicate entries, paths that leave the project, and a hand-edited [tool.pystore].
// Each case: the typed error naming the culprit, its documented exit code, nothing in the store, no
// output directory, no temp debris, and the lock file left as it was.

import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

let work: TempDir;
let project: string;
let server: IndexServer;
let app: BuiltWheel;
let lockText: string;

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

interface Outcome extends CliResult {
  store: string;
  out: string;
  lockPath: string;
}

/** Run `args` (with `{lock}` and `{out}` filled in) against `edit(lockText)` in a fresh store. */
async function runEdited(label: string, edit: (text: string) => string, args: string[]): Promise<Outcome> {
  const text = edit(lockText);
  expect(text, "the edit changed nothing").not.toBe(lockText);
  const dir = join(project, label);
  await mkdir(dir);
  const lockPath = join(dir, "pylock.toml");
  await writeFile(lockPath, text);
  const store = join(work.path, `store-${label}`);
  const out = join(work.path, `out-${label}`);
  const before = (await readdir(work.path)).sort();
  const result = await runCli(
    args.map((a) => a.replace("{lock}", lockPath).replace("{out}", out)),
    { cwd: dir, env: { PYSTORE_STORE: store, PYSTORE_INDEX_URL: "", NETRC: "", HOME: work.path, PYSTORE_RETRIES: "0" }, timeoutMs: 60_000 },
  );
  expect(result.stderr).not.toContain("internal error");
  // Nothing new: no wheel or temp file in the store, no output, no staging directory beside it.
  expect(await filesUnder(join(store, "wheels"))).toEqual([]);
  expect(await filesUnder(join(store, "tmp"))).toEqual([]);
  expect(existsSync(out)).toBe(false);
  expect((await readdir(work.path)).filter((n) => !n.startsWith("store-")).sort()).toEqual(before.filter((n) => !n.startsWith("store-")));
  // The lock is evidence: a failed command never rewrites it, and leaves nothing beside it.
  expect(await readFile(lockPath, "utf8")).toBe(text);
  expect(await readdir(dir)).toEqual(["pylock.toml"]);
  return { ...result, store, out, lockPath };
}

function jsonError(r: CliResult): { code: string; message: string; hint: string | null } {
  return (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string | null } }).error;
}

const FIRST_SHA = /hashes = \{sha256 = "([0-9a-f]{64})"\}/;

beforeAll(async () => {
  work = await tempDir("hostile-locks");
  project = join(work.path, "project");
  await mkdir(project);
  const wheels = join(work.path, "wheels");
  app = await buildWheel({ name: "hostile-app", version: "1.0", requiresDist: ["hostile-lib"] }, wheels);
  const lib = await buildWheel({ name: "hostile-lib", version: "2.0" }, wheels);
  server = await startIndexServer({ wheels: [app, lib] });
  const locked = await runCli(["lock", "hostile-app", ...TARGET, "--index-url", server.url], {
    cwd: project,
    env: { PYSTORE_STORE: join(work.path, "store-lock"), PYSTORE_INDEX_URL: "", NETRC: "", HOME: work.path },
  });
  expect(locked.code, locked.stderr).toBe(0);
  lockText = await readFile(join(project, "pylock.toml"), "utf8");
  expect(FIRST_SHA.exec(lockText)?.[1]).toBe(app.sha256);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

describe("hashes in a lock", () => {
  it("a wheel without hashes is refused when the lock is read", async () => {
    const r = await runEdited("no-hashes", (t) => t.replace(/\n\s*hashes = \{sha256 = "[0-9a-f]+"\}/, ""), [
      "fetch",
      "-l",
      "{lock}",
      "--json",
    ]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(jsonError(r)).toMatchObject({ code: "INVALID_LOCK" });
    expect(jsonError(r).message).toBe(
      `${r.lockPath}: invalid lock at packages[0].wheels[0].hashes: is required: every file in a lock needs at least one hash`,
    );
  });

  it.each([
    ["md5", 'md5 = "0123456789abcdef0123456789abcdef"', "md5"],
    ["sha1+md5", 'md5 = "0123456789abcdef0123456789abcdef", sha1 = "0123456789abcdef0123456789abcdef01234567"', "md5, sha1"],
  ])("only weak hashes (%s): fetch and bundle refuse to trust them", async (label, hashes, named) => {
    const edit = (t: string) => t.replace(FIRST_SHA, `hashes = {${hashes}}`);
    const fetched = await runEdited(`weak-${label}-fetch`, edit, ["fetch", "-l", "{lock}", "--json"]);
    expect(fetched.code).toBe(EXIT.invalidInput);
    expect(jsonError(fetched).code).toBe("INVALID_LOCK");
    expect(jsonError(fetched).message).toContain(`${app.filename} has no sha256 hash`);
    const bundled = await runEdited(`weak-${label}-bundle`, edit, ["bundle", "-l", "{lock}", "-o", "{out}", ...TARGET]);
    expect(bundled.code).toBe(EXIT.invalidInput);
    expect(bundled.stderr).toContain(`error: hostile-app: wheel ${app.filename} has no sha256 hash (has: ${named})`);
  });

  it("bytes that do not match the lock: expected … got …, and nothing is stored", async () => {
    const wrong = "ab".repeat(32);
    const edit = (t: string) => t.replace(FIRST_SHA, `hashes = {sha256 = "${wrong}"}`);
    // One download at a time: with several, fetch returns on the first failure while the other download is
    // still writing into the store's tmp/ (src/app/fetch.ts awaits Promise.all; it needs allSettled).
    const r = await runEdited("mismatch", edit, ["fetch", "-l", "{lock}", "--json", "--jobs", "1"]);
    expect(r.code).toBe(EXIT.integrity);
    expect(jsonError(r)).toMatchObject({
      code: "HASH_MISMATCH",
      message: `${app.filename}: sha256 mismatch: expected ${wrong}, got ${app.sha256}`,
    });
    const bundled = await runEdited("mismatch-bundle", edit, ["bundle", "-l", "{lock}", "-o", "{out}", ...TARGET]);
    expect(bundled.code).toBe(EXIT.integrity);
    expect(bundled.stderr).toContain(`expected ${wrong}, got ${app.sha256}`);
  });
});

describe("the shape of a lock", () => {
  it("an unknown major lock-version", async () => {
    const r = await runEdited("v2", (t) => t.replace('lock-version = "1.0"', 'lock-version = "2.0"'), ["fetch", "-l", "{lock}", "--json"]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(jsonError(r).message).toBe(
      `${r.lockPath}: invalid lock at lock-version: major version 2 is not supported (pystore reads lock-version 1.x)`,
    );
  });

  it("duplicate package entries", async () => {
    const libBlock = lockText.slice(lockText.lastIndexOf("[[packages]]"), lockText.indexOf("[tool.pystore]"));
    const r = await runEdited("duplicate", (t) => t.replace("[tool.pystore]", `${libBlock}[tool.pystore]`), [
      "fetch",
      "-l",
      "{lock}",
      "--json",
    ]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(jsonError(r).message).toBe(`${r.lockPath}: invalid lock at packages[2]: duplicate entry for hostile-lib 2.0 (also packages[1])`);
  });

  it.each([
    ["climbing", "../../outside/evil-1.0-py3-none-any.whl", "points outside the project"],
    ["absolute", "/etc/evil-1.0-py3-none-any.whl", "is absolute"],
    ["windows", "C:\\\\evil-1.0-py3-none-any.whl", "is absolute"],
  ])("a wheel path that leaves the project (%s)", async (label, path, problem) => {
    const edit = (t: string) => t.replace(/url = "[^"]*hostile_app[^"]*"/, `path = "${path}"`);
    const r = await runEdited(`path-${label}`, edit, ["bundle", "-l", "{lock}", "-o", "{out}", ...TARGET, "--json"]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(jsonError(r).message).toContain(`invalid lock at packages[0].wheels[0].path: "${path.replace(/\\\\/g, "\\")}" ${problem}`);
  });
});

describe("a hand-edited [tool.pystore]", () => {
  // Each would otherwise be skipped and its default taken in silence: the host's target, PyPI, first-index.
  it.each([
    [
      "targets",
      (t: string) => t.replace(/targets = \[[\s\S]*?\n\]/, 'targets = "nonsense"'),
      "targets",
      'a non-empty array of {id, platform, python} tables ("nonsense")',
    ],
    [
      "no-targets",
      (t: string) => t.replace(/targets = \[[\s\S]*?\n\]/, "targets = []"),
      "targets",
      "a non-empty array of {id, platform, python} tables",
    ],
    ["index-url", (t: string) => t.replace(/index-url = "[^"]*"/, "index-url = 42"), "index-url", "a string (42)"],
    [
      "strategy",
      (t: string) => t.replace('index-strategy = "first-index"', 'index-strategy = "best"'),
      "index-strategy",
      'one of "first-index", "unsafe-best-match" ("best")',
    ],
    ["requirements", (t: string) => t.replace(/requirements = \[[^\]]*\]/, "requirements = [1, 2]"), "requirements", "an array of strings"],
  ])(
    "%s: lock --check and fetch name the key instead of falling back; a bare lock says it ignores the lock",
    async (label, edit, key, problem) => {
      const message = (lockPath: string) => `${lockPath}: invalid lock at tool.pystore.${key}: must be ${problem}`;
      // A re-lock replaces a damaged lock, so it warns and goes on without the record (here: no other inputs).
      const relock = await runEdited(`tool-${label}-relock`, edit, ["lock"]);
      expect(relock.stderr).toContain(`warning: ignoring the existing lock: ${message(relock.lockPath)}`);
      expect(relock.code).toBe(EXIT.usage);
      expect(relock.stderr).toContain("error: nothing to lock");
      for (const [i, args] of [
        ["lock", "--check", "--json"],
        ["fetch", "--json"],
      ].entries()) {
        const r = await runEdited(`tool-${label}-${i}`, edit, args);
        expect(r.code, r.stderr).toBe(EXIT.invalidInput);
        expect(jsonError(r).code).toBe("INVALID_LOCK");
        expect(jsonError(r).message).toBe(message(r.lockPath));
        expect(jsonError(r).hint).toContain("[tool.pystore]");
      }
    },
  );

  it("keys pystore does not know, and a future format-version, are still read (lock --check calls the latter stale)", async () => {
    const edit = (t: string) => t.replace("format-version = 1", "format-version = 7\nsome-future-key = { a = 1 }");
    const dir = join(project, "tool-future");
    await mkdir(dir);
    await writeFile(join(dir, "pylock.toml"), edit(lockText));
    const r = await runCli(["lock", "--check"], {
      cwd: dir,
      env: { PYSTORE_STORE: join(work.path, "store-future"), PYSTORE_INDEX_URL: "", NETRC: "" },
    });
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.stderr).toContain("[tool.pystore] format-version 7 is not 1");
  });
});
