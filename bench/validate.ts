// Benchmark sanity check: is a resolved set (name==version pins) a valid solution of the generated
// graph? Both tools' answers are checked, so "faster" never means "resolved something wrong".

import type { WheelSpec } from "../fixtures/wheels.js";
import { specifierContains } from "../src/standards/pep440.js";
import { evaluateMarker, parseRequirement } from "../src/standards/pep508.js";
import { resolveTarget } from "../src/standards/targets.js";

const canonical = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** Problems with `pins` (empty = valid): unmet or violated requirements, unsupported Requires-Python. */
export function validateResolution(pins: string[], specs: WheelSpec[], roots: string[], python = "3.11"): string[] {
  const env = resolveTarget("manylinux_x86_64", python).markers;
  const solution = new Map(pins.map((p) => p.split("==") as [string, string]));
  const spec = new Map(specs.map((s) => [`${canonical(s.name)}==${s.version}`, s]));
  const problems: string[] = [];
  // Walk demands from the roots; each (project, extra) pair's requirements are expanded once.
  const demands: { from: string; text: string }[] = roots.map((text) => ({ from: "<root>", text }));
  const seen = new Set<string>();
  while (demands.length > 0) {
    const { from, text } = demands.shift()!;
    const req = parseRequirement(text);
    const name = canonical(req.name);
    const version = solution.get(name);
    if (version === undefined) {
      problems.push(`${from} needs ${text}: not in the resolved set`);
      continue;
    }
    if (!specifierContains(req.specifier, version)) problems.push(`${from} needs ${text}: got ${version}`);
    for (const extra of ["", ...req.extras]) {
      if (seen.has(`${name}[${extra}]`)) continue;
      seen.add(`${name}[${extra}]`);
      const meta = spec.get(`${name}==${version}`);
      if (!meta) {
        problems.push(`${name}==${version} is not in the index`);
        continue;
      }
      if (meta.requiresPython && !specifierContains(meta.requiresPython, `${python}.0`))
        problems.push(`${name}==${version} requires Python ${meta.requiresPython}`);
      for (const dep of meta.requiresDist ?? []) {
        const parsed = parseRequirement(dep);
        if (parsed.marker && !evaluateMarker(parsed.marker, env, { extra })) continue;
        if (!parsed.marker && extra) continue;
        demands.push({ from: `${name}==${version}`, text: dep });
      }
    }
  }
  for (const name of solution.keys()) if (!seen.has(`${name}[]`)) problems.push(`${name} is in the resolved set but nothing needs it`);
  return problems;
}
