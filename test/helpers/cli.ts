// Runs the built CLI (bin/pystore → dist/) as a user would, capturing exit code, stdout and stderr.
// Asynchronous on purpose: fixture servers live in the test process, and spawnSync would starve them.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PYSTORE_BIN = fileURLToPath(new URL("../../bin/pystore", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to this process's environment (plus NO_COLOR=1), unless `inheritEnv` is false. */
  env?: NodeJS.ProcessEnv;
  /** False: the child gets exactly `env` (proxy and credential tests must not inherit the runner's). */
  inheritEnv?: boolean;
  input?: string;
  timeoutMs?: number;
  /** A command the CLI runs under, e.g. `["setpriv", "--reuid=65534", …]` to run it as another user. */
  wrapper?: string[];
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
    const child = spawn(command, [...prefix, PYSTORE_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.inheritEnv === false ? { ...options.env } : { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}
