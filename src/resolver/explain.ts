// Turns the solver's derivation tree (which incompatibilities combined into "no solution") into the
// chain a person can follow: "every a>=2.0 depends on b<1; app depends on a>=2; …; so no solution".

import type { Incompatibility } from "./solver.js";
import { NOT_SELECTED, isPositive, rangeText, versionsIn, type Term, type Universe } from "./terms.js";

export interface ExplainContext {
  universes: Map<string, Universe>;
  labels: Map<string, string>;
  rootKey: string;
  rootName: string;
  /** "from|to|matches" → every version of `from` the failure used with that same dependency. */
  sameDependency?: Map<string, bigint>;
}

const depKey = (from: string, to: string, matches: bigint) => `${from}|${to}|${matches}`;

function positiveSet(ctx: ExplainContext, t: Term): bigint {
  return t.set & ~NOT_SELECTED & ctx.universes.get(t.pkg)!.full;
}

/** "a 2.0", "a>=2.0", "every version of a", "the project". */
function subject(ctx: ExplainContext, pkg: string, set: bigint): string {
  if (pkg === ctx.rootKey) return ctx.rootName;
  const u = ctx.universes.get(pkg)!;
  const versions = versionsIn(u, set);
  if (versions.length === 1) return `${u.display} ${versions[0]}`;
  const range = rangeText(u, set);
  return range === "" ? `every version of ${u.display}` : `${u.display}${range}`;
}

/** The requirement side: prefer the text the user or the metadata wrote ("b>=1"). */
function requirement(ctx: ExplainContext, pkg: string, set: bigint): string {
  const u = ctx.universes.get(pkg)!;
  const label = ctx.labels.get(`${pkg}:${set}`);
  if (label) return label;
  const range = rangeText(u, set);
  return range === "" ? `${u.display} (any version)` : `${u.display}${range}`;
}

function negated(ctx: ExplainContext, t: Term): bigint {
  return ctx.universes.get(t.pkg)!.full & ~t.set & ~NOT_SELECTED;
}

function external(ctx: ExplainContext, inc: Incompatibility): string {
  const cause = inc.cause;
  switch (cause.kind) {
    case "dependency": {
      // Versions with the same dependency read as one fact: "every a>=2.0 depends on b<1".
      const fromSet = ctx.sameDependency?.get(depKey(cause.from, cause.to, cause.matches)) ?? cause.fromSet;
      const many = cause.from !== ctx.rootKey && versionsIn(ctx.universes.get(cause.from)!, fromSet).length > 1;
      const who = subject(ctx, cause.from, fromSet);
      const text = `${many && !who.startsWith("every ") ? `every ${who}` : who} depends on ${requirement(ctx, cause.to, cause.matches)}`;
      if (cause.matches !== 0n) return text;
      const u = ctx.universes.get(cause.to)!;
      const known = u.versions.length ? `available: ${u.versions.slice(-8).join(", ")}` : "no source has any";
      return `${text}, but no version of ${u.display} matches (${known})`;
    }
    case "unavailable": {
      const t = inc.terms[0];
      return `${subject(ctx, t.pkg, positiveSet(ctx, t))} ${cause.reason}`;
    }
    case "no-versions": {
      const t = inc.terms[0];
      const u = ctx.universes.get(t.pkg)!;
      const known = u.versions.length ? `available: ${u.versions.slice(-8).join(", ")}` : "no source has any";
      return `no version of ${u.display} matches ${rangeText(u, positiveSet(ctx, t)).trim() || "(any)"} (${known})`;
    }
    case "root":
      return `${ctx.rootName} is required`;
    default:
      return derived(ctx, inc);
  }
}

/** A learned fact, with the always-selected root left out. */
function derived(ctx: ExplainContext, inc: Incompatibility): string {
  const terms = inc.terms.filter((t) => !(t.pkg === ctx.rootKey && isPositive(t)));
  if (terms.length === 0) return "no solution";
  const pos = terms.filter(isPositive);
  const neg = terms.filter((t) => !isPositive(t));
  if (terms.length === 1 && pos.length === 1) return `${subject(ctx, pos[0].pkg, positiveSet(ctx, pos[0]))} cannot be used`;
  if (terms.length === 1) return `${requirement(ctx, neg[0].pkg, negated(ctx, neg[0]))} is required`;
  if (pos.length === 1 && neg.length === 1) {
    return `${subject(ctx, pos[0].pkg, positiveSet(ctx, pos[0]))} requires ${requirement(ctx, neg[0].pkg, negated(ctx, neg[0]))}`;
  }
  if (neg.length === 0) return `${pos.map((t) => subject(ctx, t.pkg, positiveSet(ctx, t))).join(" and ")} cannot be used together`;
  const parts = [
    ...pos.map((t) => subject(ctx, t.pkg, positiveSet(ctx, t))),
    ...neg.map((t) => `not ${requirement(ctx, t.pkg, negated(ctx, t))}`),
  ];
  return `${parts.join(" and ")} cannot all hold`;
}

/** The facts leading to `failure`, leaves first, each stated once, ending in "so no solution". */
export function explainFailure(ctx: ExplainContext, failure: Incompatibility): string[] {
  const sameDependency = new Map<string, bigint>();
  const seen = new Set<number>();
  const collect = (inc: Incompatibility) => {
    if (seen.has(inc.id)) return;
    seen.add(inc.id);
    const cause = inc.cause;
    if (cause.kind === "conflict") {
      collect(cause.left);
      collect(cause.right);
    } else if (cause.kind === "dependency") {
      const key = depKey(cause.from, cause.to, cause.matches);
      sameDependency.set(key, (sameDependency.get(key) ?? 0n) | cause.fromSet);
    }
  };
  collect(failure);
  ctx = { ...ctx, sameDependency };
  const lines: string[] = [];
  const stated = new Set<string>();
  const say = (line: string) => {
    if (!stated.has(line)) {
      stated.add(line);
      lines.push(line);
    }
  };
  const visit = (inc: Incompatibility, top: boolean) => {
    if (inc.cause.kind === "conflict") {
      visit(inc.cause.left, false);
      visit(inc.cause.right, false);
      if (top) say("so no solution");
      else {
        // "so a>=2 requires b<1" right after "every a>=2 depends on b<1" says nothing new.
        const text = derived(ctx, inc);
        const same = text.replace(" requires ", " depends on ");
        if (!stated.has(same) && !stated.has(`every ${same}`)) say(`so ${text}`);
      }
    } else if (inc.cause.kind !== "root") {
      say(external(ctx, inc));
    }
  };
  visit(failure, true);
  if (lines[lines.length - 1] !== "so no solution") lines.push("so no solution");
  return lines;
}

/** Every "no wheel for this target" fact the failure rests on (those become NO_MATCHING_WHEEL). */
export function noWheelCauses(failure: Incompatibility): { pkg: string; versions: bigint; wheels: string[]; target: string }[] {
  const out: { pkg: string; versions: bigint; wheels: string[]; target: string }[] = [];
  const seen = new Set<number>();
  const visit = (inc: Incompatibility) => {
    if (seen.has(inc.id)) return;
    seen.add(inc.id);
    if (inc.cause.kind === "conflict") {
      visit(inc.cause.left);
      visit(inc.cause.right);
    } else if (inc.cause.kind === "unavailable" && inc.cause.noWheel) {
      out.push({ pkg: inc.terms[0].pkg, versions: inc.terms[0].set, ...inc.cause.noWheel });
    }
  };
  visit(failure);
  return out;
}

/** Every package key the failure's derivation mentions (root included). */
export function packagesIn(failure: Incompatibility): Set<string> {
  const out = new Set<string>();
  const seen = new Set<number>();
  const visit = (inc: Incompatibility) => {
    if (seen.has(inc.id)) return;
    seen.add(inc.id);
    for (const t of inc.terms) out.add(t.pkg);
    if (inc.cause.kind === "conflict") {
      visit(inc.cause.left);
      visit(inc.cause.right);
    } else if (inc.cause.kind === "dependency") {
      out.add(inc.cause.to);
    }
  };
  visit(failure);
  return out;
}
