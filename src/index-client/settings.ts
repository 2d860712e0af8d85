// Typed index and transport settings, as libraries take them: built from flags and PYSTORE_* variables
// by src/commands/settings.ts, merged with project files by src/lock/index-config.ts.

import type { Logger } from "../util/log.js";
import type { IndexClientOptions, IndexStrategy } from "./client.js";

/**
 * PyPI, where packages come from when nothing names an index. Here, in a module without imports, so that
 * gathering a lock's inputs and reading settings do not load the HTTP client and its HTML parser.
 */
export const DEFAULT_INDEX_URL = "https://pypi.org/simple/";

/**
 * Index choices given on the command line and in the environment, kept apart because their precedence
 * differs (flag > requirements file > environment > [tool.pystore]) and `lock --check` ignores the environment.
 */
export interface IndexRequest {
  /** --index-url */
  indexUrl?: string;
  /** --extra-index-url (repeatable); empty when not given. */
  extraIndexUrls: string[];
  /** --find-links (repeatable). */
  findLinks: string[];
  /** --no-index */
  noIndex: boolean;
  /** --index-strategy, validated; undefined when not given. */
  strategy?: IndexStrategy;
  /** PYSTORE_INDEX_URL, PYSTORE_EXTRA_INDEX_URL, PYSTORE_NO_INDEX; empty when the environment is not consulted. */
  env: { indexUrl?: string; extraIndexUrls: string[]; noIndex: boolean };
}

/** Where packages come from once every source is merged. */
export interface IndexSettings {
  indexUrl: string;
  extraIndexUrls: string[];
  findLinks: string[];
  indexStrategy: IndexStrategy;
  noIndex: boolean;
  /** Canonical project name → the only index it may come from. */
  indexPins: Record<string, string>;
}

/** How to reach indexes and files: proxy, CA, timeouts, retries, offline. */
export interface TransportSettings {
  proxy?: string;
  cert?: string;
  offline: boolean;
  /** Revalidate cached index pages however fresh the index said they are (`--refresh`; a flag only). */
  refresh?: boolean;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  retries?: number;
  concurrency?: number;
}

/** The index list a request names by itself (flags over the environment), for commands without project files. */
export function requestedIndexes(
  request: IndexRequest,
): Pick<IndexClientOptions, "indexUrl" | "extraIndexUrls" | "findLinks" | "noIndex" | "indexStrategy"> {
  return {
    indexUrl: request.indexUrl ?? request.env.indexUrl,
    extraIndexUrls: request.extraIndexUrls.length ? request.extraIndexUrls : request.env.extraIndexUrls,
    findLinks: request.findLinks,
    noIndex: request.noIndex || request.env.noIndex,
    indexStrategy: request.strategy ?? "first-index",
  };
}

/** IndexClient options from typed settings; `indexes` may be a request's own list or merged IndexSettings. */
export function clientOptions(
  indexes: Partial<IndexSettings> & Pick<IndexClientOptions, "indexUrl">,
  transport: TransportSettings,
  where: { env: NodeJS.ProcessEnv; cwd: string; log: Logger },
): IndexClientOptions {
  return { ...transport, ...indexes, env: where.env, cwd: where.cwd, log: where.log };
}
