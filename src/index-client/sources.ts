// Where project files are listed: a remote simple index (HTML or JSON, cached with ETag/Last-Modified),
// a file:// index directory, a --find-links directory, and a find-links HTML page.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { checkApiVersion, parseProjectHtml, parseProjectJson, type ProjectFile, type ProjectPage } from "../standards/simple-api.js";
import { parseSdistFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import type { Logger } from "../util/log.js";
import { redactUrl, stripCredentials } from "../util/redact.js";
import { NOT_FOUND_CONTENT_TYPE, type CachedResponse, type HttpCache } from "./cache.js";
import { freshUntil } from "./cache-control.js";
import { type HttpResponse, type HttpTransport, readBodyLimited, refusedError } from "./http.js";
import { isSupportedUrl, SUPPORTED_SCHEMES, schemeOf } from "./transports.js";

/**
 * The largest project page (or find-links page) pystore reads: 40 MiB. PyPI's biggest pages are a few
 * megabytes and a page of 100,000 files stays under it; anything larger is a broken or hostile index,
 * refused before it fills memory (docs/indexes.md).
 */
export const MAX_PROJECT_PAGE_BYTES = 40 * 1024 * 1024;

function pageTooLarge(url: string, declared?: number): PystoreError {
  const size = declared === undefined ? "more than" : `${declared} bytes, more than`;
  return new PystoreError(
    "INVALID_INDEX_RESPONSE",
    `the page ${redactUrl(url)} is too large: ${size} the ${MAX_PROJECT_PAGE_BYTES} byte (40 MiB) limit`,
    {
      hint: "a simple-API page that large is a misconfigured or hostile index; check --index-url and --find-links",
      details: { url: redactUrl(url), limit: MAX_PROJECT_PAGE_BYTES, ...(declared === undefined ? {} : { declared }) },
    },
  );
}

/** A page's text, size-limited; decoded as undici's text() does (UTF-8, a leading BOM dropped). */
async function pageText(res: HttpResponse, url: string): Promise<string> {
  const bytes = await readBodyLimited(res, MAX_PROJECT_PAGE_BYTES, (declared) => pageTooLarge(url, declared));
  return new TextDecoder().decode(bytes);
}

const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

export interface SourceContext {
  http: HttpTransport;
  cache?: HttpCache;
  offline: boolean;
  /** Revalidate every cached page, however fresh the index said it was (`--refresh`). */
  refresh?: boolean;
  log: Logger;
}

/** A place that lists a project's files; `undefined` means "this source does not have the project". */
export interface Source {
  /** The URL or path, credentials stripped. */
  readonly location: string;
  readonly kind: "index" | "find-links";
  list(name: string): Promise<ProjectFile[] | undefined>;
  /**
   * The project names this source has, when that is cheap to learn (a directory, or an index root page
   * under PROJECT_LIST_LIMIT): only for "did you mean" after a miss, so any failure is undefined.
   */
  projectNames?(): Promise<string[] | undefined>;
}

/** The largest index root page read for suggestions: an internal index's list, not PyPI's 600,000 names. */
export const PROJECT_LIST_LIMIT = 4 * 1024 * 1024;

/** Project names of a simple-API root page (PEP 691 JSON or PEP 503 HTML). */
function rootPageNames(body: string, contentType: string): string[] {
  if (contentType.includes("json")) {
    const projects = (JSON.parse(body) as { projects?: { name?: unknown }[] }).projects ?? [];
    return projects.map((p) => p.name).filter((n): n is string => typeof n === "string");
  }
  return [...body.matchAll(/<a\b[^>]*>([^<]+)<\/a>/gi)].map((m) => m[1].trim());
}

function offlineMissing(what: string): PystoreError {
  return new PystoreError("OFFLINE_MISSING", `offline: ${what} is not in the cache`, {
    hint: "run the same command once without --offline to fill the cache, or fetch the packages into the store first",
  });
}

/** Distribution name of a wheel or sdist filename, canonical; undefined for other files. */
function distributionName(filename: string): string | undefined {
  try {
    if (filename.endsWith(".whl")) return parseWheelFilename(filename).normalizedName;
    if (/\.(tar\.gz|zip|tar\.bz2|tgz)$/.test(filename)) return parseSdistFilename(filename).normalizedName;
  } catch {
    return undefined;
  }
  return undefined;
}

function parseSimplePage(body: string, contentType: string, pageUrl: string, index: string, log: Logger): ProjectPage {
  const type = contentType.split(";")[0].trim().toLowerCase();
  let page: ProjectPage;
  if (type === "application/vnd.pypi.simple.v1+json" || type === "application/vnd.pypi.simple.latest+json") {
    page = parseProjectJson(body, pageUrl, index);
  } else if (type === "text/html" || type === "application/vnd.pypi.simple.v1+html" || type === "application/vnd.pypi.simple.latest+html") {
    page = parseProjectHtml(body, pageUrl, index, { strict: true });
  } else {
    throw new PystoreError(
      "INVALID_INDEX_RESPONSE",
      `invalid project page from ${redactUrl(pageUrl)}: unexpected content type ${JSON.stringify(contentType)}`,
      {
        hint: "a simple index answers with application/vnd.pypi.simple.v1+json or text/html; check --index-url",
      },
    );
  }
  const warning = checkApiVersion(page.apiVersion, pageUrl);
  if (warning) log.warn(warning);
  return page;
}

class RemoteIndexSource implements Source {
  readonly kind = "index" as const;
  readonly location: string;
  constructor(
    readonly url: string,
    private readonly ctx: SourceContext,
  ) {
    this.location = stripCredentials(url);
  }

  async projectNames(): Promise<string[] | undefined> {
    if (this.ctx.offline) return undefined;
    try {
      return await this.ctx.http.request(this.url, { headers: { accept: SIMPLE_ACCEPT }, noRetry: true }, async (res) => {
        if (res.status !== 200) {
          await res.body.dump();
          return undefined;
        }
        const body = await readBodyLimited(res, PROJECT_LIST_LIMIT, () => new PystoreError("INVALID_INDEX_RESPONSE", "too large"));
        return rootPageNames(body.toString("utf8"), res.headers["content-type"] ?? "");
      });
    } catch {
      return undefined;
    }
  }

  async list(name: string): Promise<ProjectFile[] | undefined> {
    const pageUrl = new URL(`${encodeURIComponent(canonicalizeName(name))}/`, this.url).toString();
    const key = stripCredentials(pageUrl);
    const cached = this.ctx.cache?.get(key);
    if (this.ctx.offline) {
      if (!cached) throw offlineMissing(`the project page for ${JSON.stringify(name)} from ${redactUrl(this.location)}`);
      if (cached.contentType === NOT_FOUND_CONTENT_TYPE) return undefined;
      return parseSimplePage(cached.body, cached.contentType, key, this.location, this.ctx.log).files;
    }
    // Within the lifetime the index gave it (PyPI: max-age=600), a page is used without asking again, as
    // pip and uv do; `--refresh` asks anyway.
    if (cached && !this.ctx.refresh && cached.freshUntil !== undefined && Date.now() < cached.freshUntil) {
      this.ctx.log.debug(`${redactUrl(key)} is fresh in the cache`);
      if (cached.contentType === NOT_FOUND_CONTENT_TYPE) return undefined;
      return parseSimplePage(cached.body, cached.contentType, key, this.location, this.ctx.log).files;
    }
    const headers: Record<string, string> = { accept: SIMPLE_ACCEPT };
    if (cached && cached.contentType !== NOT_FOUND_CONTENT_TYPE) {
      if (cached.etag) headers["if-none-match"] = cached.etag;
      if (cached.lastModified) headers["if-modified-since"] = cached.lastModified;
    }
    return this.ctx.http.request(pageUrl, { headers }, async (res) => {
      const now = new Date().toISOString();
      const fresh = freshUntil(res.headers["cache-control"], res.headers.age, Date.now());
      if (res.status === 304 && cached) {
        await res.body.dump();
        this.ctx.log.debug(`${redactUrl(key)} not modified; using the cached page`);
        this.ctx.cache?.revalidated(key, now, fresh);
        return parseSimplePage(cached.body, cached.contentType, key, this.location, this.ctx.log).files;
      }
      if (res.status === 404 || res.status === 410) {
        await res.body.dump();
        const missing: CachedResponse = { body: "", contentType: NOT_FOUND_CONTENT_TYPE, fetchedAt: now };
        if (fresh !== undefined) missing.freshUntil = fresh;
        this.ctx.cache?.put(key, missing);
        return undefined;
      }
      if (res.status === 401 || res.status === 403) {
        await res.body.dump();
        throw refusedError(res, this.location, { subject: JSON.stringify(name), proxy: this.ctx.http.proxyFor(pageUrl) });
      }
      if (res.status !== 200) {
        await res.body.dump();
        throw new PystoreError("HTTP_STATUS", `${redactUrl(key)} answered HTTP ${res.status}`);
      }
      const body = await pageText(res, key);
      const contentType = res.headers["content-type"] ?? "";
      // Parse before caching: a broken page must not replace a good cached one.
      const page = parseSimplePage(body, contentType, key, this.location, this.ctx.log);
      const entry: CachedResponse = { body, contentType, fetchedAt: now };
      if (fresh !== undefined) entry.freshUntil = fresh;
      if (res.headers.etag) entry.etag = res.headers.etag;
      if (res.headers["last-modified"]) entry.lastModified = res.headers["last-modified"];
      this.ctx.cache?.put(key, entry);
      return page.files;
    });
  }
}

async function localFile(path: string, index: string): Promise<ProjectFile> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const info = await stat(path);
  const filename = path.slice(path.lastIndexOf("/") + 1);
  return { filename, url: pathToFileURL(path).toString(), hashes: { sha256: hash.digest("hex") }, size: info.size, index };
}

async function listDirectory(dir: string, name: string, index: string): Promise<ProjectFile[]> {
  const wanted = canonicalizeName(name);
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && distributionName(e.name) === wanted)
    .map((e) => e.name)
    .sort();
  return Promise.all(names.map((n) => localFile(join(dir, n), index)));
}

/** A PEP 503 index laid out on disk: ROOT/<project>/index.html, or ROOT/<project>/ holding the files. */
class FileIndexSource implements Source {
  readonly kind = "index" as const;
  readonly location: string;
  private readonly root: string;
  constructor(url: string) {
    this.location = url.endsWith("/") ? url : `${url}/`;
    this.root = fileURLToPath(this.location);
  }

  async projectNames(): Promise<string[] | undefined> {
    return readdir(this.root).catch(() => undefined);
  }

  async list(name: string): Promise<ProjectFile[] | undefined> {
    const wanted = canonicalizeName(name);
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch (error) {
      throw new PystoreError("FILE_NOT_FOUND", `cannot read the index directory ${this.root}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const dirName = entries.includes(wanted) ? wanted : entries.find((e) => canonicalizeName(e) === wanted);
    if (!dirName) return undefined;
    const dir = join(this.root, dirName);
    try {
      const html = await readFile(join(dir, "index.html"), "utf8");
      const page = parseProjectHtml(html, `${pathToFileURL(dir).toString()}/`, this.location);
      return page.files;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return listDirectory(dir, name, this.location);
  }
}

/** --find-links DIR: a flat directory of wheels and sdists. */
class FindLinksDirSource implements Source {
  readonly kind = "find-links" as const;
  constructor(
    readonly location: string,
    private readonly dir: string,
  ) {}
  async projectNames(): Promise<string[] | undefined> {
    const entries = await readdir(this.dir).catch(() => undefined);
    return entries?.map((e) => distributionName(e)).filter((n): n is string => n !== undefined);
  }

  async list(name: string): Promise<ProjectFile[] | undefined> {
    try {
      const files = await listDirectory(this.dir, name, this.location);
      return files.length ? files : undefined;
    } catch (error) {
      throw new PystoreError("FILE_NOT_FOUND", `cannot read the --find-links directory ${this.dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** --find-links URL of an HTML page (http(s):// or a local .html file) linking to distributions. */
class FindLinksPageSource implements Source {
  readonly kind = "find-links" as const;
  readonly location: string;
  private page?: Promise<ProjectFile[]>;
  constructor(
    private readonly url: string,
    private readonly ctx: SourceContext,
  ) {
    this.location = stripCredentials(url);
  }

  private load(): Promise<ProjectFile[]> {
    this.page ??= (async () => {
      if (this.url.startsWith("file:")) {
        const body = await readFile(fileURLToPath(this.url), "utf8");
        return parseProjectHtml(body, this.url, this.location).files;
      }
      const key = stripCredentials(this.url);
      const cached = this.ctx.cache?.get(key);
      if (this.ctx.offline) {
        if (!cached) throw offlineMissing(`the find-links page ${redactUrl(key)}`);
        return parseProjectHtml(cached.body, key, this.location).files;
      }
      return this.ctx.http.request(this.url, { headers: { accept: "text/html" } }, async (res) => {
        if (res.status !== 200) {
          await res.body.dump();
          if (res.status === 401 || res.status === 403) throw refusedError(res, key, { proxy: this.ctx.http.proxyFor(this.url) });
          throw new PystoreError("HTTP_STATUS", `find-links page ${redactUrl(key)} answered HTTP ${res.status}`);
        }
        const body = await pageText(res, key);
        const files = parseProjectHtml(body, key, this.location).files;
        this.ctx.cache?.put(key, { body, contentType: res.headers["content-type"] ?? "text/html", fetchedAt: new Date().toISOString() });
        return files;
      });
    })();
    return this.page;
  }

  async list(name: string): Promise<ProjectFile[] | undefined> {
    const wanted = canonicalizeName(name);
    const files = (await this.load()).filter((f) => distributionName(f.filename) === wanted);
    return files.length ? files : undefined;
  }
}

/** The source for one --index-url / --extra-index-url / --find-links value. */
export function sourceFor(location: string, kind: "index" | "find-links", ctx: SourceContext, cwd: string): Source {
  if (/^https?:\/\//i.test(location)) {
    const url = kind === "index" && !location.endsWith("/") ? `${location}/` : location;
    return kind === "index" ? new RemoteIndexSource(url, ctx) : new FindLinksPageSource(url, ctx);
  }
  // "ftp://…", "s3://…": a URL of a scheme no transport reads, never a relative path named like one (a
  // one-letter scheme is a Windows drive, "C:\\wheels").
  const scheme = schemeOf(location);
  if (scheme !== undefined && scheme.length > 2 && !isSupportedUrl(location)) {
    throw new PystoreError("UNSUPPORTED_URL", `${redactUrl(location)} uses the unsupported scheme ${JSON.stringify(scheme.slice(0, -1))}`, {
      hint: `--${kind === "index" ? "index-url" : "find-links"} takes ${SUPPORTED_SCHEMES.join(", ")} URLs or a local directory`,
      details: { url: redactUrl(location), scheme: scheme.slice(0, -1) },
    });
  }
  const fileUrl = location.startsWith("file:") ? location : pathToFileURL(resolve(cwd, location)).toString();
  if (kind === "index") return new FileIndexSource(fileUrl);
  if (/\.html?$/i.test(fileUrl)) return new FindLinksPageSource(fileUrl, ctx);
  return new FindLinksDirSource(fileUrl, fileURLToPath(fileUrl));
}
