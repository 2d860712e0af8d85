// Benchmark comparison loop: N interleaved runs of a pystore command and its pip counterpart, each
// side failing independently (a broken command is reported, the other side still measured).

import { summarize, type Measure, type Summary } from "./harness.js";

/** One timed attempt; throws on failure. */
export type Attempt = (run: number) => Promise<Measure>;

export interface SideResult {
  /** Wall clock, spawn to exit. */
  summary?: Summary;
  /** User + system CPU of the process tree (absent where GNU time is missing). */
  cpu?: Summary;
  /** Wall clock of named parts (e.g. fetch and bundle inside "fetch + bundle"). */
  parts?: Record<string, Summary>;
  error?: string;
  /** Why this side has no command in this row (e.g. "see the row above"): not a failure. */
  skipped?: string;
}

export interface Row {
  workload: string;
  label: string;
  pystoreCommand: string;
  pipCommand: string;
  pystore: SideResult;
  pip: SideResult;
  /** Workload-specific facts (request counts, resolved-set agreement, …). */
  details?: Record<string, unknown>;
}

interface Samples {
  wall: number[];
  cpu: number[];
  parts: Record<string, number[]>;
}

async function attempt(side: Attempt, run: number, samples: Samples, result: SideResult): Promise<void> {
  if (result.error !== undefined) return;
  try {
    const m = await side(run);
    samples.wall.push(m.wallMs);
    if (m.cpuMs !== undefined) samples.cpu.push(m.cpuMs);
    for (const [name, ms] of Object.entries(m.parts ?? {})) {
      samples.parts[name] ??= [];
      samples.parts[name].push(ms);
    }
  } catch (error) {
    result.error = (error as Error).message;
  }
}

function finish(samples: Samples, result: SideResult): void {
  if (result.error !== undefined || samples.wall.length === 0) return;
  result.summary = summarize(samples.wall);
  if (samples.cpu.length === samples.wall.length) result.cpu = summarize(samples.cpu);
  const named = Object.entries(samples.parts);
  if (named.length > 0) result.parts = Object.fromEntries(named.map(([name, ms]) => [name, summarize(ms)]));
}

/**
 * Alternate which tool goes first each run, so a slow spell on the shared machine (or a warming page
 * cache) does not land on one side only.
 */
export async function compare(
  runs: number,
  pystore: Attempt | undefined,
  pip: Attempt,
  skipReason = "not run",
): Promise<{ pystore: SideResult; pip: SideResult }> {
  const results = { pystore: pystore ? ({} as SideResult) : { skipped: skipReason }, pip: {} as SideResult };
  const samples = { pystore: { wall: [], cpu: [], parts: {} } as Samples, pip: { wall: [], cpu: [], parts: {} } as Samples };
  for (let run = 0; run < runs; run++) {
    const order: ("pystore" | "pip")[] = run % 2 === 0 ? ["pystore", "pip"] : ["pip", "pystore"];
    for (const tool of order) {
      const side = tool === "pystore" ? pystore : pip;
      if (side) await attempt(side, run, samples[tool], results[tool]);
    }
  }
  finish(samples.pystore, results.pystore);
  finish(samples.pip, results.pip);
  return results;
}
