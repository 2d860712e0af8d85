import { parseSpecifier, parseSpecifierSet } from "./pep440.js";
import { Scanner } from "./pep508/scanner.js";
import { formatMarker, parseMarkerAt, type Marker } from "./pep508/marker.js";
export { reduceMarker, type Reduced, type Unknowns } from "./pep508/partial.js";

export {
  evaluateMarker,
  formatMarker,
  markerAnd,
  markerExtras,
  markerOr,
  parseMarker,
  type EvaluationContext,
  type Marker,
  type MarkerEnvironment,
} from "./pep508/marker.js";

export interface Requirement {
  /** As written. */
  name: string;
  /** As written, in source order, without duplicates. */
  extras: string[];
  /** Normalized specifier-set text ("" when none). */
  specifier: string;
  url?: string;
  marker?: Marker;
}

const IDENTIFIER = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
// One clause: an operator, optional spaces, then everything up to a separator; validated afterwards.
const CLAUSE = /(===|~=|==|!=|<=|>=|<|>)[ \t]*[^ \t,;)]*/y;
const URL = /[^ \t]+/y;

function parseExtras(s: Scanner): string[] {
  const extras: string[] = [];
  if (!s.takeChar("[")) return extras;
  s.ws();
  if (s.takeChar("]")) return extras;
  for (;;) {
    s.ws();
    const m = s.take(IDENTIFIER);
    if (!m) s.fail("Expected an extra name inside [ ]");
    if (!extras.includes(m[0])) extras.push(m[0]);
    s.ws();
    if (s.takeChar("]")) return extras;
    if (!s.takeChar(",")) s.fail("Expected ',' or ']' after an extra name");
  }
}

function parseClauses(s: Scanner): string {
  const clauses: string[] = [];
  for (;;) {
    const start = s.pos;
    const m = s.take(CLAUSE);
    if (!m) {
      if (clauses.length === 0) return "";
      s.fail("Expected a version specifier after ','");
    }
    if (!parseSpecifier(m[0])) {
      const hint = /\.\*$/.test(m[0]) ? " ('.*' only follows == or !=)" : /\+/.test(m[0]) ? " (local versions only follow == or !=)" : "";
      s.fail(`Invalid version specifier${hint}`, start, m[0].length);
    }
    clauses.push(m[0]);
    const save = s.pos;
    s.ws();
    if (!s.takeChar(",")) {
      s.pos = save;
      break;
    }
    s.ws();
  }
  return parseSpecifierSet(clauses.join(",")).text;
}

function parseMarkerAfterSemicolon(s: Scanner, spanStart: number, after: string): Marker {
  if (!s.takeChar(";")) s.fail(`Expected end or semicolon (after ${after})`, spanStart, s.pos - spanStart + 1);
  return parseMarkerAt(s);
}

const cache = new Map<string, Requirement>();

export function parseRequirement(text: string): Requirement {
  const hit = cache.get(text);
  if (hit) return { ...hit, extras: [...hit.extras] };
  const s: Scanner = new Scanner(text, "INVALID_REQUIREMENT");
  s.ws();
  const name = s.take(IDENTIFIER);
  if (!name) s.fail("Expected a package name at the start of the dependency specifier");
  s.ws();
  const extras = parseExtras(s);
  s.ws();
  const req: Requirement = { name: name[0], extras, specifier: "" };
  if (s.takeChar("@")) {
    s.ws();
    const urlStart = s.pos;
    const url = s.take(URL);
    if (!url) s.fail("Expected a URL after @");
    req.url = url[0];
    // A ';' glued to the URL belongs to it; a marker needs whitespace before its ';'.
    if (!s.done) {
      if (!s.ws()) s.fail("Expected whitespace after the URL");
      if (!s.done) req.marker = parseMarkerAfterSemicolon(s, urlStart, "URL and whitespace");
    }
  } else {
    const specStart = s.pos;
    let spec: string;
    if (s.takeChar("(")) {
      s.ws();
      spec = parseClauses(s);
      s.ws();
      if (!s.takeChar(")")) s.fail("Expected ')' closing the version specifier", s.pos);
    } else {
      spec = parseClauses(s);
    }
    req.specifier = spec;
    s.ws();
    if (!s.done) req.marker = parseMarkerAfterSemicolon(s, specStart, spec ? "version specifier" : "name and no valid version specifier");
  }
  s.ws();
  if (!s.done) s.fail("Expected end of dependency specifier", s.pos, text.length - s.pos);
  if (cache.size > 20_000) cache.clear();
  cache.set(text, req);
  return { ...req, extras: [...req.extras] };
}

/** Canonical text like packaging's str(Requirement): sorted extras, normalized specifier, " @ url ". */
export function formatRequirement(req: Requirement): string {
  let out = req.name;
  if (req.extras.length) out += `[${[...req.extras].sort().join(",")}]`;
  if (req.specifier) out += parseSpecifierSet(req.specifier).text;
  if (req.url) {
    out += ` @ ${req.url}`;
    if (req.marker) out += " ";
  }
  if (req.marker) out += `; ${formatMarker(req.marker)}`;
  return out;
}
