// Index client options from CLI flags and environment (shared by every command that talks to indexes).

import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";
import type { IndexClientOptions, IndexStrategy } from "./client.js";

/** The flags src/cli/commands-index.ts `addIndexOptions` declares, as commander hands them over. */
export interface IndexCliOptions {
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

// A bad flag is a usage error; a bad variable is a configuration error.
const codeFor = (name: string): "USAGE" | "INVALID_CONFIG" => (name.startsWith("--") ? "USAGE" : "INVALID_CONFIG");

function seconds(raw: string | undefined, name: string): number | undefined {
  raw = raw?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new PystoreError(codeFor(name), `${name}=${JSON.stringify(raw)} is not a positive number of seconds`);
  return Math.round(value * 1000);
}

function count(raw: string | undefined, name: string, min: number): number | undefined {
  raw = raw?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new PystoreError(codeFor(name), `${name}=${JSON.stringify(raw)} is not an integer >= ${min}`);
  return value;
}

/** PYSTORE_NO_INDEX=1/true/yes (as PIP_NO_INDEX); anything else but empty/0/false/no is an error. */
export function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw || raw === "0" || raw === "false" || raw === "no" || raw === "off") return false;
  if (raw === "1" || raw === "true" || raw === "yes" || raw === "on") return true;
  throw new PystoreError("INVALID_CONFIG", `${name}=${JSON.stringify(env[name])} is not a boolean`, { hint: "use 1 or 0" });
}

/** --no-index given on the command line or through PYSTORE_NO_INDEX. */
export function noIndexFlag(flags: IndexCliOptions, env: NodeJS.ProcessEnv): boolean {
  return flags.index === false || envFlag(env, "PYSTORE_NO_INDEX");
}

/** The strategy flag, validated; undefined when not given (callers apply config, then the default). */
export function strategyFlag(flags: IndexCliOptions): IndexStrategy | undefined {
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
 * Flags win over the environment: PYSTORE_INDEX_URL, PYSTORE_EXTRA_INDEX_URL (space-separated),
 * PYSTORE_NO_INDEX, PYSTORE_CONNECT_TIMEOUT / PYSTORE_READ_TIMEOUT (seconds), PYSTORE_RETRIES,
 * PYSTORE_CONCURRENCY. Commands with more sources (a lock's requirements files and pyproject.toml)
 * override the index list afterwards, keeping the transport settings from here.
 */
export function indexClientOptions(flags: IndexCliOptions, ctx: { env: NodeJS.ProcessEnv; cwd: string; log: Logger }): IndexClientOptions {
  const envExtra = ctx.env.PYSTORE_EXTRA_INDEX_URL?.trim().split(/\s+/).filter(Boolean) ?? [];
  return {
    indexUrl: flags.indexUrl ?? (ctx.env.PYSTORE_INDEX_URL?.trim() || undefined),
    extraIndexUrls: flags.extraIndexUrl?.length ? flags.extraIndexUrl : envExtra,
    findLinks: flags.findLinks ?? [],
    noIndex: noIndexFlag(flags, ctx.env),
    indexStrategy: strategyFlag(flags) ?? "first-index",
    proxy: flags.proxy,
    cert: flags.cert,
    offline: flags.offline ?? false,
    connectTimeoutMs:
      seconds(flags.connectTimeout, "--connect-timeout") ?? seconds(ctx.env.PYSTORE_CONNECT_TIMEOUT, "PYSTORE_CONNECT_TIMEOUT"),
    readTimeoutMs: seconds(flags.readTimeout, "--read-timeout") ?? seconds(ctx.env.PYSTORE_READ_TIMEOUT, "PYSTORE_READ_TIMEOUT"),
    retries: count(flags.retries, "--retries", 0) ?? count(ctx.env.PYSTORE_RETRIES, "PYSTORE_RETRIES", 0),
    concurrency: count(ctx.env.PYSTORE_CONCURRENCY, "PYSTORE_CONCURRENCY", 1),
    env: ctx.env,
    cwd: ctx.cwd,
    log: ctx.log,
  };
}
