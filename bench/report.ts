// Benchmark report: machine facts, the plain-text comparison table, and bench/results/latest.json.

import { execFileSync } from "node:child_process";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { Row, SideResult } from "./compare.js";
import { PYSTORE_BIN, REPO_ROOT } from "./harness.js";

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "unknown";
  }
}

export function machineInfo(): Record<string, unknown> {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    node: process.version,
    python: quiet("python3", ["-c", "import sys; print(sys.version.split()[0])"]),
    pip: quiet("python3", ["-m", "pip", "--version"]).split(" from ")[0],
    pystore: quiet(process.execPath, [PYSTORE_BIN, "--version"]),
    os: quiet("sh", ["-c", '. /etc/os-release && echo "$PRETTY_NAME"']),
    kernel: quiet("uname", ["-sr"]),
    gitCommit: quiet("git", ["rev-parse", "--short", "HEAD"]),
  };
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function cell(side: SideResult): string {
  if (side.error !== undefined) return "FAILED";
  if (side.skipped !== undefined) return `(${side.skipped})`;
  if (!side.summary) return "-";
  const s = side.summary;
  return `${seconds(s.medianMs)} (${seconds(s.minMs)}–${seconds(s.maxMs)})`;
}

function ratio(row: Row): string {
  const a = row.pystore.summary?.medianMs;
  const b = row.pip.summary?.medianMs;
  if (a === undefined || b === undefined || row.pystore.error || row.pip.error) return "n/a";
  return `${(a / b).toFixed(2)}×`;
}

/** Median CPU (user + sys) of both sides and their ratio: steadier than wall clock on a busy machine. */
function cpuCell(row: Row): string {
  const a = row.pystore.cpu?.medianMs;
  const b = row.pip.cpu?.medianMs;
  if (a === undefined || b === undefined || row.pystore.error || row.pip.error) return "n/a";
  return `${seconds(a)} / ${seconds(b)} = ${(a / b).toFixed(2)}×`;
}

const HEADER = [
  "workload",
  "variant",
  "pystore wall: median (min–max)",
  "pip wall: median (min–max)",
  "pystore / pip",
  "CPU median: pystore / pip",
];

function cells(r: Row): string[] {
  return [r.workload, r.label, cell(r.pystore), cell(r.pip), ratio(r), cpuCell(r)];
}

/** A fixed-width table, one line per row, wall-clock medians with (min–max), then CPU. */
export function formatTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((line) => line[i].length)));
  const format = (line: string[]) =>
    line
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const lines = [format(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(format)];
  const failures = rows.flatMap((r) =>
    (["pystore", "pip"] as const)
      .filter((t) => r[t].error !== undefined)
      .map((t) => `  ${r.workload} / ${r.label} / ${t}: ${r[t].error!.split("\n").join("\n    ")}`),
  );
  if (failures.length > 0) lines.push("", "failures:", ...failures);
  return lines.join("\n");
}

/** A Markdown version of the same table, for bench/README.md. */
export function formatMarkdown(rows: Row[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${cells(r).join(" | ")} |`);
  return lines.join("\n");
}

export async function writeResults(result: Record<string, unknown>): Promise<string> {
  const dir = join(REPO_ROOT, "bench", "results");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "latest.json");
  // Temp + rename: a reader never sees half a file.
  await writeFile(`${path}.tmp-${process.pid}`, `${JSON.stringify(result, null, 2)}\n`);
  await rename(`${path}.tmp-${process.pid}`, path);
  return path;
}
