// Partial marker evaluation: what a marker still says when part of the environment is not known yet.
// A lock is made before anyone picks extras or dependency groups (PEP 751 `extras`/`dependency_groups`
// markers), and `--python 3.11` names no patch level; comparisons on what is unknown stay in the
// result, everything else is decided. The residual is what the lock records as a package's marker.

import { parseVersion } from "../pep440.js";
import {
  type EnvValue,
  type EvaluationContext,
  type Marker,
  type MarkerComparison,
  type MarkerEnvironment,
  type MarkerList,
  evalComparison,
  evaluationValues,
  formatMarker,
  parseMarker,
} from "./marker.js";

export interface Unknowns {
  /** `extras` and `dependency_groups` (PEP 751's install-time choices) are not known. */
  selections?: boolean;
  /** Only X.Y of the Python is known: `python_full_version` and `implementation_version` may be any X.Y.N. */
  pythonPatch?: boolean;
  /** Nothing but the selections is known (a lock read without a target). */
  environment?: boolean;
}

/** true or false when the known part decides; otherwise the marker that is left to evaluate. */
export type Reduced = boolean | Marker;

const NO_ENVIRONMENT = { python_full_version: "" } as MarkerEnvironment;
const SELECTION_KEYS = new Set(["extras", "dependency_groups"]);
const PATCH_KEYS = new Set(["python_full_version", "implementation_version"]);

function variables(c: MarkerComparison): string[] {
  return [c.lhs, c.rhs].flatMap((o) => ("variable" in o ? [o.variable] : []));
}

function literal(c: MarkerComparison): string | undefined {
  if ("value" in c.rhs) return c.rhs.value;
  if ("value" in c.lhs) return c.lhs.value;
  return undefined;
}

/**
 * Patch levels that tell apart every answer a comparison with `value` can give on X.Y.*: its boundary is
 * at the literal's own patch (when the literal is an X.Y.N version), so probing around it and at both ends
 * of the series finds any split.
 */
function patchProbes(value: string | undefined, minor: string): number[] {
  const probes = new Set([0, 1, 99]);
  if (value !== undefined) {
    try {
      const release = parseVersion(value).release;
      if (`${release[0]}.${release[1] ?? 0}` === minor) {
        const patch = release[2] ?? 0;
        for (const p of [patch - 1, patch, patch + 1]) if (p >= 0) probes.add(p);
      }
    } catch {
      // Not a version: a string comparison, decided (or not) by the same probes.
    }
  }
  return [...probes];
}

function reduceComparison(
  c: MarkerComparison,
  values: Record<string, EnvValue | undefined>,
  unknowns: Unknowns,
  text: string,
): boolean | MarkerComparison {
  const vars = variables(c);
  if (unknowns.selections && vars.some((v) => SELECTION_KEYS.has(v))) return c;
  if (unknowns.environment && vars.some((v) => !SELECTION_KEYS.has(v) && v !== "extra")) return c;
  if (unknowns.pythonPatch && vars.some((v) => PATCH_KEYS.has(v))) {
    const minor = values.python_version as string;
    const answers = new Set(
      patchProbes(literal(c), minor).map((patch) => {
        const full = `${minor}.${patch}`;
        return evalComparison(c, { ...values, python_full_version: full, implementation_version: full }, text);
      }),
    );
    return answers.size === 1 ? [...answers][0] : c;
  }
  return evalComparison(c, values, text);
}

function reduceList(
  tree: MarkerList,
  values: Record<string, EnvValue | undefined>,
  unknowns: Unknowns,
  text: string,
): boolean | MarkerList {
  // "and" binds tighter than "or": reduce each or-group, then the groups.
  const groups: MarkerList[] = [];
  let anyTrue = false;
  let group: MarkerList = [];
  let groupFalse = false;
  const closeGroup = () => {
    if (!groupFalse) {
      if (group.length === 0) anyTrue = true;
      else groups.push(group);
    }
    group = [];
    groupFalse = false;
  };
  for (const node of tree) {
    if (node === "or") closeGroup();
    else if (node !== "and") {
      const value = Array.isArray(node) ? reduceList(node, values, unknowns, text) : reduceComparison(node, values, unknowns, text);
      if (value === false) groupFalse = true;
      else if (value !== true) {
        if (group.length > 0) group.push("and");
        group.push(value);
      }
    }
  }
  closeGroup();
  if (anyTrue) return true;
  if (groups.length === 0) return false;
  const out: MarkerList = [];
  for (const g of groups) {
    if (out.length > 0) out.push("or");
    // A one-group residual is spliced in; several are kept as parentheses only when they mix operators.
    out.push(...(groups.length === 1 || g.length === 1 ? g : [g]));
  }
  return out;
}

/** Evaluates what `env`/`ctx` decide and keeps the comparisons on `unknowns`. */
export function reduceMarker(
  marker: Marker | string,
  env: MarkerEnvironment | undefined,
  ctx: EvaluationContext,
  unknowns: Unknowns,
): Reduced {
  const parsed = typeof marker === "string" ? parseMarker(marker) : marker;
  const text = typeof marker === "string" ? marker : formatMarker(parsed);
  // Without an environment only the selections can be decided.
  const values = evaluationValues(env ?? NO_ENVIRONMENT, ctx);
  const reduced = reduceList(parsed.tree, values, env ? unknowns : { ...unknowns, environment: true }, text);
  return typeof reduced === "boolean" ? reduced : { kind: "marker", tree: reduced };
}
