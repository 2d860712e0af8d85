// Simple repository API project pages: PEP 503 HTML and PEP 691 JSON, with PEP 592 (yanked),
// PEP 629 (repository version), PEP 658/714 (core metadata), PEP 700 (size, upload-time, versions).

import { createRequire } from "node:module";
import type { Parser as HtmlParser } from "htmlparser2";
import { PystoreError } from "../errors.js";
import { redactUrl } from "../util/redact.js";

export interface ProjectFile {
  filename: string;
  /** Absolute URL, fragment removed. */
  url: string;
  /** Algorithm → lower-case hex digest. */
  hashes: Record<string, string>;
  requiresPython?: string;
  yanked?: { reason?: string };
  /** Present when the index serves `<url>.metadata` (PEP 658); hashes may be empty. */
  coreMetadata?: { hashes: Record<string, string> };
  size?: number;
  uploadTime?: string;
  /** The index URL the file came from, credentials stripped. */
  index: string;
}

export interface ProjectPage {
  name: string;
  files: ProjectFile[];
  versions?: string[];
  apiVersion: string;
}

export interface HtmlParseOptions {
  /**
   * Reject a page that has neither a `pypi:repository-version` meta tag nor any link: that is what an
   * error or login page served with status 200 looks like, and treating it as "no files" hides the fault.
   */
  strict?: boolean;
}

/** The API major version this parser understands (PEP 629 / PEP 691). */
const SUPPORTED_API_MAJOR = 1;
const SUPPORTED_API_MINOR = 1;

const HASH_NAMES = new Set([
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "blake2b",
  "blake2s",
  "sha3_224",
  "sha3_256",
  "sha3_384",
  "sha3_512",
]);

function invalid(pageUrl: string, problem: string): PystoreError {
  return new PystoreError("INVALID_INDEX_RESPONSE", `invalid project page from ${redactUrl(pageUrl)}: ${problem}`, {
    hint: "the index did not answer with a PEP 503/691 simple page; check --index-url points at the simple API (e.g. …/simple/)",
  });
}

/**
 * Check a PEP 629 repository version: an unknown major version is an error, a newer minor a warning.
 * Returns the warning text, if any.
 */
export function checkApiVersion(version: string, pageUrl: string): string | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(version.trim());
  if (!m) throw invalid(pageUrl, `api version ${JSON.stringify(version)} is not MAJOR.MINOR`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== SUPPORTED_API_MAJOR) {
    throw new PystoreError(
      "UNSUPPORTED_API_VERSION",
      `${redactUrl(pageUrl)} speaks simple API version ${version}; pystore supports ${SUPPORTED_API_MAJOR}.x`,
      {
        hint: "use an index that serves version 1 of the simple repository API",
      },
    );
  }
  if (minor > SUPPORTED_API_MINOR) {
    return `${redactUrl(pageUrl)} speaks simple API version ${version}, newer than ${SUPPORTED_API_MAJOR}.${SUPPORTED_API_MINOR}; continuing`;
  }
  return undefined;
}

function lowerHashes(pageUrl: string, where: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(pageUrl, `${where} must be an object`);
  const out: Record<string, string> = {};
  for (const [algorithm, digest] of Object.entries(value as Record<string, unknown>)) {
    if (typeof digest !== "string" || !/^[0-9a-fA-F]+$/.test(digest)) throw invalid(pageUrl, `${where}.${algorithm} must be a hex digest`);
    out[algorithm.toLowerCase()] = digest.toLowerCase();
  }
  return out;
}

/** URL without its fragment, resolved against the page. */
function resolveUrl(href: string, base: string, pageUrl: string): { url: string; fragment: string } {
  let parsed: URL;
  try {
    parsed = new URL(href, base);
  } catch {
    throw invalid(pageUrl, `file URL ${JSON.stringify(redactUrl(href))} is not a valid URL`);
  }
  const fragment = parsed.hash.replace(/^#/, "");
  parsed.hash = "";
  return { url: parsed.toString(), fragment };
}

function fragmentHashes(fragment: string): Record<string, string> {
  const m = /^([a-z0-9_]+)=([0-9a-fA-F]+)$/i.exec(fragment);
  if (!m || !HASH_NAMES.has(m[1].toLowerCase())) return {};
  return { [m[1].toLowerCase()]: m[2].toLowerCase() };
}

function filenameOf(url: string): string {
  const path = new URL(url).pathname;
  const last = path.slice(path.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function projectNameFromUrl(pageUrl: string): string {
  try {
    const segments = new URL(pageUrl).pathname.split("/").filter(Boolean);
    return segments[segments.length - 1] ?? "";
  } catch {
    return "";
  }
}

/** PEP 691 JSON project page. */
export function parseProjectJson(body: string, pageUrl: string, index: string): ProjectPage {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw invalid(pageUrl, `body is not JSON (${(error as Error).message})`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw invalid(pageUrl, "body is not a JSON object");
  const page = data as Record<string, unknown>;
  const meta = page.meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== "object") throw invalid(pageUrl, 'missing key "meta"');
  if (typeof meta["api-version"] !== "string") throw invalid(pageUrl, 'missing key "meta.api-version"');
  const apiVersion = meta["api-version"];
  checkApiVersion(apiVersion, pageUrl);
  if (typeof page.name !== "string") throw invalid(pageUrl, 'missing key "name"');
  if (!Array.isArray(page.files)) throw invalid(pageUrl, 'missing key "files"');
  let versions: string[] | undefined;
  if (page.versions !== undefined) {
    if (!Array.isArray(page.versions) || page.versions.some((v) => typeof v !== "string"))
      throw invalid(pageUrl, '"versions" must be an array of strings');
    versions = page.versions as string[];
  }
  const files = page.files.map((raw, i): ProjectFile => {
    const where = `files[${i}]`;
    if (raw === null || typeof raw !== "object") throw invalid(pageUrl, `${where} is not an object`);
    const f = raw as Record<string, unknown>;
    if (typeof f.filename !== "string" || f.filename === "") throw invalid(pageUrl, `missing key "${where}.filename"`);
    if (typeof f.url !== "string") throw invalid(pageUrl, `missing key "${where}.url"`);
    if (f.hashes === undefined) throw invalid(pageUrl, `missing key "${where}.hashes"`);
    const { url } = resolveUrl(f.url, pageUrl, pageUrl);
    const file: ProjectFile = { filename: f.filename, url, hashes: lowerHashes(pageUrl, `${where}.hashes`, f.hashes), index };
    if (typeof f["requires-python"] === "string" && f["requires-python"].trim() !== "") file.requiresPython = f["requires-python"].trim();
    if (typeof f.yanked === "string") file.yanked = f.yanked === "" ? {} : { reason: f.yanked };
    else if (f.yanked === true) file.yanked = {};
    // PEP 714: "core-metadata" is the name; "dist-info-metadata" only when the new key is absent.
    const metaValue = "core-metadata" in f ? f["core-metadata"] : f["dist-info-metadata"];
    if (metaValue === true) file.coreMetadata = { hashes: {} };
    else if (metaValue && typeof metaValue === "object")
      file.coreMetadata = { hashes: lowerHashes(pageUrl, `${where}.core-metadata`, metaValue) };
    if (f.size !== undefined) {
      // Past 2^53 a JSON number is no longer the size the index meant: refuse it rather than round it.
      if (typeof f.size !== "number" || !Number.isSafeInteger(f.size) || f.size < 0)
        throw invalid(pageUrl, `${where}.size must be a non-negative integer`);
      file.size = f.size;
    }
    if (typeof f["upload-time"] === "string") file.uploadTime = f["upload-time"];
    return file;
  });
  return versions ? { name: page.name, files, versions, apiVersion } : { name: page.name, files, apiVersion };
}

let htmlParser: typeof HtmlParser | undefined;

/**
 * htmlparser2 decodes its whole entity table when it loads: only HTML pages need it, never JSON (PEP 691)
 * or cached ones. Its CommonJS build is required at first use so parsing stays synchronous.
 */
function loadHtmlParser(): typeof HtmlParser {
  htmlParser ??= (createRequire(import.meta.url)("htmlparser2") as typeof import("htmlparser2")).Parser;
  return htmlParser;
}

/** PEP 503 HTML project page (also find-links pages: any HTML with links to distributions). */
export function parseProjectHtml(body: string, pageUrl: string, index: string, opts: HtmlParseOptions = {}): ProjectPage {
  let base = pageUrl;
  let apiVersion: string | undefined;
  let anchors = 0;
  const files: ProjectFile[] = [];
  const Parser = loadHtmlParser();
  const parser = new Parser(
    {
      onopentag(tag, attrs) {
        if (tag === "base" && attrs.href && anchors === 0) {
          try {
            base = new URL(attrs.href, pageUrl).toString();
          } catch {
            /* an unusable <base> is ignored, as browsers do */
          }
        } else if (tag === "meta" && attrs.name === "pypi:repository-version" && attrs.content !== undefined) {
          apiVersion = attrs.content;
        } else if (tag === "a" && attrs.href !== undefined) {
          anchors++;
          const { url, fragment } = resolveUrl(attrs.href, base, pageUrl);
          const filename = filenameOf(url);
          if (!filename) return;
          const file: ProjectFile = { filename, url, hashes: fragmentHashes(fragment), index };
          const rp = attrs["data-requires-python"];
          if (rp !== undefined && rp.trim() !== "") file.requiresPython = rp.trim();
          if ("data-yanked" in attrs) file.yanked = attrs["data-yanked"] ? { reason: attrs["data-yanked"] } : {};
          const metaValue = "data-core-metadata" in attrs ? attrs["data-core-metadata"] : attrs["data-dist-info-metadata"];
          if (metaValue !== undefined && metaValue !== "false") {
            const hashes = /^[a-z0-9_]+=[0-9a-f]+$/i.test(metaValue) ? fragmentHashes(metaValue) : {};
            file.coreMetadata = { hashes };
          }
          files.push(file);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(body);
  parser.end();
  if (apiVersion !== undefined) checkApiVersion(apiVersion, pageUrl);
  if (opts.strict && apiVersion === undefined && anchors === 0) {
    throw invalid(pageUrl, "an HTML page without links or a pypi:repository-version tag (an error or login page?)");
  }
  return { name: projectNameFromUrl(pageUrl), files, apiVersion: apiVersion ?? "1.0" };
}
