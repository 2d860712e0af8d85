// When a locked package is installed: an or-of-ands of marker texts, built while walking the resolved
// graph from the root (each edge adds its residual marker) and written as the package's PEP 751 marker.
// Pure. Kept in a normal form (sorted, no duplicates, no clause implied by a shorter one) so equal
// conditions print as equal markers and the lock stays byte-identical.

import { formatMarker, type Marker, parseMarker } from "../standards/pep508.js";
import { compareStrings } from "../util/order.js";

/** Clauses joined by "or"; each clause's atoms joined by "and". [] never holds; [[]] always does. */
export type Condition = readonly (readonly string[])[];

export const ALWAYS: Condition = [[]];
export const NEVER: Condition = [];

/** A marker as one atom (true when it is absent). */
export function when(marker: Marker | string | undefined): Condition {
  if (marker === undefined) return ALWAYS;
  return [[formatMarker(marker)]];
}

function clauseKey(clause: readonly string[]): string {
  return clause.join("\u0000");
}

function normalize(clauses: (readonly string[])[]): Condition {
  const unique = new Map<string, string[]>();
  for (const clause of clauses) {
    const atoms = [...new Set(clause)].sort(compareStrings);
    unique.set(clauseKey(atoms), atoms);
  }
  const sorted = [...unique.values()].sort((a, b) => a.length - b.length || compareStrings(clauseKey(a), clauseKey(b)));
  // A clause that contains every atom of a shorter one adds nothing to the "or".
  const kept: string[][] = [];
  for (const clause of sorted) if (!kept.some((k) => k.every((atom) => clause.includes(atom)))) kept.push(clause);
  return kept.sort((a, b) => compareStrings(clauseKey(a), clauseKey(b)));
}

export function or(a: Condition, b: Condition): Condition {
  return normalize([...a, ...b]);
}

export function and(a: Condition, b: Condition): Condition {
  const out: string[][] = [];
  for (const x of a) for (const y of b) out.push([...x, ...y]);
  return normalize(out);
}

export function isAlways(c: Condition): boolean {
  return c.length === 1 && c[0].length === 0;
}

export function sameCondition(a: Condition, b: Condition): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function hasTopLevelOr(atom: string): boolean {
  const tree = parseMarker(atom).tree;
  return tree.includes("or");
}

/** The condition as one marker text; undefined when it always holds. */
export function conditionMarker(c: Condition): string | undefined {
  if (isAlways(c)) return undefined;
  if (c.length === 0) throw new Error("a package that is never installed has no marker");
  const clauses = c.map((clause) => clause.map((atom) => (clause.length > 1 && hasTopLevelOr(atom) ? `(${atom})` : atom)).join(" and "));
  // "and" binds tighter than "or", so clauses need no parentheses of their own.
  return clauses.join(" or ");
}

export interface ConditionEdge {
  from: string;
  to: string;
  when?: Marker;
}

/**
 * When each node of a resolved graph is installed: the "or" over every path from the root ("") of the
 * "and" of the residual markers along it. A fixed point: conditions only grow, and there are finitely many.
 */
export function installConditions(edges: readonly ConditionEdge[]): Map<string, Condition> {
  const outgoing = new Map<string, ConditionEdge[]>();
  for (const e of edges) outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e]);
  const conditions = new Map<string, Condition>([["", ALWAYS]]);
  const pending = [""];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const here = conditions.get(node)!;
    for (const edge of outgoing.get(node) ?? []) {
      const before = conditions.get(edge.to) ?? NEVER;
      const after = or(before, and(here, when(edge.when)));
      if (sameCondition(before, after)) continue;
      conditions.set(edge.to, after);
      pending.push(edge.to);
    }
  }
  return conditions;
}
