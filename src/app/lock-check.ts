// Whether a lock still fits its project, without the network: `lock --check` asks, and `bundle` and `fetch`
// refuse a stale lock (unless --frozen) with the same explanation.

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { checkLock } from "../lock/check.js";
import type { LockRequest } from "../lock/gather.js";
import { type ReadLock, readLockFile } from "../lock/read-lock.js";
import { recordedInputs } from "../lock/recorded.js";
import type { Pylock } from "../standards/pylock.js";
import type { AppContext } from "./context.js";

/** The request `lock --check` makes with no flags: everything open comes from the lock's own record. */
function checkRequest(project: string | undefined): LockRequest {
  return {
    requirements: [],
    project,
    requirementFiles: [],
    platforms: [],
    pythons: [],
    index: { extraIndexUrls: [], findLinks: [], noIndex: false, env: { extraIndexUrls: [], noIndex: false } },
  };
}

async function staleReasons(
  existing: Pylock,
  request: LockRequest,
  ctx: Pick<AppContext, "cwd" | "env">,
  damage?: "throw",
): Promise<string[]> {
  // Loaded here: gathering the project's inputs brings the index client, which a frozen lock never needs.
  const { gatherInputs } = await import("../lock/gather.js");
  const { inputs } = await gatherInputs(request, ctx.cwd, ctx.env, { recorded: recordedInputs(existing), check: true });
  return checkLock(existing, inputs, { damage });
}

/**
 * Why the lock at `output` is stale (empty: fresh), without the network. Whatever the request leaves open
 * comes from the lock itself, so only the project's inputs are compared.
 */
export async function checkProjectLock(request: LockRequest, output: string, ctx: Pick<AppContext, "cwd" | "env">): Promise<string[]> {
  if (!existsSync(output)) throw new PystoreError("LOCK_STALE", `${output} does not exist`, { hint: "run pystore lock" });
  const { lock: existing } = await readLockFile(output);
  return staleReasons(existing, request, ctx);
}

/** The one stale-lock error: `lock --check`, `bundle` and `fetch` explain it alike. */
export function staleLockError(output: string, reasons: string[], hint = "run pystore lock to update it"): PystoreError {
  return new PystoreError("LOCK_STALE", `${output} is stale:\n  ${reasons.join("\n  ")}`, { hint, details: { reasons } });
}

/** How `bundle` and `fetch` take an existing lock: checked against its project first (--locked, the default) or as it is (--frozen). */
export type LockUse = "locked" | "frozen";

const shellWord = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);

/**
 * The lock at `lockPath`, refused with `lock --check`'s explanation when its project has moved on. The
 * project is `projectDir` (--project), else the directory of a pyproject.toml beside the lock; a lock with
 * neither, or one pystore did not write (no recorded inputs to compare), is used as it is. Reads only files:
 * the recorded inputs are compared, never the index.
 */
export async function readFreshLock(
  lockPath: string,
  projectDir: string | undefined,
  ctx: Pick<AppContext, "cwd" | "env" | "log">,
): Promise<ReadLock> {
  const read = await readLockFile(lockPath);
  const project = projectDir ?? (existsSync(join(dirname(lockPath), "pyproject.toml")) ? dirname(lockPath) : undefined);
  if (project === undefined) {
    ctx.log.debug(`${lockPath}: no project beside it, used as it is`);
    return read;
  }
  if (!recordedInputs(read.lock)) {
    ctx.log.warn(`${lockPath} records no inputs (it was not written by pystore lock): its freshness is not checked`);
    return read;
  }
  const reasons = await staleReasons(read.lock, checkRequest(project), ctx, "throw");
  if (reasons.length === 0) return read;
  const relock = ["pystore", "lock"];
  if (resolve(ctx.cwd, project) !== ctx.cwd) relock.push("--project", project);
  if (lockPath !== join(resolve(ctx.cwd, project), "pylock.toml")) relock.push("-o", lockPath);
  throw staleLockError(lockPath, reasons, `run ${relock.map(shellWord).join(" ")} to update it, or pass --frozen to use the lock as it is`);
}
