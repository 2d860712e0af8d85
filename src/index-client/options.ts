// Index client options from CLI flags and environment (shared by every command that talks to indexes).

import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";
import type { IndexClientOptions, IndexStrategy } from "./client.js";

/** The flags src/cli/commands-index.ts `addIndexOptions` declares, as commander hands them over. */
export interface IndexCliOptions {
  indexUrl?: string;
  extraIndexUrl?: string[];
  findLinks?: string[];
  indexStrategy?: string;
  proxy?: string;
  cert?: string;
  offline?: boolean;
}

function seconds(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new PystoreError("INVALID_CONFIG", `${name}=${JSON.stringify(raw)} is not a positive number of seconds`);
  return Math.round(value * 1000);
}

function count(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new PystoreError("INVALID_CONFIG", `${name}=${JSON.stringify(raw)} is not an integer >= ${min}`);
  return value;
}

/**
 * Flags win over the environment: PYSTORE_INDEX_URL, PYSTORE_EXTRA_INDEX_URL (space-separated),
 * PYSTORE_CONNECT_TIMEOUT / PYSTORE_READ_TIMEOUT (seconds), PYSTORE_RETRIES, PYSTORE_CONCURRENCY.
 */
export function indexClientOptions(flags: IndexCliOptions, ctx: { env: NodeJS.ProcessEnv; cwd: string; log: Logger }): IndexClientOptions {
  const strategy = flags.indexStrategy ?? "first-index";
  if (strategy !== "first-index" && strategy !== "unsafe-best-match") {
    throw new PystoreError("USAGE", `unknown --index-strategy ${JSON.stringify(strategy)}`, { hint: "use first-index (default) or unsafe-best-match" });
  }
  const envExtra = ctx.env.PYSTORE_EXTRA_INDEX_URL?.trim().split(/\s+/).filter(Boolean) ?? [];
  return {
    indexUrl: flags.indexUrl ?? (ctx.env.PYSTORE_INDEX_URL?.trim() || undefined),
    extraIndexUrls: flags.extraIndexUrl?.length ? flags.extraIndexUrl : envExtra,
    findLinks: flags.findLinks ?? [],
    indexStrategy: strategy as IndexStrategy,
    proxy: flags.proxy,
    cert: flags.cert,
    offline: flags.offline ?? false,
    connectTimeoutMs: seconds(ctx.env, "PYSTORE_CONNECT_TIMEOUT"),
    readTimeoutMs: seconds(ctx.env, "PYSTORE_READ_TIMEOUT"),
    retries: count(ctx.env, "PYSTORE_RETRIES", 0),
    concurrency: count(ctx.env, "PYSTORE_CONCURRENCY", 1),
    env: ctx.env,
    cwd: ctx.cwd,
    log: ctx.log,
  };
}
