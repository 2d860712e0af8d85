// kill -9 at seeded random moments of fetch, store add, store import, store export and store gc, through
// the real CLI: after each kill the store verifies clean, the next run leaves no temp debris (in the store
// or beside an -o file) and produces what an uninterrupted run produces. The step-by-step kills of the
// write protocol and of gc are in test/integration (store-reliability, store-gc-crash); these cover the
// commands and moments those do not. PYSTORE_SLOW_TESTS=1 runs fifty kills per command.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp.js";
import { type CrashCase, cli, crashFixture, crashLoop, crashSeed, type Fixture, ITERATIONS, SLOW } from "./crash-kit.js";

let work: { path: string; cleanup: () => Promise<void> };
let fx: Fixture;
/** A store holding every wheel, for export and as the source of the closure archive. */
let full: string;
let closure: string;

beforeAll(async () => {
  work = await tempDir("crash-store");
  fx = await crashFixture(work.path);
  full = join(work.path, "full-store");
  expect((await cli(work.path, full, ["store", "add", ...fx.wheels.map((w) => w.path)])).code).toBe(0);
  closure = join(work.path, "closure.tar");
  expect((await cli(work.path, full, ["store", "export", ...fx.wheels.map((w) => w.filename), "-o", closure])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await fx?.server.close();
  await work?.cleanup();
});

const timeout = SLOW ? 1_800_000 : 120_000;

/** The sorted sha256s `store ls` lists. */
async function stored(store: string): Promise<string> {
  const ls = await cli(work.path, store, ["store", "ls", "--json"]);
  expect(ls.code, ls.stderr).toBe(0);
  return (JSON.parse(ls.stdout) as { sha256: string }[])
    .map((e) => e.sha256)
    .sort()
    .join(" ");
}

/** A case that starts each iteration from an empty store. */
function intoFreshStore(name: string, args: (store: string) => string[]): CrashCase {
  const store = join(work.path, `store-${name.replace(/\W+/g, "-")}`);
  return {
    name,
    cwd: work.path,
    store,
    args: args(store),
    prepare: () => rm(store, { recursive: true, force: true }),
    result: () => stored(store),
  };
}

describe("kill -9 at random moments", () => {
  it(
    "fetch from a loopback index",
    async () => {
      await crashLoop(
        intoFreshStore("fetch", () => ["fetch", "-l", fx.lock, "--index-url", fx.server.url]),
        ITERATIONS,
        crashSeed("fetch"),
      );
    },
    timeout,
  );

  it(
    "store add of six wheels",
    async () => {
      await crashLoop(
        intoFreshStore("store add", () => ["store", "add", ...fx.wheels.map((w) => w.path)]),
        ITERATIONS,
        crashSeed("store add"),
      );
    },
    timeout,
  );

  it(
    "store import of a closure archive",
    async () => {
      await crashLoop(
        intoFreshStore("store import", () => ["store", "import", closure]),
        ITERATIONS,
        crashSeed("store import"),
      );
    },
    timeout,
  );

  it(
    "store export -o: the same archive bytes, nothing else left beside it",
    async () => {
      const outDir = join(work.path, "export-out");
      const archive = join(outDir, "closure.tar");
      const c: CrashCase = {
        name: "store export",
        cwd: work.path,
        store: full,
        args: ["store", "export", ...fx.wheels.map((w) => w.filename), "-o", archive],
        prepare: async () => {},
        result: async () => createHash("sha256").update(readFileSync(archive)).digest("hex"),
        settled: async (context) => expect(readdirSync(outDir), context).toEqual(["closure.tar"]),
      };
      await crashLoop(c, ITERATIONS, crashSeed("store export"));
    },
    timeout,
  );

  it(
    "store gc of unrooted entries: never a row without its file, the rerun finishes the job",
    async () => {
      const pristine = join(work.path, "gc-pristine");
      expect((await cli(work.path, pristine, ["store", "add", ...fx.wheels.map((w) => w.path)])).code).toBe(0);
      // Older than gc's grace period and rooted by nothing: everything is garbage.
      const db = new Database(join(pristine, "store.db"));
      db.prepare("UPDATE entries SET added_at = added_at - 2 * 3600 * 1000").run();
      db.close();
      const store = join(work.path, "gc-store");
      const c: CrashCase = {
        name: "store gc",
        cwd: work.path,
        store,
        // --grace 0: what a killed gc left as orphan directories is new on disk, and must go too.
        args: ["store", "gc", "--grace", "0"],
        prepare: async () => {
          await rm(store, { recursive: true, force: true });
          await cp(pristine, store, { recursive: true });
        },
        result: async () => `${await stored(store)}|${existsSync(join(store, "wheels")) ? readdirSync(join(store, "wheels")).length : 0}`,
      };
      await crashLoop(c, ITERATIONS, crashSeed("store gc"));
    },
    timeout,
  );
});
