// Benchmark harness: spawn a command, time it from spawn to exit, summarize samples, and build the
// isolated environments (no user pip config, no proxies, store and caches in temp dirs).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The CLI under test; BENCH_PYSTORE points at another build (e.g. a checkout of an older commit). */
export const PYSTORE_BIN = process.env.BENCH_PYSTORE ?? fileURLToPath(new URL("../bin/pystore", import.meta.url));

export interface Timed {
  ms: number;
  /** User + system CPU seconds of the command and its children (via GNU time), in ms. */
  cpuMs?: number;
  /** Peak resident set size of the largest process in the tree (GNU time's %M), in KiB. */
  maxRssKb?: number;
  code: number;
  stdout: string;
  stderr: string;
}

// GNU time reports the CPU the command used; on a shared, loaded machine that varies far less than
// wall clock, so the report carries both.
const GNU_TIME = "/usr/bin/time";
const hasGnuTime = existsSync(GNU_TIME);
let timeFiles = 0;

/** Run to completion; never throws for a non-zero exit (the caller decides). Killed after `timeoutMs`. */
export async function timeCommand(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Timed> {
  const timeFile = hasGnuTime ? join(tmpdir(), `pystore-bench-time-${process.pid}-${++timeFiles}`) : undefined;
  const [file, argv] = timeFile ? [GNU_TIME, ["-f", "%U %S %M", "-o", timeFile, command, ...args]] : [command, args];
  const result = await new Promise<Timed>((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      resolve({ ms, code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
  if (timeFile) {
    // The last line is "USER SYS MAXRSS"; a line before it may say the command exited non-zero.
    const text = await readFile(timeFile, "utf8").catch(() => "");
    await rm(timeFile, { force: true });
    const last = text.trim().split("\n").pop() ?? "";
    const [user, sys, rss] = last.split(" ").map(Number);
    if (Number.isFinite(user) && Number.isFinite(sys)) result.cpuMs = (user + sys) * 1000;
    if (Number.isFinite(rss)) result.maxRssKb = rss;
  }
  return result;
}

/** A failed command as an Error whose message carries the tail of its stderr. */
export function failure(label: string, result: Timed): Error {
  const tail = (result.stderr || result.stdout).trim().split("\n").slice(-6).join("\n");
  return new Error(`${label} exited ${result.code}:\n${tail}`);
}

/** What one attempt measured: wall clock, CPU if known, and named parts (e.g. fetch, bundle). */
export interface Measure {
  wallMs: number;
  cpuMs?: number;
  parts?: Record<string, number>;
}

export function measure(result: Timed): Measure {
  return { wallMs: result.ms, ...(result.cpuMs === undefined ? {} : { cpuMs: result.cpuMs }) };
}

/** Several commands that count as one step (their times add up; parts keep each one's wall clock). */
export function combine(parts: Record<string, Measure>): Measure {
  const all = Object.values(parts);
  const cpu = all.every((m) => m.cpuMs !== undefined) ? all.reduce((a, m) => a + m.cpuMs!, 0) : undefined;
  return {
    wallMs: all.reduce((a, m) => a + m.wallMs, 0),
    ...(cpu === undefined ? {} : { cpuMs: cpu }),
    parts: Object.fromEntries(Object.entries(parts).map(([k, m]) => [k, m.wallMs])),
  };
}

export interface Summary {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    runs: samples.length,
    medianMs: round(median),
    minMs: round(sorted[0]),
    maxMs: round(sorted[sorted.length - 1]),
    samplesMs: samples.map(round),
  };
}

/** The parent environment minus anything that would change either tool's behaviour. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PIP_|PYSTORE_|UV_)/i.test(key) || /proxy$/i.test(key) || /^(PYTHON|VIRTUAL_ENV|XDG_)/.test(key)) continue;
    env[key] = value;
  }
  env.NO_COLOR = "1";
  env.NO_PROXY = "127.0.0.1,localhost,::1";
  return env;
}

/** pystore with its store (which also holds its HTTP cache) in `store`. */
export function pystoreEnv(store: string, home: string): NodeJS.ProcessEnv {
  return { ...baseEnv(), PYSTORE_STORE: store, XDG_DATA_HOME: home, XDG_CACHE_HOME: home, XDG_CONFIG_HOME: home };
}

/** pip with no config file, no version check, no prompts; its cache is chosen per command. */
export function pipEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    PIP_CONFIG_FILE: "/dev/null",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PIP_NO_INPUT: "1",
    PIP_NO_WARN_SCRIPT_LOCATION: "1",
    PYTHONNOUSERSITE: "1",
    XDG_CACHE_HOME: home,
    XDG_CONFIG_HOME: home,
  };
}

/** Files and *.dist-info directories under `dir` (to check both tools installed the same things). */
export async function installedShape(dir: string): Promise<{ files: number; distInfos: number } | string> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return {
      files: entries.filter((e) => e.isFile()).length,
      distInfos: entries.filter((e) => e.isDirectory() && e.name.endsWith(".dist-info")).length,
    };
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
}
