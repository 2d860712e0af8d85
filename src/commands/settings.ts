// Command-line flags and PYSTORE_* variables into typed settings: the one place commander's option shapes
// are read. Libraries and src/app take IndexRequest, TransportSettings, LockRequest, StoreSettings, never these.

import type { AppContext, StoreSettings, TargetSettings } from "../app/context.js";
import type { LockUse } from "../app/lock-check.js";
import { PystoreError } from "../errors.js";
import type { IndexClientOptions, IndexStrategy } from "../index-client/client.js";
import { clientOptions, type IndexRequest, requestedIndexes, type TransportSettings } from "../index-client/settings.js";
import type { LockRequest } from "../lock/gather.js";
import type { PrereleaseMode } from "../resolver/candidates.js";
import { resolveStoreDir } from "../store/location.js";
import type { Logger } from "../util/log.js";
import type { CommandContext } from "./context.js";

/** The flags src/cli/commands-index.ts declares (addIndexOptions, addTransportOptions), as commander hands them over. */
export interface IndexFlags {
  indexUrl?: string;
  extraIndexUrl?: string[];
  findLinks?: string[];
  /** commander's `--no-index`: false when given. */
  index?: boolean;
  indexStrategy?: string;
  proxy?: string;
  cert?: string;
  offline?: boolean;
  connectTimeout?: string;
  readTimeout?: string;
  retries?: string;
}

/** The lock-input flags `lock` declares (src/cli/commands-lock.ts). */
export interface LockFlags extends IndexFlags {
  project?: string;
  requirement?: string[];
  platform?: string[];
  python?: string[];
  prerelease?: string;
  excludeNewer?: string;
  extra?: string[];
  group?: string[];
  addTarget?: string[];
}

// A bad flag is a usage error; a bad variable is a configuration error.
const codeFor = (name: string): "USAGE" | "INVALID_CONFIG" => (name.startsWith("--") ? "USAGE" : "INVALID_CONFIG");

function seconds(raw: string | undefined, name: string): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new PystoreError(codeFor(name), `${name}=${JSON.stringify(text)} is not a positive number of seconds`);
  return Math.round(value * 1000);
}

function count(raw: string | undefined, name: string, min: number): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new PystoreError(codeFor(name), `${name}=${JSON.stringify(text)} is not an integer >= ${min}`);
  return value;
}

/** PYSTORE_NO_INDEX=1/true/yes (as PIP_NO_INDEX); anything else but empty/0/false/no is an error. */
export function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw || raw === "0" || raw === "false" || raw === "no" || raw === "off") return false;
  if (raw === "1" || raw === "true" || raw === "yes" || raw === "on") return true;
  throw new PystoreError("INVALID_CONFIG", `${name}=${JSON.stringify(env[name])} is not a boolean`, { hint: "use 1 or 0" });
}

function strategyFlag(flags: IndexFlags): IndexStrategy | undefined {
  const strategy = flags.indexStrategy;
  if (strategy === undefined) return undefined;
  if (strategy !== "first-index" && strategy !== "unsafe-best-match") {
    throw new PystoreError("USAGE", `unknown --index-strategy ${JSON.stringify(strategy)}`, {
      hint: "use first-index (default) or unsafe-best-match",
    });
  }
  return strategy;
}

/**
 * The index flags with PYSTORE_INDEX_URL, PYSTORE_EXTRA_INDEX_URL (space-separated) and PYSTORE_NO_INDEX.
 * `environment: false` (`lock --check`) leaves the variables out: the lock's record stands in for them.
 */
export function indexRequest(flags: IndexFlags, env: NodeJS.ProcessEnv, opts: { environment?: boolean } = {}): IndexRequest {
  const useEnv = opts.environment !== false;
  return {
    indexUrl: flags.indexUrl,
    extraIndexUrls: flags.extraIndexUrl ?? [],
    findLinks: flags.findLinks ?? [],
    noIndex: flags.index === false,
    strategy: strategyFlag(flags),
    env: useEnv
      ? {
          indexUrl: env.PYSTORE_INDEX_URL?.trim() || undefined,
          extraIndexUrls: env.PYSTORE_EXTRA_INDEX_URL?.trim().split(/\s+/).filter(Boolean) ?? [],
          noIndex: envFlag(env, "PYSTORE_NO_INDEX"),
        }
      : { extraIndexUrls: [], noIndex: false },
  };
}

/** Transport flags over PYSTORE_CONNECT_TIMEOUT / PYSTORE_READ_TIMEOUT (seconds), PYSTORE_RETRIES, PYSTORE_CONCURRENCY. */
export function transportSettings(flags: IndexFlags, env: NodeJS.ProcessEnv): TransportSettings {
  return {
    proxy: flags.proxy,
    cert: flags.cert,
    offline: flags.offline ?? false,
    connectTimeoutMs: seconds(flags.connectTimeout, "--connect-timeout") ?? seconds(env.PYSTORE_CONNECT_TIMEOUT, "PYSTORE_CONNECT_TIMEOUT"),
    readTimeoutMs: seconds(flags.readTimeout, "--read-timeout") ?? seconds(env.PYSTORE_READ_TIMEOUT, "PYSTORE_READ_TIMEOUT"),
    retries: count(flags.retries, "--retries", 0) ?? count(env.PYSTORE_RETRIES, "PYSTORE_RETRIES", 0),
    concurrency: count(env.PYSTORE_CONCURRENCY, "PYSTORE_CONCURRENCY", 1),
  };
}

/** IndexClient options for commands whose index list is the flags' own (no project files to merge). */
export function indexClientOptions(flags: IndexFlags, ctx: { env: NodeJS.ProcessEnv; cwd: string; log: Logger }): IndexClientOptions {
  return clientOptions(requestedIndexes(indexRequest(flags, ctx.env)), transportSettings(flags, ctx.env), ctx);
}

const PRERELEASE_MODES: PrereleaseMode[] = ["allow", "if-necessary-or-explicit", "disallow"];

function prereleaseFlag(raw: string | undefined): PrereleaseMode | undefined {
  if (raw === undefined) return undefined;
  if (!(PRERELEASE_MODES as string[]).includes(raw))
    throw new PystoreError("USAGE", `--prerelease ${JSON.stringify(raw)}: use ${PRERELEASE_MODES.join(", ")}`);
  return raw as PrereleaseMode;
}

/** `--add-target PLATFORM:PYTHON`; split at the last colon, since a platform may be a file path. */
export function parseAddTarget(raw: string): { platform: string; python: string } {
  const at = raw.lastIndexOf(":");
  const platform = raw.slice(0, at).trim();
  const python = raw.slice(at + 1).trim();
  if (at < 0 || !platform || !python)
    throw new PystoreError("USAGE", `--add-target ${JSON.stringify(raw)} is not PLATFORM:PYTHON`, {
      hint: "e.g. --add-target win_amd64:3.12",
    });
  return { platform, python };
}

/** What `lock` (and bundle's lock-first path) was asked to lock; `environment: false` for `lock --check`. */
export function lockRequest(args: string[], flags: LockFlags, env: NodeJS.ProcessEnv, opts: { environment?: boolean } = {}): LockRequest {
  return {
    requirements: args,
    project: flags.project,
    requirementFiles: flags.requirement ?? [],
    platforms: flags.platform ?? [],
    pythons: flags.python ?? [],
    addTargets: (flags.addTarget ?? []).map(parseAddTarget),
    extras: flags.extra,
    groups: flags.group,
    prerelease: prereleaseFlag(flags.prerelease),
    excludeNewer: flags.excludeNewer,
    index: indexRequest(flags, env, opts),
  };
}

/** --store, else $PYSTORE_STORE, else the XDG default. */
export function storeSettings(ctx: CommandContext): StoreSettings {
  return { dir: resolveStoreDir(ctx.global.store, ctx.env, ctx.cwd) };
}

/** --platform (default host) and --python. */
export function targetSettings(flags: { platform?: string; python?: string }): TargetSettings {
  return { platform: flags.platform ?? "host", python: flags.python };
}

/** What the application layer runs with, from a command's context. */
export function appContext(ctx: CommandContext): AppContext {
  return { env: ctx.env, cwd: ctx.cwd, log: ctx.log, store: storeSettings(ctx) };
}

/** `-j N`: an integer >= 1 (default 4); anything else is a usage error naming the value. */
export function parseJobs(raw: string | undefined): number {
  if (raw === undefined) return 4;
  const text = raw.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new PystoreError("USAGE", `--jobs ${JSON.stringify(raw)} is not an integer >= 1`, { hint: "e.g. -j 4" });
  }
  return Number(text);
}

/** --frozen or --locked (`bundle`, `fetch`), as uv has them; undefined when neither is given. */
export function lockUse(flags: { frozen?: boolean; locked?: boolean }): LockUse | undefined {
  if (flags.frozen && flags.locked) {
    throw new PystoreError("USAGE", "--frozen and --locked contradict each other", {
      hint: "--frozen uses the lock as it is; --locked (the default) refuses a lock its project has moved past",
    });
  }
  return flags.frozen ? "frozen" : flags.locked ? "locked" : undefined;
}
