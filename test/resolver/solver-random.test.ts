// The solver against brute force on many small random indexes: it must find a valid solution exactly
// when one exists, and what it returns must satisfy every requirement.

import { describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { resolve } from "../../src/resolver/resolve.js";
import { parseRequirement } from "../../src/standards/pep508.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { specifierContains } from "../../src/standards/pep440.js";
import { memoryProvider, type MemIndex } from "./memory-index.js";
import { prng as rng } from "../../fixtures/prng.js";

const target = resolveTarget("manylinux_x86_64", "3.11");
const NAMES = ["p0", "p1", "p2", "p3", "p4"];
const VERSIONS = ["1", "2", "3"];
const OPS = ["==", ">=", "<", "!="];

function randomCase(seed: number): { index: MemIndex; root: string[] } {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const spec = (name: string) => (r() < 0.3 ? name : `${name}${pick(OPS)}${pick(VERSIONS)}`);
  const index: MemIndex = {};
  for (const [i, name] of NAMES.entries()) {
    index[name] = {};
    for (const v of VERSIONS) {
      const deps: string[] = [];
      // Some edges hold only on Windows: resolving for Linux must ignore them.
      for (const other of NAMES.slice(i + 1)) if (r() < 0.35) deps.push(spec(other) + (r() < 0.2 ? '; sys_platform == "win32"' : ""));
      // Occasionally a back edge, for cycles.
      if (i > 0 && r() < 0.1) deps.push(spec(NAMES[0]));
      index[name][v] = { deps };
    }
  }
  const root = [spec("p0"), ...(r() < 0.5 ? [spec(pick(NAMES.slice(1)))] : [])];
  return { index, root };
}

type Pins = Record<string, string | undefined>;

function satisfies(index: MemIndex, root: string[], pins: Pins): boolean {
  const ok = (text: string) => {
    const req = parseRequirement(text);
    if (req.marker) return true;
    const v = pins[req.name];
    return v !== undefined && (req.specifier === "" || specifierContains(req.specifier, v));
  };
  if (!root.every(ok)) return false;
  return Object.entries(pins).every(([name, v]) => v === undefined || (index[name][v].deps ?? []).every(ok));
}

function bruteForce(index: MemIndex, root: string[]): boolean {
  const states = [undefined, ...VERSIONS];
  const total = states.length ** NAMES.length;
  for (let n = 0; n < total; n++) {
    const pins: Pins = {};
    let k = n;
    for (const name of NAMES) {
      pins[name] = states[k % states.length];
      k = Math.floor(k / states.length);
    }
    if (satisfies(index, root, pins)) return true;
  }
  return false;
}

describe("solver vs brute force", () => {
  it("agrees on 300 random indexes", async () => {
    let solvable = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { index, root } = randomCase(seed);
      const expected = bruteForce(index, root);
      let pins: Pins | undefined;
      try {
        const res = await resolve(memoryProvider(index), { target, rootName: "root", requirements: root.map(parseRequirement) });
        pins = Object.fromEntries(res.packages.map((p) => [p.name, p.version]));
      } catch (error) {
        if (!(error instanceof PystoreError) || error.code !== "NO_SOLUTION") throw new Error(`seed ${seed}: ${String(error)}`);
        expect(error.message.trimEnd().endsWith("so no solution")).toBe(true);
      }
      expect({ seed, solved: pins !== undefined }).toEqual({ seed, solved: expected });
      if (pins) {
        solvable++;
        expect({ seed, valid: satisfies(index, root, pins) }).toEqual({ seed, valid: true });
      }
    }
    // The generator must exercise both outcomes for this test to mean anything.
    expect(solvable).toBeGreaterThan(30);
    expect(solvable).toBeLessThan(290);
  });
});
