// PubGrub terms over a finite universe: each package's known versions plus "not selected", held as a
// bigint bitset, so intersection, union, complement and subset are single bit operations.

import { PystoreError } from "../errors.js";

/** Bit 0 stands for "the package is not selected"; bit i+1 for versions[i] (ascending). */
export const NOT_SELECTED = 1n;

export interface Universe {
  key: string;
  /** Display name, e.g. "a" or "a[extra]". */
  display: string;
  versions: string[];
  full: bigint;
  index: Map<string, number>;
}

export function makeUniverse(key: string, display: string, versions: string[]): Universe {
  return { key, display, versions, full: (1n << BigInt(versions.length + 1)) - 1n, index: new Map(versions.map((v, i) => [v, i])) };
}

export function versionBit(u: Universe, version: string): bigint {
  const i = u.index.get(version);
  if (i === undefined) throw new PystoreError("INTERNAL", `internal: ${u.display} has no version ${version}`);
  return 1n << BigInt(i + 1);
}

export function bitsWhere(u: Universe, test: (version: string) => boolean): bigint {
  let bits = 0n;
  u.versions.forEach((v, i) => {
    if (test(v)) bits |= 1n << BigInt(i + 1);
  });
  return bits;
}

export function versionsIn(u: Universe, set: bigint): string[] {
  return u.versions.filter((_, i) => (set & (1n << BigInt(i + 1))) !== 0n);
}

export function popcount(set: bigint): number {
  let n = 0;
  for (let s = set; s !== 0n; s &= s - 1n) n++;
  return n;
}

/** A term: "the package's state is one of `set`". Positive when "not selected" is excluded. */
export interface Term {
  pkg: string;
  set: bigint;
}

export function isPositive(term: Term): boolean {
  return (term.set & NOT_SELECTED) === 0n;
}

/**
 * A version set as people write it: "==2.0", ">=2.0", "<1.0", ">=1.0,<2.0", a list for scattered
 * sets. Bounds use the neighbouring known versions, so "<1.0" means "below the first version ≥ 1.0".
 */
export function rangeText(u: Universe, set: bigint): string {
  const picked = u.versions.map((_, i) => (set & (1n << BigInt(i + 1))) !== 0n);
  const runs: [number, number][] = [];
  picked.forEach((on, i) => {
    if (!on) return;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  });
  if (runs.length === 0) return " (no version)";
  const n = u.versions.length;
  const parts = runs.map(([lo, hi]) => {
    if (lo === 0 && hi === n - 1) return "";
    if (lo === hi) return `==${u.versions[lo]}`;
    const bounds: string[] = [];
    if (lo > 0) bounds.push(`>=${u.versions[lo]}`);
    if (hi < n - 1) bounds.push(`<${u.versions[hi + 1]}`);
    return bounds.join(",");
  });
  if (parts.length === 1) return parts[0];
  return ` (${parts.join(" or ")})`;
}
