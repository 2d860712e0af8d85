// Benchmark workload 6: the resolver alone, in this process, on generated indexes of growing size
// (test/resolver/large-index.ts: layers, diamonds, extras, markers, conflicts that force backtracking).
// Time and heap growth per size, and how each grows from one size to the next.

import { resolve } from "../src/resolver/resolve.js";
import { parseRequirement } from "../src/standards/pep508.js";
import { resolveTarget } from "../src/standards/targets.js";
import { largeIndex } from "../test/resolver/large-index.js";
import { memoryProvider } from "../test/resolver/memory-index.js";

export interface ResolverPoint {
  projects: number;
  packages: number;
  medianMs: number;
  heapGrowthMiB: number;
  /** Versus the previous size: how many times the time and the project count grew. */
  timeGrowth?: number;
  sizeGrowth?: number;
}

/** BENCH_RESOLVER_SIZES=100,500,2000 (the default); larger sizes only when asked for. */
export function resolverSizes(): number[] {
  const raw = process.env.BENCH_RESOLVER_SIZES ?? "100,500,2000";
  return raw
    .split(",")
    .map((s) => Number.parseInt(s.trim(), 10))
    .filter((n) => Number.isFinite(n) && n > 0);
}

export async function resolverWorkload(runs: number): Promise<ResolverPoint[]> {
  const target = resolveTarget("manylinux_x86_64", "3.11");
  const points: ResolverPoint[] = [];
  for (const projects of resolverSizes()) {
    const { index, roots } = largeIndex(projects);
    const requirements = roots.map(parseRequirement);
    const times: number[] = [];
    let packages = 0;
    let heap = 0;
    for (let run = 0; run < runs; run++) {
      const before = process.memoryUsage().heapUsed;
      const start = performance.now();
      const resolution = await resolve(memoryProvider(index), { target, rootName: "app", requirements });
      times.push(performance.now() - start);
      heap = Math.max(heap, process.memoryUsage().heapUsed - before);
      packages = resolution.packages.length;
    }
    times.sort((a, b) => a - b);
    const point: ResolverPoint = {
      projects,
      packages,
      medianMs: Math.round(times[Math.floor(times.length / 2)]),
      heapGrowthMiB: Math.round(heap / 2 ** 20),
    };
    const previous = points.at(-1);
    if (previous) {
      point.timeGrowth = Math.round((point.medianMs / Math.max(1, previous.medianMs)) * 10) / 10;
      point.sizeGrowth = Math.round((projects / previous.projects) * 10) / 10;
    }
    points.push(point);
  }
  return points;
}
