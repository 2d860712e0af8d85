// Test helper: a generated, deterministic index of N projects for resolver scale and determinism tests:
// layered dependencies with diamonds, upper bounds that conflict with the newest releases (so the
// resolver must backtrack), extras, and markers that never apply on Linux.

import type { MemIndex, MemVersion } from "./memory-index.js";
import { prng } from "../../fixtures/prng.js";

const VERSIONS = ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0"];

export interface LargeIndex {
  index: MemIndex;
  /** Root requirements: the top layer's projects. */
  roots: string[];
}

/**
 * `projects` projects in four layers (a dependency always points to a lower layer). Each version of a
 * project depends on 2–4 lower projects; one in twelve requirements caps its dependency below 3.0 and
 * one in ten versions' newest release requires a project's 3.0 that another path forbids, which forces
 * backtracking through several levels.
 */
export function largeIndex(projects: number, seed = 7): LargeIndex {
  const random = prng(seed);
  const name = (i: number) => `p${String(i).padStart(4, "0")}`;
  const layerStart = [0, Math.floor(projects * 0.4), Math.floor(projects * 0.7), Math.floor(projects * 0.9), projects];
  const layerOf = (i: number) => layerStart.findIndex((start, k) => i >= start && i < layerStart[k + 1]);
  const index: MemIndex = {};
  for (let i = 0; i < projects; i++) {
    const layer = layerOf(i);
    const versions: Record<string, MemVersion> = {};
    // Stable dependency choices per project, so diamonds are shared across versions.
    const pool: number[] = [];
    if (layer > 0) {
      const count = 2 + Math.floor(random() * 3);
      for (let k = 0; k < count; k++) {
        // Mostly the layer just below, sometimes any lower one.
        const from = random() < 0.7 ? layerStart[layer - 1] : 0;
        pool.push(from + Math.floor(random() * (layerStart[layer] - from)));
      }
    }
    VERSIONS.forEach((version, v) => {
      const deps = [...new Set(pool)].map((d) => {
        const roll = random();
        if (roll < 1 / 12) return `${name(d)}<3`;
        if (roll < 0.2) return `${name(d)}>=1.1`;
        return name(d);
      });
      // The newest release of some projects wants a dependency's 3.0, which a cap elsewhere may forbid.
      if (v === VERSIONS.length - 1 && pool.length > 0 && random() < 0.1) deps.push(`${name(pool[0])}>=3`);
      if (random() < 0.05)
        deps.push(`${name(Math.floor(random() * Math.max(1, layerStart[Math.max(1, layer)])))} ; sys_platform == 'win32'`);
      const entry: MemVersion = { deps };
      if (v >= 2 && layer < 3 && random() < 0.1) entry.extras = ["speed"];
      versions[version] = entry;
    });
    index[name(i)] = versions;
  }
  const roots: string[] = [];
  for (let i = layerStart[3]; i < projects; i++) roots.push(name(i));
  return { index, roots };
}
