// `pystore lock` with nothing changed answers from the lock's memo (store-format/sqlite-schema.md, "Lock
// memos"): no request, no resolution, the file untouched, the same output as a re-lock that resolved; and
// a changed input, a changed or stale page, an edited lock or --refresh resolves again.

import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { type BuiltWheel, buildWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

/** The end of the line `lock` prints when its memo answered (src/app/lock.ts). */
const ANSWERED = "nothing resolved)";

let work: TempDir;
let fresh: IndexServer;
let uncached: IndexServer;
const yanked: Record<string, string> = {};

beforeAll(async () => {
  work = await tempDir("lock-memo-cli");
  const dir = join(work.path, "wheels");
  const wheels: BuiltWheel[] = [
    await buildWheel({ name: "memo-top", version: "1.0", requiresDist: ["memo-dep>=1"] }, dir),
    await buildWheel({ name: "memo-dep", version: "1.1" }, dir),
    await buildWheel({ name: "memo-dep", version: "1.2" }, dir),
    await buildWheel({ name: "memo-other", version: "2.0" }, dir),
  ];
  // PyPI's header on every project page: fresh for ten minutes.
  fresh = await startIndexServer({ wheels, yanked, pageHeaders: { "cache-control": "max-age=600, public" } });
  uncached = await startIndexServer({ wheels, pageHeaders: { "cache-control": "max-age=0" } });
});

afterAll(async () => {
  await fresh?.close();
  await uncached?.close();
  await work?.cleanup();
});

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

function lock(name: string, args: string[], server = fresh) {
  const dir = join(work.path, name);
  return runCli(["-v", "lock", "-o", join(dir, "pylock.toml"), ...TARGET, "--index-url", server.url, ...args], {
    cwd: work.path,
    env: { PYSTORE_STORE: join(work.path, `store-${name}`) },
  });
}

/** A lock written, then re-locked once: that re-lock starts from the lock it wrote, so it records the memo. */
async function settled(name: string, args: string[], server = fresh): Promise<string> {
  for (const run of [await lock(name, args, server), await lock(name, args, server)]) {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(ANSWERED);
  }
  return readFile(join(work.path, name, "pylock.toml"), "utf8");
}

describe("lock with nothing changed", () => {
  it("answers up to date from the memo: no request, nothing resolved, the file untouched, the same --json", async () => {
    const text = await settled("same", ["memo-top"]);
    const path = join(work.path, "same", "pylock.toml");
    const before = await stat(path);
    const asked = fresh.requests.length;

    const answered = await lock("same", ["memo-top", "--json"]);
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stderr).toContain(ANSWERED);
    expect(answered.stderr).toMatch(
      /unchanged .*pylock\.toml: 2 packages, 2 wheels, 1 target \(up to date: same inputs, and the 2 index pages/,
    );
    expect(answered.stderr).not.toMatch(/resolving for/);
    expect(fresh.requests.length).toBe(asked);
    expect(await readFile(path, "utf8")).toBe(text);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);

    // --refresh resolves (asking the index again) and says the same.
    const resolved = await lock("same", ["memo-top", "--json", "--refresh"]);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stderr).not.toContain(ANSWERED);
    expect(resolved.stderr).toMatch(/resolving for/);
    expect(fresh.requests.length).toBeGreaterThan(asked);
    expect(JSON.parse(answered.stdout)).toMatchObject({ changed: false, changes: [] });
    expect(answered.stdout).toBe(resolved.stdout);

    // The run with --refresh recorded a memo of its own, from the pages it revalidated.
    const again = await lock("same", ["memo-top"]);
    expect(again.stderr).toContain(ANSWERED);
  });

  it("does not answer a first lock's memo: the re-lock that reproduces the lock does", async () => {
    const first = await lock("first", ["memo-top"]);
    expect(first.code, first.stderr).toBe(0);
    const second = await lock("first", ["memo-top"]);
    expect(second.stderr).not.toContain(ANSWERED);
    expect(second.stderr).toMatch(/resolving: its inputs or settings changed/);
    expect((await lock("first", ["memo-top"])).stderr).toContain(ANSWERED);
  });

  it("resolves again when a requirement changes", async () => {
    await settled("requirement", ["memo-top"]);
    const more = await lock("requirement", ["memo-top", "memo-other"]);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stderr).not.toContain(ANSWERED);
    expect(more.stderr).toMatch(/wrote .*pylock\.toml: 3 packages/);
  });

  it("resolves again, and rewrites the file, when the lock was edited", async () => {
    const text = await settled("edited", ["memo-top"]);
    const path = join(work.path, "edited", "pylock.toml");
    await writeFile(path, `${text}# edited by hand\n`);
    const run = await lock("edited", ["memo-top"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(ANSWERED);
    expect(run.stderr).toMatch(/resolving: the lock file is not the one last written here/);
    expect(run.stderr).toMatch(/wrote .*pylock\.toml/);
    expect(await readFile(path, "utf8")).toBe(text);
  });

  it("resolves again when a page it was resolved from changed in the cache", async () => {
    const text = await settled("page", ["memo-top"]);
    // The index yanks a file, and another lock sharing the store revalidates the page, storing the new body.
    yanked["memo_dep-1.1-py3-none-any.whl"] = "broken";
    try {
      const other = await runCli(
        ["lock", "-o", join(work.path, "page-other", "pylock.toml"), ...TARGET, "--index-url", fresh.url, "--refresh", "memo-dep"],
        { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store-page") } },
      );
      expect(other.code, other.stderr).toBe(0);
      const run = await lock("page", ["memo-top"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain(ANSWERED);
      expect(run.stderr).toMatch(/resolving: .*\/simple\/memo-dep\/ changed/);
      expect(await readFile(join(work.path, "page", "pylock.toml"), "utf8")).toBe(text);
    } finally {
      delete yanked["memo_dep-1.1-py3-none-any.whl"];
    }
  });

  it("resolves, asking the index, every time pages are never fresh (max-age=0)", async () => {
    await settled("stale", ["memo-top"], uncached);
    const asked = uncached.requests.length;
    const run = await lock("stale", ["memo-top"], uncached);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(ANSWERED);
    expect(run.stderr).toMatch(/is no longer fresh/);
    const revalidations = uncached.requests.slice(asked).filter((r) => r.path.startsWith("/simple/"));
    expect(revalidations).toHaveLength(2);
    for (const request of revalidations) expect(request.headers["if-none-match"], request.path).toBeDefined();
  });

  it("resolves with --upgrade, and says why", async () => {
    await settled("upgrade", ["memo-top"]);
    const run = await lock("upgrade", ["memo-top", "--upgrade"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(ANSWERED);
    expect(run.stderr).toMatch(/resolving: --upgrade asks for a new resolution/);
  });
});
