// Command-line flags and PYSTORE_* variables into typed settings: the one place commander's option shapes
// are read. Libraries and src/app take IndexRequest, TransportSettings, LockRequest, StoreSettings, never these.

import { resolve as resolvePath } from "node:path";
import type { AppContext, StoreSettings, TargetSettings } from "../app/context.js";
import type { LockUse } from "../app/lock-check.js";
import { PystoreError } from "../errors.js";
import type { IndexClientOptions, IndexStrategy } from "../index-client/client.js";
import { clientOptions, type IndexRequest, requestedIndexes, type TransportSettings } from "../index-client/settings.js";
import type { LockRequest } from "../lock/gather.js";
import type { BuildSettings } from "../build/policy.js";
import type { RemoteStoreRequest } from "../oci/settings.js";
import type { PrereleaseMode } from "../resolver/candidates.js";
import { resolveStoreDir } from "../store/location.js";
import type { Logger } from "../util/log.js";
import { loadSources, loadUserLayer } from "../config/load.js";
import { type Effective, type FlagValue, resolveSetting, type Sources } from "../config/resolve.js";
import type { LinkMode } from "../install/importer.js";
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
  /** `--refresh`: revalidate cached index pages however fresh. */
  refresh?: boolean;
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
  /** commander's `--no-build`: false when given. */
  build?: boolean;
  /** `--no-build-package` (commander names it after the negated flag; `true` when not given). */
  buildPackage?: string[] | boolean;
  /** `--no-binary-package`, likewise. */
  binaryPackage?: string[] | boolean;
  buildPython?: string;
  buildNetwork?: boolean;
  checkBuilds?: boolean;
}

/** Building sdists: the flags, else PYSTORE_NO_BUILD / PYSTORE_BUILD_NETWORK; default build when no wheel fits (docs/building.md). */
export function buildSettings(flags: LockFlags, env: NodeJS.ProcessEnv, where: Where = {}): BuildSettings {
  const list = (value: string[] | boolean | undefined) => (Array.isArray(value) ? value : []);
  const settings: BuildSettings = {
    noBuild: flags.build === false || envFlag(env, "PYSTORE_NO_BUILD"),
    noBuildPackages: list(flags.buildPackage),
    noBinaryPackages: list(flags.binaryPackage),
    network: flags.buildNetwork === true || envFlag(env, "PYSTORE_BUILD_NETWORK"),
  };
  const python = buildPythonSetting(flags, env, where);
  if (python) settings.python = python;
  if (flags.checkBuilds) settings.check = true;
  return settings;
}

/**
 * The interpreter sdists are built with, the one rule for lock, fetch and bundle: --build-python, else
 * PYSTORE_PYTHON, else the user file's build-python; undefined: python3.X on PATH for the target's X.Y.
 */
export function buildPythonSetting(flags: { buildPython?: string }, env: NodeJS.ProcessEnv, where: Where = {}): string | undefined {
  const flag = given("--build-python", flags.buildPython);
  const value = resolveSetting("build-python", sourcesFor(env, where, flag ? { "build-python": flag } : {})).value;
  return typeof value === "string" ? value : undefined;
}

/** Where the project's configuration is read: --project (relative to the working directory), else the working directory. */
interface Where {
  cwd?: string;
  project?: string;
  /** False (`lock --check`): leave the environment and the user file out. */
  environment?: boolean;
}

/** The sources below the command line (environment, project files, user file), for settings whose flag the caller reads. */
function sourcesFor(env: NodeJS.ProcessEnv, where: Where, flags: Sources["flags"] = {}): Sources {
  const cwd = where.cwd ?? process.cwd();
  return loadSources({ flags, env, projectDir: resolvePath(cwd, where.project ?? "."), environment: where.environment });
}

/** A setting's value when it came from one of `origins`, else undefined (the caller or a library applies the rest). */
function valueFrom<T>(setting: Effective, ...origins: Effective["origin"]["kind"][]): T | undefined {
  return origins.includes(setting.origin.kind) ? (setting.value as T) : undefined;
}

const given = (name: string, value: string | string[] | boolean | undefined): FlagValue | undefined =>
  value === undefined || value === false ? undefined : { name, value };

/** The flags `config show` and the transport read, keyed by setting. */
export function flagValues(flags: IndexFlags & { jobs?: string; copy?: boolean; remoteStore?: string[] }): Sources["flags"] {
  return {
    "index-url": given("--index-url", flags.indexUrl),
    "extra-index-urls": given("--extra-index-url", flags.extraIndexUrl),
    "find-links": given("--find-links", flags.findLinks),
    "index-strategy": given("--index-strategy", flags.indexStrategy),
    "no-index": flags.index === false ? { name: "--no-index", value: true } : undefined,
    proxy: given("--proxy", flags.proxy),
    cert: given("--cert", flags.cert),
    "connect-timeout": given("--connect-timeout", flags.connectTimeout),
    "read-timeout": given("--read-timeout", flags.readTimeout),
    retries: given("--retries", flags.retries),
    offline: given("--offline", flags.offline),
    jobs: given("--jobs", flags.jobs),
    "link-mode": flags.copy ? { name: "--copy", value: "copy" } : undefined,
    "remote-stores": given("--remote-store", flags.remoteStore),
  };
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
 * The index flags, and below them PYSTORE_INDEX_URL, PYSTORE_EXTRA_INDEX_URL (space-separated),
 * PYSTORE_NO_INDEX and the user file (docs/configuration.md). pyproject.toml's [tool.pystore] is merged by
 * the lock itself (src/lock/index-config.ts), so a value the project sets is left to it: the user file
 * fills in only what neither the environment nor the project gives. `environment: false` (`lock --check`)
 * leaves the variables and the user file out: the lock's record stands in for them.
 */
export function indexRequest(flags: IndexFlags, env: NodeJS.ProcessEnv, opts: Where = {}): IndexRequest {
  const useEnv = opts.environment !== false;
  const below = sourcesFor(env, opts);
  const machine = <T>(key: string) => valueFrom<T>(resolveSetting(key, below), "env", "user");
  const fromUser = <T>(key: string) => valueFrom<T>(resolveSetting(key, below), "user");
  return {
    indexUrl: flags.indexUrl,
    extraIndexUrls: flags.extraIndexUrl ?? [],
    findLinks: flags.findLinks?.length ? flags.findLinks : (fromUser<string[]>("find-links") ?? []),
    noIndex: flags.index === false,
    strategy: strategyFlag(flags) ?? fromUser<IndexStrategy>("index-strategy"),
    env: useEnv
      ? {
          indexUrl: machine<string>("index-url"),
          extraIndexUrls: machine<string[]>("extra-index-urls") ?? [],
          noIndex: machine<boolean>("no-index") === true,
        }
      : { extraIndexUrls: [], noIndex: false },
  };
}

/**
 * Transport settings: flags > PYSTORE_CONNECT_TIMEOUT / PYSTORE_READ_TIMEOUT (seconds), PYSTORE_RETRIES,
 * PYSTORE_CONCURRENCY, PYSTORE_OFFLINE > the project's files > the user file. A proxy or CA file from the user
 * file applies only when no proxy variable or SSL_CERT_FILE is set (the index client reads those itself).
 */
export function transportSettings(flags: IndexFlags, env: NodeJS.ProcessEnv, opts: Where = {}): TransportSettings {
  const sources = sourcesFor(env, opts, flagValues(flags));
  const setting = (key: string) => resolveSetting(key, sources);
  const ms = (key: string) => {
    const value = valueFrom<number>(setting(key), "flag", "env", "project", "user");
    return value === undefined ? undefined : Math.round(value * 1000);
  };
  return {
    proxy: valueFrom<string>(setting("proxy"), "flag", "user"),
    cert: valueFrom<string>(setting("cert"), "flag", "user"),
    offline: setting("offline").value === true,
    refresh: flags.refresh === true,
    connectTimeoutMs: ms("connect-timeout"),
    readTimeoutMs: ms("read-timeout"),
    retries: valueFrom<number>(setting("retries"), "flag", "env", "project", "user"),
    concurrency: valueFrom<number>(setting("concurrency"), "env", "project", "user"),
  };
}

/** IndexClient options for commands whose index list is the flags' own (no project files to merge). */
export function indexClientOptions(flags: IndexFlags, ctx: { env: NodeJS.ProcessEnv; cwd: string; log: Logger }): IndexClientOptions {
  const where = { cwd: ctx.cwd };
  return clientOptions(requestedIndexes(indexRequest(flags, ctx.env, where)), transportSettings(flags, ctx.env, where), ctx);
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
export function lockRequest(
  args: string[],
  flags: LockFlags,
  env: NodeJS.ProcessEnv,
  opts: { environment?: boolean; cwd?: string } = {},
): LockRequest & { build: BuildSettings } {
  const build = buildSettings(flags, env, { ...opts, project: flags.project });
  return {
    build,
    building: { noBuild: build.noBuild, noBuildPackages: build.noBuildPackages, noBinaryPackages: build.noBinaryPackages },
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
    index: indexRequest(flags, env, { ...opts, project: flags.project }),
  };
}

/** --store, else $PYSTORE_STORE, else the user file's store-dir, else the XDG default. */
export function storeSettings(ctx: CommandContext): StoreSettings {
  if (ctx.global.store || ctx.env.PYSTORE_STORE) return { dir: resolveStoreDir(ctx.global.store, ctx.env, ctx.cwd) };
  const fromUser = loadUserLayer(ctx.env)?.values.get("store-dir");
  return { dir: typeof fromUser === "string" ? fromUser : resolveStoreDir(undefined, ctx.env, ctx.cwd) };
}

/** --extra/--group where a lock is installed from (fetch, bundle, export): the locked extras and groups chosen. */
export function selectionSettings(flags: { extra?: string[]; group?: string[] }): { extras: string[]; groups: string[] } {
  return { extras: flags.extra ?? [], groups: flags.group ?? [] };
}

/** --platform (default host) and --python. */
export function targetSettings(flags: { platform?: string; python?: string }): TargetSettings {
  return { platform: flags.platform ?? "host", python: flags.python };
}

/** What the application layer runs with, from a command's context. */
export function appContext(ctx: CommandContext): AppContext {
  return { env: ctx.env, cwd: ctx.cwd, log: ctx.log, store: storeSettings(ctx) };
}

/** -j, else PYSTORE_JOBS, else the project's files, else the user file, else 4 (`fetch`). */
export function jobsSetting(flags: { jobs?: string }, ctx: Pick<CommandContext, "env" | "cwd">): number {
  if (flags.jobs !== undefined) return parseJobs(flags.jobs);
  return resolveSetting("jobs", sourcesFor(ctx.env, { cwd: ctx.cwd })).value as number;
}

/** --copy, else PYSTORE_LINK_MODE, else the project's files, else the user file; undefined ("auto") lets the importer probe. */
export function linkModeSetting(
  flags: { copy?: boolean; project?: string },
  ctx: Pick<CommandContext, "env" | "cwd">,
): LinkMode | undefined {
  const sources = sourcesFor(ctx.env, { cwd: ctx.cwd, project: flags.project }, flagValues(flags));
  const mode = resolveSetting("link-mode", sources).value;
  return mode === "auto" ? undefined : (mode as LinkMode);
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

/** The remote-store flags (src/cli/commands-store.ts, addRemoteStoreOptions), as commander hands them over. */
export interface RemoteStoreFlags {
  remoteStore?: string[];
  insecureRegistry?: string[];
  pushTo?: string;
}

const words = (raw: string | undefined) => raw?.trim().split(/\s+/).filter(Boolean) ?? [];

/** --remote-store over PYSTORE_REMOTE_STORE (space-separated); --insecure-registry plus PYSTORE_INSECURE_REGISTRY. */
export function remoteStoreRequest(flags: RemoteStoreFlags, env: NodeJS.ProcessEnv): RemoteStoreRequest {
  return {
    flags: flags.remoteStore ?? [],
    // PYSTORE_REMOTE_STORE, else pystore.toml or [tool.pystore], else the user file.
    env: valueFrom<string[]>(resolveSetting("remote-stores", sourcesFor(env, {})), "env", "project", "user") ?? [],
    insecureRegistries: [...(flags.insecureRegistry ?? []), ...words(env.PYSTORE_INSECURE_REGISTRY)],
    ...(flags.pushTo ? { pushTo: flags.pushTo } : {}),
  };
}
