// Environment markers: parse, format and evaluate (packaging.python.org "Dependency specifiers",
// PEP 685 extra normalization, PEP 751 `extras`/`dependency_groups`), matching pypa/packaging today.
import { PystoreError, type ErrorCode } from "../../errors.js";
import { canonicalizeName } from "../normalize.js";
import { parseSpecifier, isValidVersion, specifierContains } from "../pep440.js";
import { Scanner } from "./scanner.js";

export type MarkerEnvironment = {
  implementation_name: string;
  implementation_version: string;
  os_name: string;
  platform_machine: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_full_version: string;
  platform_python_implementation: string;
  python_version: string;
  sys_platform: string;
};

export interface EvaluationContext {
  extra?: string;
  extras?: string[];
  dependency_groups?: string[];
}

export type MarkerOperand = { variable: string } | { value: string };
export type MarkerComparison = { lhs: MarkerOperand; op: string; rhs: MarkerOperand };
/** Mirrors packaging's tree: atoms joined by "and"/"or" in source order; nested lists are parentheses. */
export type MarkerList = (MarkerComparison | MarkerList | "and" | "or")[];
export interface Marker {
  readonly kind: "marker";
  readonly tree: MarkerList;
}

// The variables packaging accepts, including the legacy dotted aliases it still maps.
const VARIABLE =
  /(python_full_version|python_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|dependency_groups|extras|extra)(?![A-Za-z0-9_.])/y;
const QUOTED = /'([^']*)'|"([^"]*)"/y;
const OPERATOR = /(===|==|~=|!=|<=|>=|<|>)/y;
const IN = /in(?![A-Za-z0-9_])/y;
const NOT_IN = /not[ \t]+in(?![A-Za-z0-9_])/y;
const BOOLOP = /(and|or)(?![A-Za-z0-9_])/y;

const VERSION_KEYS = new Set(["implementation_version", "platform_release", "python_full_version", "python_version"]);
const SET_KEYS = new Set(["extras", "dependency_groups"]);

function canonicalVariable(name: string): string {
  if (name === "python_implementation" || name === "platform.python_implementation") return "platform_python_implementation";
  return name.replace(".", "_");
}

function parseOperand(s: Scanner): MarkerOperand {
  s.ws();
  const v = s.take(VARIABLE);
  if (v) return { variable: canonicalVariable(v[1]) };
  const q = s.take(QUOTED);
  if (q) return { value: q[1] ?? q[2] };
  return s.fail("Expected a marker variable or quoted string");
}

function parseComparison(s: Scanner): MarkerComparison {
  const lhs = parseOperand(s);
  s.ws();
  let op: string;
  if (s.take(IN)) op = "in";
  else if (s.take(NOT_IN)) op = "not in";
  else {
    const m = s.take(OPERATOR);
    if (!m) return s.fail("Expected a marker operator (==, !=, <, <=, >, >=, ~=, ===, in, not in)");
    op = m[1];
  }
  const rhs = parseOperand(s);
  s.ws();
  return normalizeExtra({ lhs, op, rhs });
}

// PEP 685: a literal compared with `extra` is stored normalized, so formatting and evaluation agree.
function normalizeExtra(c: MarkerComparison): MarkerComparison {
  if ("variable" in c.lhs && c.lhs.variable === "extra" && "value" in c.rhs) return { ...c, rhs: { value: canonicalizeName(c.rhs.value) } };
  if ("variable" in c.rhs && c.rhs.variable === "extra" && "value" in c.lhs) return { ...c, lhs: { value: canonicalizeName(c.lhs.value) } };
  return c;
}

// Real markers nest a few levels; the bound keeps hostile input from exhausting the stack here and in
// every recursive walk over the tree (evaluation, formatting).
const MAX_NESTING = 100;

function parseAtom(s: Scanner, depth: number): MarkerComparison | MarkerList {
  s.ws();
  if (s.takeChar("(")) {
    const open = s.pos - 1;
    if (depth >= MAX_NESTING) s.fail(`more than ${MAX_NESTING} nested parentheses`, open);
    const inner = parseExpression(s, depth + 1);
    s.ws();
    if (!s.takeChar(")")) s.fail("Expected matching ')' after the '(' here", open);
    s.ws();
    return inner;
  }
  return parseComparison(s);
}

function parseExpression(s: Scanner, depth = 0): MarkerList {
  const items: MarkerList = [parseAtom(s, depth)];
  for (;;) {
    s.ws();
    const b = s.take(BOOLOP);
    if (!b) return items;
    items.push(b[1] as "and" | "or", parseAtom(s, depth));
  }
}

/** Parses a marker that is part of a larger text (a requirement) starting at the scanner's position. */
export function parseMarkerAt(s: Scanner): Marker {
  return { kind: "marker", tree: parseExpression(s) };
}

const markerCache = new Map<string, Marker>();

export function parseMarker(text: string): Marker {
  const hit = markerCache.get(text);
  if (hit) return hit;
  const s: Scanner = new Scanner(text, "INVALID_MARKER");
  const marker = parseMarkerAt(s);
  s.ws();
  if (!s.done) s.fail("Expected 'and', 'or' or the end of the marker", s.pos, text.length - s.pos);
  if (markerCache.size > 10_000) markerCache.clear();
  markerCache.set(text, marker);
  return marker;
}

function formatOperand(o: MarkerOperand): string {
  if ("variable" in o) return o.variable;
  return o.value.includes('"') ? `'${o.value}'` : `"${o.value}"`;
}

function formatTree(node: MarkerComparison | MarkerList | "and" | "or", first: boolean): string {
  if (typeof node === "string") return node;
  if (!Array.isArray(node)) return `${formatOperand(node.lhs)} ${node.op} ${formatOperand(node.rhs)}`;
  if (node.length === 1 && typeof node[0] !== "string") return formatTree(node[0], first);
  const inner = node.map((n) => formatTree(n, false)).join(" ");
  return first ? inner : `(${inner})`;
}

/** Canonical text, as packaging's str(Marker): double quotes, single spaces, source grouping kept. */
export function formatMarker(marker: Marker | string): string {
  return formatTree((typeof marker === "string" ? parseMarker(marker) : marker).tree, true);
}

/** `a and b`; undefined means "always true". */
export function markerAnd(a: Marker | undefined, b: Marker | undefined): Marker | undefined {
  if (!a) return b;
  if (!b) return a;
  return { kind: "marker", tree: [a.tree, "and", b.tree] };
}

/** `a or b`; undefined means "always true", so it absorbs the other side. */
export function markerOr(a: Marker | undefined, b: Marker | undefined): Marker | undefined {
  if (!a || !b) return undefined;
  return { kind: "marker", tree: [a.tree, "or", b.tree] };
}

function evalError(code: ErrorCode, message: string): PystoreError {
  return new PystoreError(code, message);
}

export type EnvValue = string | Set<string>;

function lookup(env: Record<string, EnvValue | undefined>, key: string, marker: string): EnvValue {
  const value = env[key];
  if (value === undefined)
    throw evalError(
      "INVALID_MARKER",
      `Marker ${JSON.stringify(marker)} uses ${JSON.stringify(key)}, which the environment does not define`,
    );
  return value;
}

function compareStrings(lhs: string, op: string, rhs: EnvValue, marker: string): boolean {
  switch (op) {
    case "in":
      return typeof rhs === "string" ? rhs.includes(lhs) : rhs.has(lhs);
    case "not in":
      return typeof rhs === "string" ? !rhs.includes(lhs) : !rhs.has(lhs);
    // Ordering is undefined for plain strings; packaging answers "no" rather than comparing code points.
    case "<":
    case ">":
      return false;
    case "==":
    case "<=":
    case ">=":
      return lhs === rhs;
    case "!=":
      return lhs !== rhs;
    default:
      throw evalError(
        "INVALID_MARKER",
        `Marker ${JSON.stringify(marker)}: ${op} is undefined for ${JSON.stringify(lhs)} and ${JSON.stringify(typeof rhs === "string" ? rhs : [...rhs])}, which are not versions`,
      );
  }
}

export function evalComparison(c: MarkerComparison, env: Record<string, EnvValue | undefined>, marker: string): boolean {
  let key: string;
  let lhs: EnvValue;
  let rhs: EnvValue;
  if ("variable" in c.lhs) {
    key = c.lhs.variable;
    lhs = lookup(env, key, marker);
    rhs = "variable" in c.rhs ? lookup(env, c.rhs.variable, marker) : c.rhs.value;
  } else if ("variable" in c.rhs) {
    key = c.rhs.variable;
    lhs = c.lhs.value;
    rhs = lookup(env, key, marker);
  } else {
    key = "";
    lhs = c.lhs.value;
    rhs = c.rhs.value;
  }
  if (typeof lhs !== "string") {
    throw evalError("INVALID_MARKER", `Marker ${JSON.stringify(marker)}: ${key} is a set; use '"name" in ${key}'`);
  }
  if (SET_KEYS.has(key)) {
    lhs = canonicalizeName(lhs);
    rhs = typeof rhs === "string" ? canonicalizeName(rhs) : new Set([...rhs].map(canonicalizeName));
  }
  if (VERSION_KEYS.has(key) && typeof rhs === "string" && c.op !== "in" && c.op !== "not in") {
    const spec = parseSpecifier(`${c.op}${rhs}`);
    if (spec) {
      if (spec.operator !== "===" && !isValidVersion(lhs)) return false;
      return specifierContains({ text: `${spec.operator}${spec.version}`, specifiers: [spec] }, lhs, { prereleases: true });
    }
  }
  return compareStrings(lhs, c.op, rhs, marker);
}

function evalTree(tree: MarkerList, env: Record<string, EnvValue | undefined>, marker: string): boolean {
  // "and" binds tighter than "or": split into or-groups, each true when all its atoms are.
  let anyGroup = false;
  let group = true;
  for (const node of tree) {
    if (node === "or") {
      anyGroup ||= group;
      group = true;
    } else if (node !== "and") {
      // No short-circuit: like packaging, an undefined comparison is an error wherever it appears.
      const value = Array.isArray(node) ? evalTree(node, env, marker) : evalComparison(node, env, marker);
      group &&= value;
    }
  }
  return anyGroup || group;
}

// platform.python_version() of an untagged CPython build ends in "+", which is not PEP 440.
function repairFullVersion(v: string): string {
  return v.endsWith("+") ? `${v}local` : v;
}

/** Evaluates against an explicit environment; `extra` defaults to "" and the PEP 751 sets to empty. */
export function evaluateMarker(marker: Marker | string, env: MarkerEnvironment, ctx: EvaluationContext = {}): boolean {
  const parsed = typeof marker === "string" ? parseMarker(marker) : marker;
  return evalTree(parsed.tree, evaluationValues(env, ctx), typeof marker === "string" ? marker : formatMarker(parsed));
}

/** The variables a marker is evaluated against: the environment plus `extra` and the PEP 751 sets. */
export function evaluationValues(env: MarkerEnvironment, ctx: EvaluationContext): Record<string, EnvValue | undefined> {
  return {
    ...env,
    python_full_version: repairFullVersion(env.python_full_version),
    extra: ctx.extra ? canonicalizeName(ctx.extra) : "",
    extras: new Set((ctx.extras ?? []).map(canonicalizeName)),
    dependency_groups: new Set((ctx.dependency_groups ?? []).map(canonicalizeName)),
  };
}

/** Every `extra == "…"` name a marker mentions (normalized), e.g. to list a Requires-Dist's extras. */
export function markerExtras(marker: Marker): string[] {
  const out = new Set<string>();
  const walk = (tree: MarkerList) => {
    for (const n of tree) {
      if (Array.isArray(n)) walk(n);
      else if (typeof n !== "string") {
        if ("variable" in n.lhs && n.lhs.variable === "extra" && "value" in n.rhs) out.add(n.rhs.value);
        if ("variable" in n.rhs && n.rhs.variable === "extra" && "value" in n.lhs) out.add(n.lhs.value);
      }
    }
  };
  walk(marker.tree);
  return [...out].sort();
}
