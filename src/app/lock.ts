// Locking a project: gather its inputs; if the lock's memo says nothing it was resolved from has changed,
// answer "up to date"; else resolve them against the indexes (lock-resolve.ts, loaded only then), write
// pylock.toml and register the lock as a gc root. Used by `lock` and by `bundle` (whether a lock is still
// fresh against its project is lock-check.ts).

import { existsSync } from "node:fs";
import { type BuildSettings, DEFAULT_BUILD_SETTINGS } from "../build/policy.js";
import type { IndexClient, IndexClientOptions } from "../index-client/client.js";
import type { TransportSettings } from "../index-client/settings.js";
import type { PackageChange } from "../lock/changes.js";
import { lockedDigests } from "../lock/digests.js";
import { gatherInputs, type LockRequest } from "../lock/gather.js";
import type { LockInputs } from "../lock/inputs.js";
import { lockMemoKey, memoBlocker } from "../lock/memo-key.js";
import { recordedPins } from "../lock/python-pins.js";
import { parseLockText, readLockText } from "../lock/read-lock.js";
import { restoreLock } from "../lock/lock-snapshot.js";
import { recordedInputs } from "../lock/recorded.js";
import type { Pylock } from "../standards/pylock.js";
import type { Db } from "../store/db.js";
import { type LockMemo, openForMemo, readLockMemo, rootHolds, stalePage } from "../store/lock-memo.js";
import type { Store } from "../store/store.js";
import { VERSION } from "../version.js";
import type { AppContext } from "./context.js";
import type { PinRequest } from "./lock-pythons.js";

export interface LockProjectOptions {
  /** With `build`: the building settings (docs/building.md); absent, the defaults. */
  request: LockRequest & { build?: BuildSettings };
  transport: TransportSettings;
  /** The lock file to write (absolute). */
  output: string;
  upgrade?: boolean;
  upgradePackages?: string[];
  /** An open store for the HTTP cache and the gc root; else the configured store, if it opens. */
  store?: Store;
  /** Supplies the index client (bundle shares one with its downloads); else one is opened and closed here. */
  client?: (options: IndexClientOptions) => Promise<IndexClient>;
  /** --embed-python [REF] / --no-embed-python; absent: the existing lock's pinned interpreters are kept. */
  pythons?: PinRequest;
}

export interface LockProjectResult {
  output: string;
  lock: Pylock;
  text: string;
  /** False when the lock already held these bytes (the file is then left untouched). */
  changed: boolean;
  inputs: LockInputs;
  projectDir: string;
  /** Packages whose versions differ from the existing lock's (every package when there was none). */
  changes: PackageChange[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The existing lock at `path` as read: its text and digest, and its parse unless it is damaged. */
interface Existing {
  lock?: Pylock;
  text?: string;
  sha256?: string;
}

/** The lock file's text and digest (undefined when there is none), read once whatever parses it. */
async function existingText(path: string, ctx: AppContext): Promise<{ text: string; sha256: string } | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return await readLockText(path);
  } catch (error) {
    ctx.log.warn(`ignoring the existing lock: ${(error as Error).message}`);
    return undefined;
  }
}

/** The lock parsed; a damaged one is ignored with a warning (re-locking replaces it). */
function parsed(read: { text: string; sha256: string }, path: string, ctx: AppContext): Existing {
  try {
    return { ...read, lock: parseLockText(read.text, path) };
  } catch (error) {
    ctx.log.warn(`ignoring the existing lock: ${(error as Error).message}`);
    return {};
  }
}

/** The gc root a lock registers: its wheels (built ones' build environments too) and its pinned interpreters. */
function rootDigests(lock: Pylock): string[] {
  return [...new Set([...lockedDigests(lock), ...recordedPins(lock).map((p) => p.sha256)])].sort();
}

/**
 * Why the memo does not answer for the lock on disk (in words, for the debug log), or undefined when it
 * does: same key, same file bytes, every page it was resolved from unchanged and fresh in the HTTP cache,
 * the gc root in place.
 */
function memoMiss(db: Db, memo: LockMemo, existing: Existing, key: string, output: string): string | undefined {
  if (memo.lockSha256 !== existing.sha256 || !existing.lock) return "the lock file is not the one last written here";
  if (memo.key !== key) return "its inputs or settings changed";
  const stale = stalePage(db, memo.pages, Date.now());
  if (stale !== undefined) return stale;
  if (!rootHolds(db, "lock", output, rootDigests(existing.lock))) return "its gc root is not registered";
  return undefined;
}

/** The store's database for the memo check: the caller's store, else opened read-only; undefined when there is none. */
function memoDb(opts: LockProjectOptions, ctx: AppContext): Db | undefined {
  try {
    return opts.store?.db ?? openForMemo(ctx.store.dir);
  } catch (error) {
    ctx.log.debug(`no lock memo: the store could not be read: ${(error as Error).message}`);
    return undefined;
  }
}

/** Resolve the project (or the given requirements) for every target and write the lock; a re-run keeps its targets. */
export async function lockProject(opts: LockProjectOptions, ctx: AppContext): Promise<LockProjectResult> {
  const read = await existingText(opts.output, ctx);
  const db = read ? memoDb(opts, ctx) : undefined;
  try {
    let memo: LockMemo | undefined;
    try {
      memo = db && readLockMemo(db, opts.output);
    } catch (error) {
      ctx.log.debug(`no lock memo: the store could not be read: ${(error as Error).message}`);
    }
    // The memo kept the lock as parsed from exactly these bytes: JSON reads far faster than TOML.
    const snapshot = memo?.lockJson !== undefined && memo.lockSha256 === read?.sha256 ? restoreLock(memo.lockJson) : undefined;
    const existing: Existing = read ? (snapshot ? { ...read, lock: snapshot } : parsed(read, opts.output, ctx)) : {};
    // A bare re-lock starts from what the lock records, so `lock --check`'s "run pystore lock" hint re-locks the same inputs.
    const { inputs, projectDir, fromRecord } = await gatherInputs(opts.request, ctx.cwd, ctx.env, {
      recorded: existing.lock && recordedInputs(existing.lock),
      relock: true,
    });
    if (fromRecord.length > 0) ctx.log.info(`using the inputs recorded in ${opts.output}: ${fromRecord.join("; ")} (flags replace them)`);
    // The lock's recorded building flags hold on a bare re-lock, as its other inputs do.
    const build = { ...(opts.request.build ?? DEFAULT_BUILD_SETTINGS), ...inputs.building };
    const blocker = memoBlocker(inputs, {
      upgrade: opts.upgrade,
      upgradePackages: opts.upgradePackages,
      offline: opts.transport.offline,
      checkBuilds: build.check,
      pinChange: (opts.pythons?.kind ?? "keep") !== "keep",
    });
    const memoKey =
      blocker === undefined ? lockMemoKey({ version: VERSION, output: opts.output, inputs, build, existing: existing.lock }) : undefined;
    let why = blocker ?? (opts.transport.refresh ? "--refresh asks the index again" : undefined);
    if (why === undefined && memoKey !== undefined) {
      try {
        why = !memo ? "no memo of this lock" : memoMiss(db!, memo, existing, memoKey, opts.output);
      } catch (error) {
        why = `the store could not be read: ${(error as Error).message}`;
      }
      if (why === undefined && memo && existing.lock && existing.text !== undefined) {
        const lock = existing.lock;
        const wheels = lock.packages.flatMap((p) => p.wheels ?? []);
        ctx.log.info(
          `unchanged ${opts.output}: ${plural(lock.packages.length, "package")}, ${plural(wheels.length, "wheel")}, ${plural(inputs.targets.length, "target")} (up to date: same inputs, and the ${plural(memo.pages.length, "index page")} it was resolved from are unchanged and fresh; nothing resolved)`,
        );
        return { output: opts.output, lock, text: existing.text, changed: false, inputs, projectDir, changes: [] };
      }
    }
    if (why !== undefined && read) ctx.log.debug(`resolving: ${why}`);
    if (!opts.store) db?.close();
    const { resolveLock } = await import("./lock-resolve.js");
    return await resolveLock(opts, ctx, { existing: existing.lock, previous: existing.text, inputs, projectDir, build, memoKey });
  } finally {
    if (!opts.store && db?.open) db.close();
  }
}
