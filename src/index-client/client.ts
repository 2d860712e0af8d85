// The index client: lists a project's files across indexes and find-links (first-index by default, which
// protects against dependency confusion), fetches core metadata and downloads files, within a concurrency bound.

import { PystoreError } from "../errors.js";
import { DEFAULT_INDEX_URL } from "./settings.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Written } from "../util/atomic-write.js";
import { silentLogger, type Logger } from "../util/log.js";
import { redactUrl, stripCredentials } from "../util/redact.js";
import { CredentialStore } from "./auth.js";
import { METADATA_CONTENT_TYPE, type HttpCache } from "./cache.js";
import { HttpTransport } from "./http.js";
import type { DownloadOptions } from "./download.js";
import { Semaphore } from "../util/semaphore.js";
import { sourceFor, type Source, type SourceContext } from "./sources.js";
import { type Transport, transportFor } from "./transports.js";
import { closestNames } from "../util/suggest.js";

export type { CachedResponse, HttpCache } from "./cache.js";
export type { ProjectFile } from "../standards/simple-api.js";

export { DEFAULT_INDEX_URL };
/** Parallel requests to indexes, and transfers to and from registries, unless configured. */
export const DEFAULT_CONCURRENCY = 8;

export type IndexStrategy = "first-index" | "unsafe-best-match";

export interface IndexClientOptions {
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  indexStrategy?: IndexStrategy;
  proxy?: string;
  cert?: string;
  offline?: boolean;
  /** Revalidate cached index pages even when the index said they are still fresh. */
  refresh?: boolean;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  retries?: number;
  /** First retry delay (doubles per retry); mostly for tests. */
  retryBaseMs?: number;
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  cache?: HttpCache;
  /** Directory relative paths (find-links, index dirs) are resolved against. */
  cwd?: string;
  /**
   * Per-project index pins (project name → index URL, e.g. from `[tool.pystore]` config): a pinned project
   * is looked up on that index only, never on the others nor in find-links.
   */
  indexPins?: Record<string, string>;
  /**
   * pip's --no-index: consult no index at all (indexUrl, extraIndexUrls and indexPins are ignored), only
   * findLinks. Nothing is requested from the default index, so it works with no network.
   */
  noIndex?: boolean;
}

export class IndexClient {
  readonly strategy: IndexStrategy;
  readonly offline: boolean;
  readonly noIndex: boolean;
  /** Indexes in priority order, credentials stripped (safe to print and to store). */
  readonly indexes: string[];
  readonly findLinks: string[];
  private readonly http: HttpTransport;
  private readonly indexSources: Source[];
  private readonly findLinksSources: Source[];
  private readonly pins = new Map<string, Source>();
  private readonly semaphore: Semaphore;
  private readonly log: Logger;
  private readonly cache?: HttpCache;

  constructor(opts: IndexClientOptions = {}) {
    const env = opts.env ?? process.env;
    this.log = opts.log ?? silentLogger;
    this.cache = opts.cache;
    this.offline = opts.offline ?? false;
    this.noIndex = opts.noIndex ?? false;
    this.strategy = opts.indexStrategy ?? "first-index";
    if (this.strategy !== "first-index" && this.strategy !== "unsafe-best-match") {
      throw new PystoreError("USAGE", `unknown index strategy ${JSON.stringify(this.strategy)}`, {
        hint: "use first-index or unsafe-best-match",
      });
    }
    const credentials = new CredentialStore(env, this.log);
    this.http = new HttpTransport({
      proxy: opts.proxy,
      cert: opts.cert,
      env,
      credentials,
      log: this.log,
      connectTimeoutMs: opts.connectTimeoutMs,
      readTimeoutMs: opts.readTimeoutMs,
      retries: opts.retries,
      retryBaseMs: opts.retryBaseMs,
    });
    this.semaphore = new Semaphore(opts.concurrency ?? DEFAULT_CONCURRENCY);
    const ctx: SourceContext = { http: this.http, cache: opts.cache, offline: this.offline, refresh: opts.refresh, log: this.log };
    const cwd = opts.cwd ?? process.cwd();
    const clean = (location: string) => {
      if (!/^https?:\/\//i.test(location)) return location;
      try {
        return credentials.register(location);
      } catch (error) {
        throw new PystoreError("INVALID_CONFIG", `invalid URL ${JSON.stringify(redactUrl(location))}`, { cause: error });
      }
    };
    const indexUrls = this.noIndex ? [] : [opts.indexUrl ?? DEFAULT_INDEX_URL, ...(opts.extraIndexUrls ?? [])];
    // Credentials of the ignored index URLs still apply to downloads from their hosts (e.g. a lock's URLs).
    if (this.noIndex) for (const url of [opts.indexUrl, ...(opts.extraIndexUrls ?? [])]) if (url) clean(url);
    this.indexSources = indexUrls.map(clean).map((u) => sourceFor(u, "index", ctx, cwd));
    this.findLinksSources = (opts.findLinks ?? []).map(clean).map((u) => sourceFor(u, "find-links", ctx, cwd));
    const pins = Object.entries(opts.indexPins ?? {});
    if (this.noIndex && pins.length > 0) {
      this.log.warn(
        `--no-index: ignoring the index pins of ${pins
          .map(([p]) => p)
          .sort()
          .join(", ")}; they come from --find-links only`,
      );
    }
    for (const [project, url] of this.noIndex ? [] : pins) {
      const cleaned = clean(url);
      const existing = this.indexSources.find((s) => s.location === stripCredentials(cleaned.endsWith("/") ? cleaned : `${cleaned}/`));
      this.pins.set(canonicalizeName(project), existing ?? sourceFor(cleaned, "index", ctx, cwd));
    }
    this.indexes = this.indexSources.map((s) => s.location);
    this.findLinks = this.findLinksSources.map((s) => s.location);
  }

  /** The index `name` is pinned to (credentials stripped), if any: it is then the only place searched. */
  pinFor(name: string): string | undefined {
    return this.pins.get(canonicalizeName(name))?.location;
  }

  /** Project names close to `canonical` that some source lists (a typo's likely fix); best effort, bounded. */
  private async nearNames(canonical: string): Promise<string[]> {
    const sources = [...this.indexSources, ...this.findLinksSources].filter((s) => s.projectNames);
    const lists = await Promise.all(sources.map((s) => this.semaphore.run(() => s.projectNames!())));
    const names = new Set(lists.flatMap((l) => l ?? []).map(canonicalizeName));
    return closestNames(canonical, names);
  }

  /**
   * The files a project has: from the first index that knows it (or every index with unsafe-best-match),
   * plus every find-links source. Throws PACKAGE_NOT_FOUND when none has it.
   */
  async getProject(name: string): Promise<ProjectFile[]> {
    const canonical = canonicalizeName(name);
    const pinned = this.pins.get(canonical);
    if (pinned) {
      const files = await this.semaphore.run(() => pinned.list(canonical));
      if (files === undefined) {
        throw new PystoreError(
          "PACKAGE_NOT_FOUND",
          `${JSON.stringify(name)} is pinned to ${redactUrl(pinned.location)}, which has no such project`,
          {
            hint: "fix the index pin in the configuration, or remove it",
          },
        );
      }
      return files;
    }
    const found: ProjectFile[] = [];
    let anyIndex = false;
    for (const [i, source] of this.indexSources.entries()) {
      const files = await this.semaphore.run(() => source.list(canonical));
      if (files === undefined) {
        this.log.debug(`${redactUrl(source.location)} has no project ${JSON.stringify(canonical)}`);
        continue;
      }
      anyIndex = true;
      found.push(...files);
      const later = this.indexSources.slice(i + 1).map((s) => redactUrl(s.location));
      if (this.strategy === "first-index") {
        // Said out loud because it is the dependency-confusion defence: a later index's higher version is never seen.
        if (later.length > 0) {
          this.log.debug(
            `${JSON.stringify(canonical)} comes from ${redactUrl(source.location)}, the first index that has it; not consulting ${later.join(", ")} (index strategy first-index)`,
          );
        }
        break;
      }
    }
    const fromLinks = await Promise.all(this.findLinksSources.map((s) => this.semaphore.run(() => s.list(canonical))));
    const anyLinks = fromLinks.some((f) => f !== undefined);
    for (const files of fromLinks) found.push(...(files ?? []));
    if (!anyIndex && !anyLinks) {
      const searched = [...this.indexes, ...this.findLinks].map(redactUrl);
      if (this.noIndex) {
        // --no-index may come from a requirements file or [tool.pystore]: say what was (not) searched.
        const where = searched.length
          ? `no --find-links source has a project named ${JSON.stringify(name)} (--no-index; searched: ${searched.join(", ")})`
          : `${JSON.stringify(name)} cannot be found: --no-index turns every index off and no --find-links source was given`;
        throw new PystoreError("PACKAGE_NOT_FOUND", where, {
          hint: `add a --find-links directory (or page) that holds ${name}, or drop --no-index (the flag, PYSTORE_NO_INDEX, a requirements-file line or [tool.pystore] no-index) to search the indexes`,
          details: { project: canonical, searched, noIndex: true },
        });
      }
      const near = await this.nearNames(canonical);
      throw new PystoreError(
        "PACKAGE_NOT_FOUND",
        `no index has a project named ${JSON.stringify(name)} (searched: ${searched.join(", ")})${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(" or ")}?` : ""}`,
        {
          hint: near.length
            ? `fix the requirement's spelling (the index has ${near.join(", ")})`
            : "check the spelling, or add the index that serves it with --index-url/--extra-index-url",
          details: { project: canonical, searched, noIndex: false, ...(near.length ? { suggestions: near } : {}) },
        },
      );
    }
    // The same file can come from two sources (an index and a find-links directory): keep the first.
    const seen = new Set<string>();
    return found.filter((f) => {
      const keys = [f.url, ...(f.hashes.sha256 ? [`${f.filename}\0${f.hashes.sha256}`] : [])];
      if (keys.some((k) => seen.has(k))) return false;
      for (const k of keys) seen.add(k);
      return true;
    });
  }

  /** The wheel's METADATA text (cached: it is immutable for a given file URL). */
  async getMetadata(file: ProjectFile): Promise<string> {
    const key = `${stripCredentials(file.url)}.metadata`;
    const cached = this.cache?.get(key);
    if (cached && cached.contentType === METADATA_CONTENT_TYPE) return cached.body;
    const transport = this.transport(file.url);
    if (this.offline && !transport.local) {
      throw new PystoreError(
        "OFFLINE_MISSING",
        `offline: the core metadata of ${file.filename} (from ${redactUrl(file.index)}) is not in the cache`,
        {
          hint: "run once without --offline to fill the cache",
        },
      );
    }
    const text = await this.semaphore.run(() => transport.metadata(file));
    this.cache?.put(key, { body: text, contentType: METADATA_CONTENT_TYPE, fetchedAt: new Date().toISOString() });
    return text;
  }

  /** Download `file` to `destination` atomically, verified against `expected` (default: the index's sha256 and size). */
  async downloadToFile(file: ProjectFile, destination: string, opts: DownloadOptions = {}): Promise<Written> {
    const transport = this.transport(file.url);
    return this.semaphore.run(() => transport.download(file, destination, opts));
  }

  private transport(url: string): Transport {
    return transportFor(url, { http: this.http, offline: this.offline, log: this.log });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
