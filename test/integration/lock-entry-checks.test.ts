// Hand-edited locks through the built CLI: every selected entry must agree with its wheel's file name
// (name per PEP 503, version per PEP 440, tags fit the target), and a `file:` URL is read only below a
// location the lock's own [tool.pystore] index configuration names.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

let work: TempDir;
let project: string;
let links: string;
let lockText: string;
let alpha: BuiltWheel;
let storeCount = 0;

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

/** A fresh store per run, so every fetch or bundle has to read its wheels. */
function cli(args: string[]): Promise<CliResult> {
  const store = join(work.path, `store-${storeCount++}`);
  return runCli(args, { cwd: project, env: { PYSTORE_STORE: store, PYSTORE_INDEX_URL: "", NETRC: "" }, timeoutMs: 30_000 });
}

/** Write `edit(lockText)` as a lock of its own and return its path. */
async function editedLock(label: string, edit: (text: string) => string): Promise<string> {
  const path = join(project, `${label}.pylock.toml`);
  const text = edit(lockText);
  expect(text).not.toBe(lockText);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  work = await tempDir("lock-entry-checks");
  project = join(work.path, "project");
  // Outside the project: the lock records these wheels as file: URLs, not paths.
  links = join(work.path, "links");
  await mkdir(project);
  alpha = await buildWheel({ name: "alpha", version: "1.0" }, links);
  await buildWheel({ name: "beta", version: "2.0" }, links);
  await writeFile(join(project, "pyproject.toml"), '[project]\nname = "app"\nversion = "1"\ndependencies = ["alpha"]\n');
  const locked = await cli(["lock", "--no-index", "--find-links", links, ...TARGET]);
  expect(locked.code, locked.stderr).toBe(0);
  lockText = await readFile(join(project, "pylock.toml"), "utf8");
  expect(lockText).toContain(pathToFileURL(alpha.path).href);
});
afterAll(async () => work?.cleanup());

describe("a lock entry must match its wheel's file name", () => {
  it("the lock as written fetches and bundles", async () => {
    const fetched = await cli(["fetch", "--json"]);
    expect(fetched.code, fetched.stderr).toBe(0);
    const bundled = await cli(["bundle", "-o", join(work.path, "bundle-ok"), ...TARGET]);
    expect(bundled.code, bundled.stderr).toBe(0);
  });

  it.each([
    ["fetch", []],
    ["fetch", TARGET],
    ["bundle", TARGET],
  ])("%s %j refuses a name that is not the wheel's", async (command, extra) => {
    const lock = await editedLock("renamed", (t) => t.replace(/^name = "alpha"$/m, 'name = "beta"'));
    const out = command === "bundle" ? ["-o", join(work.path, "bundle-renamed")] : [];
    const r = await cli([command, "-l", lock, ...out, ...extra, "--json"]);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: "INVALID_LOCK",
      message: expect.stringMatching(/beta 1\.0: its wheel alpha-1\.0-py3-none-any\.whl is alpha 1\.0/),
    });
    expect(existsSync(join(work.path, "bundle-renamed"))).toBe(false);
  });

  it.each([
    ["fetch", []],
    ["bundle", TARGET],
  ])("%s refuses a version that is not the wheel's", async (command, extra) => {
    const lock = await editedLock("reversioned", (t) => t.replace(/^version = "1\.0"$/m, 'version = "1.1"'));
    const out = command === "bundle" ? ["-o", join(work.path, "bundle-reversioned")] : [];
    const r = await cli([command, "-l", lock, ...out, ...extra]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: .*alpha 1\.1: its wheel alpha-1\.0-py3-none-any\.whl is alpha 1\.0/m);
  });

  it("accepts spellings that PEP 503 and PEP 440 call equal", async () => {
    const lock = await editedLock("respelled", (t) =>
      t.replace(/^name = "alpha"$/m, 'name = "Alpha"').replace(/^version = "1\.0"$/m, 'version = "1.0.0"'),
    );
    const r = await cli(["fetch", "-l", lock]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("refuses a wheel whose tags do not fit the target", async () => {
    const lock = await editedLock("retagged", (t) => t.replaceAll("alpha-1.0-py3-none-any.whl", "alpha-1.0-cp312-cp312-win_amd64.whl"));
    const r = await cli(["fetch", "-l", lock, ...TARGET]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no wheel of alpha 1\.0 in the lock fits target manylinux_2_\d+_x86_64-cp311/);
  });
});

describe("file: URLs in a lock", () => {
  it.each([
    ["fetch", []],
    ["bundle", TARGET],
  ])("%s refuses file:///etc/passwd", async (command, extra) => {
    const lock = await editedLock("passwd", (t) => t.replace(pathToFileURL(alpha.path).href, "file:///etc/passwd"));
    const out = command === "bundle" ? ["-o", join(work.path, "bundle-passwd")] : [];
    const r = await cli([command, "-l", lock, ...out, ...extra, "--json"]);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: "INVALID_LOCK",
      message: expect.stringContaining("alpha 1.0: file:///etc/passwd is outside every local index and find-links location"),
    });
  });

  it("reads nothing outside those locations (a FIFO there would block any reader)", async () => {
    const fifo = join(work.path, "outside.whl");
    execFileSync("mkfifo", [fifo]);
    const lock = await editedLock("fifo", (t) => t.replace(pathToFileURL(alpha.path).href, pathToFileURL(fifo).href));
    const r = await cli(["fetch", "-l", lock]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("is outside every local index and find-links location");
  });

  it("refuses a path that climbs out of a recorded location with ..", async () => {
    const lock = await editedLock("climb", (t) =>
      t.replace(pathToFileURL(alpha.path).href, `${pathToFileURL(links).href}/../project/pyproject.toml`),
    );
    const r = await cli(["fetch", "-l", lock]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("is outside every local index and find-links location");
  });

  it("refuses every file: URL in a lock that records no local location", async () => {
    const lock = await editedLock("no-find-links", (t) => t.replace(/^find-links = \[[^\]]*\]$/m, "find-links = []"));
    const r = await cli(["fetch", "-l", lock]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("is outside every local index and find-links location");
  });
});
