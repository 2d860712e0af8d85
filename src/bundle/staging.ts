// The private staging directory next to OUT: its name (whose owner a later run can identify), removal
// on SIGINT/SIGTERM, removal of a dead build's debris, and full or read-only disks reported as IO.

import { readFileSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TEMP_PREFIX, tempName } from "../util/atomic-write.js";
import { errnoOf, errorPath, writeFailure } from "../util/fs-errors.js";
import type { Logger } from "../util/log.js";

/**
 * Test-only pause points (PYSTORE_TEST_CRASH_AT, store-format/store-layout.md): the build waits, so a
 * test can send it a real signal at a known step. Read once; when unset each hook is one comparison.
 */
const PAUSE_AT = process.env.PYSTORE_TEST_CRASH_AT;
const PAUSE_MS = 30_000;

export async function pauseIfRequested(point: "bundle-pause-staging" | "bundle-pause-archive"): Promise<void> {
  if (PAUSE_AT === point) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
}

/** Start time of process `pid` in clock ticks since boot (/proc/PID/stat field 22); undefined off Linux. */
function startTicks(pid: number | "self"): string | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const OWN_START = startTicks("self");

/**
 * `.tmp-<OUT's name>@<start>.<pid>.<12 hex>`: the pid says which process builds it, the start time
 * tells that process from a later one that was given the same pid.
 */
export function stagingName(base: string, prefix = ""): string {
  return tempName(`${prefix}${base}${OWN_START === undefined ? "" : `@${OWN_START}`}`);
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function ownerAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // Alive, but a process started at another time only reuses the pid of the build that left this.
  return start === undefined || startTicks(pid) === undefined || startTicks(pid) === start;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Put an interrupted build's leftovers right: a previous bundle moved aside (`old-`) goes back to OUT
 * when OUT is missing; everything else goes. Best effort: what cannot be removed now is removed later.
 */
function settle(dir: string, name: string, out: string, old: boolean): void {
  const path = join(dir, name);
  try {
    if (old && !exists(out)) renameSync(path, out);
    else rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* left for the next run */
  }
}

/**
 * Remove staging and partial archives that earlier builds of OUT left in `dir` and no live process
 * owns (kill -9, a power cut). Names from before the start time was recorded are judged by pid alone.
 */
export function removeStaleStaging(dir: string, base: string, out: string, log: Logger): void {
  const pattern = new RegExp(`^${literal(TEMP_PREFIX)}(old-)?${literal(base)}(?:@(\\d+))?\\.(\\d+)\\.[0-9a-f]{12}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[3]);
    if (pid === process.pid || ownerAlive(pid, match[2])) continue;
    settle(dir, name, out, match[1] !== undefined);
    log.debug(`removed ${join(dir, name)}, left by an interrupted bundle (process ${pid})`);
  }
}

/**
 * Run `work` with SIGINT and SIGTERM removing this process's staging for OUT first. The signal is then
 * raised again with no listener left, so the process dies of it as it would have (a shell reports 130 or
 * 143, and a script running the bundle in a loop stops too).
 */
export async function removedOnSignal<T>(dir: string, base: string, out: string, work: () => Promise<T>): Promise<T> {
  const own = new RegExp(`^${literal(TEMP_PREFIX)}(old-)?${literal(base)}(?:@\\d+)?\\.${process.pid}\\.[0-9a-f]{12}$`);
  const onSignal = (signal: NodeJS.Signals) => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    try {
      for (const name of readdirSync(dir)) {
        const match = own.exec(name);
        if (match) settle(dir, name, out, match[1] !== undefined);
      }
    } finally {
      process.kill(process.pid, signal);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await work();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * `error` as an IO error naming OUT and the path when the output's filesystem failed a write while
 * `what` was being written (full, quota, read-only, permissions, too many open files, a name too long).
 * Write and fsync errors carry no path; an error with a path outside `dir`, OUT's directory, is not the
 * output's (an unreadable project file) and is returned unchanged, as is anything that is not an fs error.
 */
export function asWriteFailure(error: unknown, out: string, dir: string, what: string): unknown {
  if (error instanceof PystoreError || errnoOf(error) === undefined) return error;
  const path = errorPath(error);
  if (path !== undefined && !path.startsWith(`${dir}/`) && path !== dir) return error;
  return writeFailure(error, path ?? out, `${what} of ${out}`);
}

/**
 * A store file the build was reading (a tree member, a wheel) that no longer exists: a concurrent
 * `store gc` took it (only possible with `--grace 0`, or a gc that began before this build claimed its
 * entries). STORE_IO naming it, instead of an fs error; undefined for anything else.
 */
export function vanishedFromStore(error: unknown, storeDir: string): PystoreError | undefined {
  if (error instanceof PystoreError || errnoOf(error) !== "ENOENT") return undefined;
  const path = (error as NodeJS.ErrnoException).path;
  if (path === undefined || !path.startsWith(`${storeDir}/`) || exists(path)) return undefined;
  return new PystoreError("STORE_IO", `${path} was removed from the store while the bundle was reading it`, {
    hint: "a `pystore store gc` ran meanwhile (with --grace 0?); run the bundle again, and run gc when no bundle or fetch is running",
    cause: error,
    details: { path },
  });
}
