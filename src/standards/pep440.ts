// Versions and version specifiers: PEP 440 as written down in packaging.python.org "Version specifiers".
// Parsing follows pypa/packaging's grammar (one regular expression); numbers stay digit strings, so a
// release number of any size normalizes and orders exactly as Python's integers do. Ordering and
// containment follow the spec's rules (and pypa/packaging where the spec leaves room).
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";

export interface Version {
  text: string;
  normalized: string;
  /** The numeric fields are for reading; beyond 2^53 they are approximate (ordering never uses them). */
  epoch: number;
  release: number[];
  pre?: [string, number];
  post?: number;
  dev?: number;
  local?: string;
  isPrerelease: boolean;
}

export interface SpecifierSet {
  text: string;
  specifiers: { operator: string; version: string }[];
}

/** A version's parts as canonical digit strings (no leading zeros): what ordering compares. */
interface Exact {
  epoch: string;
  release: string[];
  pre?: [string, string];
  post?: string;
  dev?: string;
  local?: string[];
}

// Python's str.isspace() set, which packaging's `\s*` strips; JavaScript's \s differs (it has U+FEFF,
// lacks U+001C–U+001F and U+0085).
const WS = "[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*";
// pypa/packaging's VERSION_PATTERN. Case-insensitive for ASCII only: packaging would also take a Kelvin
// sign for a "k" in a local label; nothing real publishes that, and refusing it is the safer answer.
const VERSION_RE = new RegExp(
  `^${WS}v?(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)` +
    "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?" +
    "(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?" +
    "(?:[-_.]?(dev)[-_.]?([0-9]+)?)?" +
    `(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?${WS}$`,
  "i",
);
const PRE_LABEL: Record<string, string> = { a: "a", alpha: "a", b: "b", beta: "b", c: "rc", pre: "rc", preview: "rc", rc: "rc" };

/** Digits without leading zeros ("007" → "7", "000" → "0"). */
function canonicalDigits(digits: string): string {
  return digits.replace(/^0+(?=[0-9])/, "");
}

const exactParts = new WeakMap<Version, Exact>();
const cache = new Map<string, Version | null>();

function exactOf(v: Version): Exact {
  return exactParts.get(v)!;
}

function tryParse(text: string): Version | null {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const m = VERSION_RE.exec(text);
  let result: Version | null = null;
  if (m) {
    const [, epochText, releaseText, preLabel, preNum, postImplicit, postLabel, postNum, devLabel, devNum, localText] = m;
    const exact: Exact = { epoch: canonicalDigits(epochText ?? "0"), release: releaseText.split(".").map(canonicalDigits) };
    if (preLabel !== undefined) exact.pre = [PRE_LABEL[preLabel.toLowerCase()], canonicalDigits(preNum ?? "0")];
    if (postImplicit !== undefined) exact.post = canonicalDigits(postImplicit);
    else if (postLabel !== undefined) exact.post = canonicalDigits(postNum ?? "0");
    if (devLabel !== undefined) exact.dev = canonicalDigits(devNum ?? "0");
    if (localText !== undefined)
      exact.local = localText.split(/[-_.]/).map((p) => (/^[0-9]+$/.test(p) ? canonicalDigits(p) : p.toLowerCase()));
    let normalized = `${exact.epoch !== "0" ? `${exact.epoch}!` : ""}${exact.release.join(".")}`;
    if (exact.pre) normalized += `${exact.pre[0]}${exact.pre[1]}`;
    if (exact.post !== undefined) normalized += `.post${exact.post}`;
    if (exact.dev !== undefined) normalized += `.dev${exact.dev}`;
    if (exact.local) normalized += `+${exact.local.join(".")}`;
    // Frozen because parsed versions are cached and shared between callers.
    result = Object.freeze({
      text,
      normalized,
      epoch: Number(exact.epoch),
      release: exact.release.map(Number),
      ...(exact.pre ? { pre: [exact.pre[0], Number(exact.pre[1])] as [string, number] } : {}),
      ...(exact.post !== undefined ? { post: Number(exact.post) } : {}),
      ...(exact.dev !== undefined ? { dev: Number(exact.dev) } : {}),
      ...(exact.local ? { local: exact.local.join(".") } : {}),
      isPrerelease: exact.pre !== undefined || exact.dev !== undefined,
    }) as Version;
    exactParts.set(result, exact);
  }
  if (cache.size > 50_000) cache.clear();
  cache.set(text, result);
  return result;
}

export function parseVersion(text: string): Version {
  const v = tryParse(text);
  if (!v) {
    throw new PystoreError("INVALID_VERSION", `Invalid version ${JSON.stringify(text)}`, {
      hint: "versions follow PEP 440, e.g. 1.2, 2.0rc1, 1!3.0.post1, 1.0+local",
    });
  }
  return v;
}

export function isValidVersion(text: string): boolean {
  return tryParse(text) !== null;
}

export function normalizeVersion(text: string): string {
  return parseVersion(text).normalized;
}

// Ordering keys from the spec's "Summary of permitted suffixes and relative ordering".
const PRE_RANK: Record<string, number> = { a: 0, b: 1, rc: 2 };

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical digit strings compared as the numbers they spell, however long. */
function cmpDigits(a: string, b: string): number {
  return cmpNum(a.length, b.length) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Absent parts compare as given: an absent post sorts first, an absent dev last. */
function cmpOptional(a: string | undefined, b: string | undefined, absent: -1 | 1): number {
  if (a === b) return 0;
  if (a === undefined) return absent;
  if (b === undefined) return -absent;
  return cmpDigits(a, b);
}

function cmpLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i],
      y = b[i];
    const xn = /^[0-9]+$/.test(x),
      yn = /^[0-9]+$/.test(y);
    // Numeric segments sort after alphanumeric ones; numbers compare numerically.
    if (xn && yn) {
      const c = cmpDigits(x, y);
      if (c) return c;
    } else if (xn !== yn) {
      return xn ? 1 : -1;
    } else if (x !== y) {
      return compareStrings(x, y);
    }
  }
  return cmpNum(a.length, b.length);
}

/** Epoch and release only (trailing zeros do not count: 1.0 == 1.0.0). */
function cmpBase(a: Exact, b: Exact): number {
  let c = cmpDigits(a.epoch, b.epoch);
  if (c) return c;
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = cmpDigits(a.release[i] ?? "0", b.release[i] ?? "0");
    if (c) return c;
  }
  return 0;
}

function compareExact(a: Exact, b: Exact, ignoreLocal = false): number {
  let c = cmpBase(a, b);
  if (c) return c;
  // A bare dev release (1.0.dev1) sorts before every pre-release of the same release.
  const preRank = (v: Exact): number => (v.pre ? PRE_RANK[v.pre[0]] : v.post === undefined && v.dev !== undefined ? -1 : 3);
  c = cmpNum(preRank(a), preRank(b));
  if (c) return c;
  if (a.pre && b.pre) {
    c = cmpDigits(a.pre[1], b.pre[1]);
    if (c) return c;
  }
  c = cmpOptional(a.post, b.post, -1);
  if (c) return c;
  c = cmpOptional(a.dev, b.dev, 1);
  if (c) return c;
  return ignoreLocal ? 0 : cmpLocal(a.local, b.local);
}

function compareParsed(a: Version, b: Version, ignoreLocal = false): number {
  return compareExact(exactOf(a), exactOf(b), ignoreLocal);
}

export function compareVersions(a: string, b: string): number {
  return compareParsed(parseVersion(a), parseVersion(b));
}

/** Ascending PEP 440 order; ties (1.0 vs 1.0.0) keep their input order. */
export function sortVersions(versions: string[]): string[] {
  const parsed = versions.map((v) => [v, parseVersion(v)] as const);
  return parsed.sort((x, y) => compareParsed(x[1], y[1])).map(([v]) => v);
}

// ---- specifiers ----

const RELEASE = String.raw`v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`;
const PRE = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`;
const POST = String.raw`(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const SPEC_PATTERNS: Record<string, RegExp> = {
  "===": /^[^\s;)]+$/,
  "==": new RegExp(`^(?:${RELEASE}\\.\\*|${RELEASE}${PRE}${POST}${DEV}${LOCAL})$`, "i"),
  "~=": new RegExp(`^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV}$`, "i"),
  "<": new RegExp(`^${RELEASE}${PRE}${POST}${DEV}$`, "i"),
};
SPEC_PATTERNS["!="] = SPEC_PATTERNS["=="];
SPEC_PATTERNS["<="] = SPEC_PATTERNS[">="] = SPEC_PATTERNS[">"] = SPEC_PATTERNS["<"];

const OPERATOR = /^(===|~=|==|!=|<=|>=|<|>)\s*(.*)$/s;

/** Parses one clause (">= 1.0") into operator and version, or undefined when it is not valid. */
export function parseSpecifier(text: string): { operator: string; version: string } | undefined {
  const m = OPERATOR.exec(text.trim());
  if (!m) return undefined;
  const [, operator, version] = m;
  if (!SPEC_PATTERNS[operator].test(version)) return undefined;
  return { operator, version };
}

const setCache = new Map<string, SpecifierSet>();

export function parseSpecifierSet(text: string): SpecifierSet {
  const hit = setCache.get(text);
  if (hit) return hit;
  const specifiers: { operator: string; version: string }[] = [];
  for (const raw of text.split(",")) {
    if (raw.trim() === "") continue;
    const spec = parseSpecifier(raw);
    if (!spec) {
      throw new PystoreError("INVALID_SPECIFIER", `Invalid version specifier ${JSON.stringify(raw.trim())} in ${JSON.stringify(text)}`, {
        hint: "a specifier is an operator (==, !=, <=, >=, <, >, ~=, ===) followed by a PEP 440 version, e.g. >=1.2,<2",
      });
    }
    specifiers.push(spec);
  }
  const strs = specifiers.map((s) => s.operator + s.version);
  const order = strs.map((_, i) => i).sort((i, j) => compareStrings(strs[i], strs[j]));
  const sorted = order.map((i) => specifiers[i]);
  const set: SpecifierSet = Object.freeze({
    text: sorted.map((s) => s.operator + s.version).join(","),
    specifiers: Object.freeze(sorted.map((s) => Object.freeze(s))) as SpecifierSet["specifiers"],
  });
  if (setCache.size > 10_000) setCache.clear();
  setCache.set(text, set);
  return set;
}

function specAllowsPrereleases(spec: { operator: string; version: string }): boolean {
  if (spec.operator === "!=") return false;
  const text = spec.operator === "==" && spec.version.endsWith(".*") ? spec.version.slice(0, -2) : spec.version;
  return tryParse(text)?.isPrerelease ?? false;
}

// The spec's prefix matching splits pre-release suffixes off release segments ("0rc1" -> "0", "rc1").
function versionSplit(normalized: string): string[] {
  const bang = normalized.lastIndexOf("!");
  const out = [bang >= 0 ? normalized.slice(0, bang) : "0"];
  for (const item of normalized.slice(bang + 1).split(".")) {
    const m = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/.exec(item);
    if (m) out.push(m[1], m[2]);
    else out.push(item);
  }
  return out;
}

function prefixMatch(candidate: Version, prefix: string): boolean {
  const specSplit = versionSplit(parseVersion(prefix).normalized);
  const publicNorm = candidate.normalized.split("+")[0];
  const cand = versionSplit(publicNorm);
  // Pad the candidate's release (epoch included) with zeros so "1.*" matches "1" and "==1.0.*" matches "1".
  const isDigits = (s: string) => /^\d+$/.test(s);
  let candRelease = 0;
  while (candRelease < cand.length && isDigits(cand[candRelease])) candRelease++;
  let specRelease = 0;
  while (specRelease < specSplit.length && isDigits(specSplit[specRelease])) specRelease++;
  const padded = [...cand.slice(0, candRelease), ...Array(Math.max(0, specRelease - candRelease)).fill("0"), ...cand.slice(candRelease)];
  const shortened = padded.slice(0, specSplit.length);
  return shortened.length === specSplit.length && shortened.every((s, i) => s === specSplit[i]);
}

/** The candidate's order against a specifier's version that has no local label: the candidate's is ignored. */
function comparePublic(candidate: Version, spec: Version): number {
  return compareParsed(candidate, spec, true);
}

function baseEqual(a: Version, b: Version): boolean {
  return cmpBase(exactOf(a), exactOf(b)) === 0;
}

function operatorHolds(operator: string, candidate: Version, specVersion: string): boolean {
  switch (operator) {
    case "===":
      return candidate.text.trim().toLowerCase() === specVersion.toLowerCase();
    case "==": {
      if (specVersion.endsWith(".*")) return prefixMatch(candidate, specVersion.slice(0, -2));
      const spec = parseVersion(specVersion);
      // A specifier without a local label matches every local variant of that version.
      return (spec.local === undefined ? comparePublic(candidate, spec) : compareParsed(candidate, spec)) === 0;
    }
    case "!=":
      return !operatorHolds("==", candidate, specVersion);
    case "~=": {
      const spec = exactOf(parseVersion(specVersion));
      const prefix = `${spec.epoch !== "0" ? `${spec.epoch}!` : ""}${spec.release.slice(0, -1).join(".")}`;
      return operatorHolds(">=", candidate, specVersion) && prefixMatch(candidate, prefix);
    }
    case "<=":
      return comparePublic(candidate, parseVersion(specVersion)) <= 0;
    case ">=":
      return comparePublic(candidate, parseVersion(specVersion)) >= 0;
    case "<": {
      const spec = parseVersion(specVersion);
      if (!(compareParsed(candidate, spec) < 0)) return false;
      // "<3.1" must not admit 3.1's own pre-releases unless the specifier names a pre-release.
      return !(!spec.isPrerelease && candidate.isPrerelease && baseEqual(candidate, spec));
    }
    case ">": {
      const spec = parseVersion(specVersion);
      if (!(compareParsed(candidate, spec) > 0)) return false;
      // ">3.1" must not admit 3.1's post-releases (unless it names one) nor its local variants.
      if (spec.post === undefined && candidate.post !== undefined && baseEqual(candidate, spec)) return false;
      if (candidate.local !== undefined && baseEqual(candidate, spec)) return false;
      return true;
    }
    default:
      return false;
  }
}

function setAllowsPrereleases(set: SpecifierSet): boolean {
  return set.specifiers.some(specAllowsPrereleases);
}

function containsParsed(set: SpecifierSet, v: Version, prereleases: boolean): boolean {
  if (v.isPrerelease && !prereleases) return false;
  return set.specifiers.every((s) => operatorHolds(s.operator, v, s.version));
}

/**
 * Whether `version` satisfies the specifier set. Pre-releases are excluded unless `opts.prereleases`
 * is set or one of the clauses names a pre-release (e.g. ">=2.0b1"). Invalid versions match only `===`.
 */
export function specifierContains(spec: SpecifierSet | string, version: string, opts: { prereleases?: boolean } = {}): boolean {
  const set = typeof spec === "string" ? parseSpecifierSet(spec) : spec;
  const v = tryParse(version);
  if (!v) {
    return (
      set.specifiers.length > 0 &&
      set.specifiers.every((s) => s.operator === "===" && s.version.toLowerCase() === version.trim().toLowerCase())
    );
  }
  return containsParsed(set, v, opts.prereleases ?? setAllowsPrereleases(set));
}

/**
 * The versions that satisfy `spec`, in input order. Like packaging's filter: when `opts.prereleases` is
 * not given and nothing but pre-releases match, those pre-releases are returned.
 */
export function filterVersions(spec: SpecifierSet | string, versions: string[], opts: { prereleases?: boolean } = {}): string[] {
  const set = typeof spec === "string" ? parseSpecifierSet(spec) : spec;
  const allow = opts.prereleases ?? setAllowsPrereleases(set);
  const matched: string[] = [];
  const pres: string[] = [];
  for (const text of versions) {
    const v = tryParse(text);
    if (!v) {
      if (specifierContains(set, text)) matched.push(text);
      continue;
    }
    if (containsParsed(set, v, true)) {
      if (v.isPrerelease && !allow) pres.push(text);
      else matched.push(text);
    }
  }
  if (matched.length === 0 && opts.prereleases === undefined) return pres;
  return matched;
}
