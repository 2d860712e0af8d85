// An interrupted `pystore bundle` through the real CLI: SIGINT and SIGTERM remove what the build had
// staged next to OUT before the process dies of the signal; after kill -9, the next bundle into the same
// directory removes the debris no live process owns, and keeps what a live one does.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { tempDir } from "../bundle/helpers.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
let work: { path: string; cleanup: () => Promise<void> };
let lock: string;
const children: ChildProcess[] = [];

const env = () => ({ ...process.env, NO_COLOR: "1", PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "0" });
const cli = (args: string[]) => runCli(args, { cwd: work.path, env: env(), timeoutMs: 60_000 });

beforeAll(async () => {
  work = await tempDir("bundle-interrupt");
  const wheel = await buildWheel(
    {
      name: "plain",
      version: "1.0",
      files: { "plain/__init__.py": "def main():\n    return 0\n", "plain/data.txt": "some data\n".repeat(50_000) },
      entryPoints: { console_scripts: { plain: "plain:main" } },
    },
    join(work.path, "wheels"),
  );
  await writeTree(work.path, { "pylock.toml": lockFor([{ wheel, path: join("wheels", wheel.filename) }]) });
  lock = join(work.path, "pylock.toml");
}, 60_000);
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await work?.cleanup();
});

const debris = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith(".tmp-"));

/** Wait (bounded) until `ready` holds; polls, since the child announces nothing. */
async function until(ready: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Any non-empty regular file under `dir` (the archive being written inside its staging directory). */
async function hasNonEmptyFile(dir: string): Promise<boolean> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (await stat(join(entry.parentPath, entry.name))).size > 0) return true;
  }
  return false;
}

/**
 * Start a bundle that pauses (PYSTORE_TEST_CRASH_AT) once its staging tree holds the wheels (dir) or its
 * archive holds bytes (tar.gz, pyz), and wait until that is visible on disk.
 */
async function pausedBundle(out: string, format: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PYSTORE_BIN, "bundle", "-l", lock, ...TARGET, "--format", format, "-o", out], {
    cwd: work.path,
    env: { ...env(), PYSTORE_TEST_CRASH_AT: format === "dir" ? "bundle-pause-staging" : "bundle-pause-archive" },
    stdio: "ignore",
  });
  children.push(child);
  const dir = join(out, "..");
  await until(async () => {
    const name = (await debris(dir)).find((n) => n.includes(`.${child.pid}.`));
    if (name === undefined) return false;
    return format === "dir" ? (await readdir(join(dir, name))).includes("site-packages") : hasNonEmptyFile(join(dir, name));
  }, `${format} staging next to ${out}`);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the interrupted bundle did not exit")), 20_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe("SIGINT and SIGTERM during bundle", () => {
  it.each([
    ["tar.gz", "SIGTERM"],
    ["pyz", "SIGINT"],
    ["dir", "SIGTERM"],
    ["dir", "SIGINT"],
  ] as const)(
    "a %s bundle interrupted by %s leaves nothing next to OUT and dies of the signal",
    async (format, signal) => {
      const dir = join(work.path, `signal-${format}-${signal}`);
      await mkdir(dir);
      const out = join(dir, "app");
      const child = await pausedBundle(out, format);
      child.kill(signal);
      // Dying of the signal (not exiting 0 or 1) is what shells report as 128+n: 130 for SIGINT, 143 for SIGTERM.
      expect(await exited(child)).toEqual({ code: null, signal });
      expect(await readdir(dir)).toEqual([]);
    },
    40_000,
  );
});

describe("kill -9 during bundle", () => {
  it.each(["tar.gz", "pyz", "dir"])(
    "the next %s bundle into the same directory removes the dead build's debris",
    async (format) => {
      const dir = join(work.path, `kill-${format}`);
      await mkdir(dir);
      // `bundle verify` knows a .pyz by its name.
      const name = format === "pyz" ? "app.pyz" : "app";
      const out = join(dir, name);
      const left: string[] = [];
      for (let i = 0; i < 2; i++) {
        const child = await pausedBundle(out, format);
        child.kill("SIGKILL");
        expect((await exited(child)).signal).toBe("SIGKILL");
        left.push(...(await debris(dir)));
      }
      // The second (also killed) build already removed what the first left: one staging directory remains.
      expect(new Set(left).size).toBe(2);
      expect(await debris(dir)).toEqual([left[1]]);
      const result = await cli(["bundle", "-l", lock, ...TARGET, "--format", format, "-o", out]);
      expect(result.code).toBe(0);
      expect(await readdir(dir)).toEqual([name]);
      expect((await cli(["bundle", "verify", out])).code).toBe(0);
    },
    60_000,
  );

  it("keeps staging whose pid is alive and started before it, removes a reused pid's and a dead pid's", async () => {
    const dir = join(work.path, "owners");
    await mkdir(dir);
    // A live process and its start time (field 22 of /proc/PID/stat, after the command name).
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(sleeper);
    const pid = sleeper.pid!;
    await until(async () => (await readFile(`/proc/${pid}/stat`, "utf8")).includes("(sleep)"), "sleep to start");
    const start = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ")[19];
    const dead = spawn("true");
    await exited(dead);
    const live = `.tmp-app@${start}.${pid}.0123456789ab`;
    const reused = `.tmp-app@1.${process.pid}.0123456789ab`;
    const gone = `.tmp-app.${dead.pid}.0123456789ab`;
    const unrelated = `.tmp-other@1.${dead.pid}.0123456789ab`;
    for (const name of [live, reused, gone, unrelated]) await mkdir(join(dir, name, "site-packages"), { recursive: true });
    const result = await cli(["bundle", "-l", lock, ...TARGET, "--format", "tar.gz", "-o", join(dir, "app")]);
    expect(result.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([live, unrelated, "app"].sort());
  }, 60_000);
});
