// Hostile and broken indexes through the built CLI: dependency confusion across two indexes, yanked files,
// pages that are not simple-API pages, and pages too large to read. Each failure: the typed error naming
// the index, its exit code, no lock written, nothing in the store.

import { existsSync } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fault, startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

let work: TempDir;
const servers: IndexServer[] = [];
let runs = 0;

beforeAll(async () => {
  work = await tempDir("hostile-indexes");
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await work?.cleanup();
});

async function serve(wheels: BuiltWheel[], opts: Parameters<typeof startIndexServer>[0] extends infer O ? Partial<O> : never = {}) {
  const s = await startIndexServer({ wheels, ...opts });
  servers.push(s);
  return s;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
}

/** `pystore lock` in a fresh directory and store; a failure must leave neither a lock nor a stored wheel. */
async function lock(args: string[]): Promise<CliResult & { lockPath: string; dir: string }> {
  const dir = join(work.path, `run-${runs++}`);
  await mkdir(dir);
  const store = join(dir, "store");
  const r = await runCli(["lock", ...TARGET, ...args], {
    cwd: dir,
    env: { PYSTORE_STORE: store, PYSTORE_INDEX_URL: "", NETRC: "", HOME: dir, PYSTORE_RETRIES: "0" },
    timeoutMs: 60_000,
  });
  expect(r.stderr).not.toContain("internal error");
  expect(await filesUnder(join(store, "wheels"))).toEqual([]);
  expect(await filesUnder(join(store, "tmp"))).toEqual([]);
  if (r.code !== 0) expect((await readdir(dir)).filter((n) => n !== "store")).toEqual([]);
  return { ...r, lockPath: join(dir, "pylock.toml"), dir };
}

async function lockedVersions(path: string): Promise<Record<string, string | undefined>> {
  const parsed = parsePylock(await readFile(path, "utf8"));
  return Object.fromEntries(parsed.packages.map((p) => [p.name, p.version]));
}

describe("dependency confusion", () => {
  let internal: IndexServer;
  let publicIndex: IndexServer;

  beforeAll(async () => {
    const wheels = join(work.path, "confusion");
    internal = await serve([await buildWheel({ name: "corp-lib", version: "1.0" }, join(wheels, "internal"))]);
    publicIndex = await serve([
      await buildWheel({ name: "corp-lib", version: "99.0" }, join(wheels, "public")),
      await buildWheel({ name: "other-lib", version: "3.0" }, join(wheels, "public")),
    ]);
  });

  it("the default takes the first index that has the project, and says so with -v", async () => {
    const r = await lock(["corp-lib", "other-lib", "--index-url", internal.url, "--extra-index-url", publicIndex.url, "-v"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await lockedVersions(r.lockPath)).toEqual({ "corp-lib": "1.0", "other-lib": "3.0" });
    expect(r.stderr).toContain(
      `debug: "corp-lib" comes from ${internal.url}, the first index that has it; not consulting ${publicIndex.url} (index strategy first-index)`,
    );
    // The public index was never asked for the internal project: a higher version there cannot even be seen.
    expect(publicIndex.requests.some((q) => q.path.startsWith("/simple/corp-lib"))).toBe(false);
    expect(r.stderr).toContain(`debug: ${internal.url} has no project "other-lib"`);
  });

  it("unsafe-best-match is the opt-in that lets the higher public version win", async () => {
    const r = await lock([
      "corp-lib",
      "--index-url",
      internal.url,
      "--extra-index-url",
      publicIndex.url,
      "--index-strategy",
      "unsafe-best-match",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(await lockedVersions(r.lockPath)).toEqual({ "corp-lib": "99.0" });
  });
});

describe("yanked files (PEP 592)", () => {
  let index: IndexServer;
  let yanked: BuiltWheel;

  beforeAll(async () => {
    const dir = join(work.path, "yanked");
    yanked = await buildWheel({ name: "yanky", version: "2.0" }, dir);
    const only = await buildWheel({ name: "only-yanked", version: "1.0" }, dir);
    index = await serve([await buildWheel({ name: "yanky", version: "1.0" }, dir), yanked, only], {
      yanked: { [yanked.filename]: "broken build", [only.filename]: "" },
    });
  });

  it("a yanked version is skipped without an exact pin", async () => {
    const r = await lock(["yanky", "--index-url", index.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await lockedVersions(r.lockPath)).toEqual({ yanky: "1.0" });
  });

  it("an exact == pin may select it, with a warning naming the reason", async () => {
    const r = await lock(["yanky==2.0", "--index-url", index.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await lockedVersions(r.lockPath)).toEqual({ yanky: "2.0" });
    expect(r.stderr).toContain("yanky 2.0 is yanked (broken build); using it because it is pinned with ==");
  });

  it("nothing but yanked versions and no pin: no solution, and the failure says why", async () => {
    const r = await lock(["only-yanked>=1", "--index-url", index.url]);
    expect(r.code).toBe(EXIT.resolution);
    expect(r.stderr).toContain("is yanked; only an exact == pin selects a yanked version");
  });
});

describe("pages that are not simple-API pages", () => {
  let wheel: BuiltWheel;
  beforeAll(async () => {
    wheel = await buildWheel({ name: "broken-page", version: "1.0" }, join(work.path, "broken"));
  });

  const page = "/simple/broken-page/";
  const validFile = () => ({ filename: wheel.filename, url: `../../files/${wheel.filename}`, hashes: { sha256: wheel.sha256 } });
  const cases: [string, () => Fault, string][] = [
    [
      "malformed JSON",
      () => ({ type: "body", body: '{"meta": {"api-version": "1.1"}, "files": [', contentType: JSON_TYPE }),
      "body is not JSON",
    ],
    [
      "a files entry without hashes",
      () => {
        const { hashes: _, ...file } = validFile();
        return {
          type: "body",
          body: JSON.stringify({ meta: { "api-version": "1.1" }, name: "broken-page", files: [file] }),
          contentType: JSON_TYPE,
        };
      },
      'missing key "files[0].hashes"',
    ],
    ["the wrong content type", () => ({ type: "body", body: "name,url\n", contentType: "text/csv" }), 'unexpected content type "text/csv"'],
    [
      "an HTML error page served with 200",
      () => ({ type: "body", body: "<html><body><h1>Sign in</h1><form></form></body></html>", contentType: "text/html; charset=utf-8" }),
      "an HTML page without links or a pypi:repository-version tag (an error or login page?)",
    ],
    [
      "an unknown major API version",
      () => ({
        type: "body",
        body: JSON.stringify({ meta: { "api-version": "2.0" }, name: "broken-page", files: [validFile()] }),
        contentType: JSON_TYPE,
      }),
      "speaks simple API version 2.0; pystore supports 1.x",
    ],
  ];

  it.each(cases)("%s", async (_label, fault, problem) => {
    const s = await serve([wheel], { faults: { [page]: fault() } });
    const r = await lock(["broken-page", "--index-url", s.url, "--json"]);
    expect(r.code).toBe(EXIT.network);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    expect(["INVALID_INDEX_RESPONSE", "UNSUPPORTED_API_VERSION"]).toContain(error.code);
    expect(error.message).toContain(`${s.url}broken-page/`);
    expect(error.message).toContain(problem);
  });
});
