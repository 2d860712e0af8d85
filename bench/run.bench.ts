// Benchmark entry point: pystore vs pip, side by side, on this machine; prints the table and writes
// bench/results/latest.json. Measures only; it asserts nothing about timings.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../fixtures/index-server.js";
import type { Row } from "./compare.js";
import { startPypiHeaderProxy, type HeaderProxy } from "./pypi-headers.js";
import { buildGraphWheels, generateGraph } from "./graph.js";
import { formatMarkdown, formatTable, machineInfo, writeResults } from "./report.js";
import { installWorkload, lockWorkload } from "./workloads-index.js";
import { realWheelsWorkload, startupWorkload } from "./workloads-local.js";
import { mirrorWorkload } from "./workloads-mirror.js";
import { type ResolverPoint, resolverWorkload } from "./workloads-resolver.js";
import { registryWorkload } from "./workloads-registry.js";

const runs = Math.min(50, Math.max(1, Number.parseInt(process.env.BENCH_RUNS ?? "5", 10) || 5));
/** BENCH_ONLY=1,4 runs a subset of the workloads. */
const only = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5,6,7").split(",").map((s) => s.trim()));

let work: string | undefined;
let server: IndexServer | undefined;
let proxy: HeaderProxy | undefined;
/** BENCH_PYPI_HEADERS=0 serves the fixture as is (ETags, but no Cache-Control). */
const pypiHeaders = process.env.BENCH_PYPI_HEADERS !== "0";

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

it("benchmarks pystore against pip", async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-bench-"));
  const started = new Date();
  const machineBefore = machineInfo();
  const graph = generateGraph();
  const wheels = await buildGraphWheels(graph, work);
  server = await startIndexServer({ wheels });
  if (pypiHeaders) proxy = await startPypiHeaderProxy(server.origin);
  const indexUrl = proxy?.url ?? server.url;
  const log = (text: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
  log(
    `${wheels.length} wheels for ${graph.projects} projects on ${indexUrl}${proxy ? " (PyPI cache headers)" : ""}; ${runs} runs per measurement`,
  );

  const rows: Row[] = [];
  const ctx = { runs, work, server, indexUrl, wheels, roots: graph.roots, specs: graph.specs };
  if (only.has("1") || only.has("2")) {
    log("workload 1: resolve + lock");
    const lock = await lockWorkload(ctx);
    if (only.has("1")) rows.push(...lock.rows);
    if (only.has("2")) {
      log("workload 2: download + install");
      rows.push(...(await installWorkload(ctx, lock)));
    }
  }
  if (only.has("3")) {
    log("workload 3: real wheels");
    rows.push(...(await realWheelsWorkload(runs, work)));
  }
  if (only.has("4")) {
    log("workload 4: CLI start-up");
    rows.push(...(await startupWorkload(runs, work)));
  }

  if (only.has("5")) {
    log("workload 5: mirror-like wheel set on nginx (fetch, first and warm bundles, archives)");
    // Fewer runs: each one fetches and unpacks the whole set.
    rows.push(...(await mirrorWorkload(Math.min(runs, 3), work)));
  }
  if (only.has("7")) {
    log("workload 7: the store on an OCI registry (push and pull)");
    rows.push(...(await registryWorkload(Math.min(runs, 3), work)));
  }
  let resolver: ResolverPoint[] = [];
  if (only.has("6")) {
    log("workload 6: resolver on generated indexes");
    resolver = await resolverWorkload(Math.min(runs, 3));
  }

  const table = formatTable(rows);
  const path = await writeResults({
    schema: "pystore-bench/1",
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    runsPerMeasurement: runs,
    machine: { ...machineBefore, loadAverageAfter: machineInfo().loadAverage },
    index: {
      projects: graph.projects,
      wheels: wheels.length,
      rootRequirements: graph.roots,
      cacheHeaders: pypiHeaders ? "pypi (pages max-age=600, files immutable)" : "none (ETag only)",
    },
    rows,
    resolver,
    markdown: formatMarkdown(rows),
  });
  console.log(
    `\npystore vs pip — median of ${runs} runs (start-up: ${runs * 2}), wall clock per command\n\n${table}\n${resolverTable(resolver)}\nwritten: ${path}\n`,
  );
  // Not a timing assertion: the bench must have measured something for every row it reports.
  expect(rows.length).toBeGreaterThan(0);
  for (const side of ["pystore", "pip"] as const)
    expect(rows.every((r) => r[side].summary !== undefined || r[side].error !== undefined || r[side].skipped !== undefined)).toBe(true);
});

function resolverTable(points: ResolverPoint[]): string {
  if (points.length === 0) return "";
  const lines = points.map(
    (p) =>
      `  ${String(p.projects).padStart(5)} projects → ${String(p.packages).padStart(5)} packages: ${String(p.medianMs).padStart(6)} ms, heap +${p.heapGrowthMiB} MiB` +
      (p.timeGrowth === undefined ? "" : ` (${p.sizeGrowth}× projects → ${p.timeGrowth}× time)`),
  );
  return `\nresolver alone (in-process, generated index):\n${lines.join("\n")}\n`;
}
