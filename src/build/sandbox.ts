// Running one backend hook in isolation: `python -s -S` with pystore's frontend (frontend.py), a clean
// environment (no proxies, no credentials, fixed locale, SOURCE_DATE_EPOCH, PYTHONHASHSEED=0), and no
// network where the kernel lets us take it away (`unshare -n`). Output goes to a log file; a failure
// carries its tail.

import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import { shippedFile } from "../util/shipped.js";

const FRONTEND = fileURLToPath(shippedFile("build/frontend.py"));
/** Lines of the build log a failure shows. */
export const LOG_TAIL_LINES = 25;
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface HookRequest {
  python: string;
  hook: "get_requires_for_build_wheel" | "prepare_metadata_for_build_wheel" | "build_wheel";
  sourceDir: string;
  outputDir: string;
  backend: string;
  backendPath: string[];
  /** The build environment's site-packages (and script directory for PATH). */
  siteDirs: string[];
  scriptsDir?: string;
  /** A private directory for HOME, TMPDIR and the request/answer files. */
  workDir: string;
  logFile: string;
  sourceDateEpoch: number;
  /** --build-network: leave the network in place. */
  network: boolean;
  /** What is being built, for messages ("inline-1.0.tar.gz"). */
  label: string;
  /** The private directory every build path lies under: compilers record it as /build, so the path of a build never reaches its bytes. */
  buildRoot: string;
  /**
   * A directory the backend may read but never write (the store), made read-only for it in a private
   * mount namespace where the kernel allows one; `buildRoot` inside it stays writable.
   */
  protect?: string;
}

/** How to take the network away on this machine: asked once (root can unshare; others may via a user namespace). */
let isolation: string[] | null | undefined;

function unshareArgs(): string[] | null {
  if (isolation === undefined) {
    isolation = null;
    for (const args of [["-n"], ["-r", "-n"]]) {
      if (spawnSync("unshare", [...args, "true"], { stdio: "ignore", timeout: 10_000 }).status === 0) {
        isolation = ["unshare", ...args, "--"];
        break;
      }
    }
  }
  return isolation;
}

// Inside a private mount namespace: $1 (the store) becomes read-only, $2 (the build's own directory, inside
// it) writable again; then the hook runs. A backend can write in its build directory, and nowhere in the store.
const PROTECT_SCRIPT =
  'set -e; mount --bind "$1" "$1"; mount -o remount,bind,ro "$1"; mount --bind "$2" "$2"; mount -o remount,bind,rw "$2"; shift 2; exec "$@"';

/** How to also make the store read-only for a backend (a mount namespace): asked once per mode, by trying it. */
const protection = new Map<boolean, string[] | null>();

function protectArgs(network: boolean): string[] | null {
  const known = protection.get(network);
  if (known !== undefined) return known;
  let found: string[] | null = null;
  const probe = mkdtempSync(join(tmpdir(), "pystore-mount-probe-"));
  try {
    const inner = join(probe, "inner");
    mkdirSync(inner);
    const modes = network
      ? [["-m"], ["-r", "-m"]]
      : [
          ["-n", "-m"],
          ["-r", "-n", "-m"],
        ];
    for (const args of modes) {
      const check = `touch "${inner}/ok" && ! touch "${probe}/no" 2>/dev/null`;
      const argv = [...args, "--", "/bin/sh", "-c", PROTECT_SCRIPT, "sh", probe, inner, "/bin/sh", "-c", check];
      if (spawnSync("unshare", argv, { stdio: "ignore", timeout: 10_000 }).status === 0) {
        found = ["unshare", ...args, "--", "/bin/sh", "-c", PROTECT_SCRIPT, "sh"];
        break;
      }
    }
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  protection.set(network, found);
  return found;
}

/** The whole environment a backend sees: nothing inherited, so no proxy, token or locale leaks in. */
export function buildEnvironment(
  req: Pick<HookRequest, "siteDirs" | "scriptsDir" | "workDir" | "sourceDateEpoch" | "buildRoot">,
): NodeJS.ProcessEnv {
  const prefixMap = `-ffile-prefix-map=${req.buildRoot}=/build`;
  return {
    PATH: req.scriptsDir ? `${req.scriptsDir}:${BASE_PATH}` : BASE_PATH,
    HOME: req.workDir,
    TMPDIR: req.workDir,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
    SOURCE_DATE_EPOCH: String(req.sourceDateEpoch),
    PYTHONHASHSEED: "0",
    PYTHONDONTWRITEBYTECODE: "1",
    // The log keeps stdout and stderr in the order they happened, so its tail ends with the error.
    PYTHONUNBUFFERED: "1",
    PYTHONNOUSERSITE: "1",
    // Subprocesses a backend starts without -I still find the build environment.
    PYTHONPATH: req.siteDirs.join(":"),
    CFLAGS: prefixMap,
    CXXFLAGS: prefixMap,
  };
}

export function logTail(path: string, lines = LOG_TAIL_LINES): string {
  try {
    const text = readFileSync(path, "utf8").trimEnd().split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no build log)";
  }
}

/** Run one hook; returns its answer ({result} or {unsupported}). BUILD_FAILED with the log's tail otherwise. */
export async function runHook(req: HookRequest): Promise<{ result?: unknown; unsupported?: boolean }> {
  const requestFile = join(req.workDir, `${req.hook}.request.json`);
  const resultFile = join(req.workDir, `${req.hook}.result.json`);
  await writeFile(
    requestFile,
    JSON.stringify({
      hook: req.hook,
      source_dir: req.sourceDir,
      output_dir: req.outputDir,
      backend: req.backend,
      backend_path: req.backendPath,
      site_dirs: req.siteDirs,
      result_file: resultFile,
    }),
  );
  // The store read-only where a mount namespace is possible (with the network taken away too, unless
  // --build-network); where it is not, the network alone.
  const protect = req.protect ? protectArgs(req.network) : null;
  const sandbox = protect ? [...protect, req.protect!, req.buildRoot] : req.network ? null : unshareArgs();
  const isolate = !req.network && sandbox !== null;
  // Not -I: its -E would drop PYTHONHASHSEED, on which reproducible builds depend. The environment is built
  // whole above (nothing inherited), -s and -S keep user and system site-packages out, and the frontend
  // drops its own directory from sys.path (what -I's -P does).
  const argv = [...(sandbox ?? []), req.python, "-s", "-S", "-u", FRONTEND, requestFile];
  const log = openSync(req.logFile, "a");
  let code: number | null;
  let signal: NodeJS.Signals | null;
  try {
    ({ code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: req.sourceDir,
        env: buildEnvironment(req),
        stdio: ["ignore", log, log],
      });
      child.on("error", reject);
      child.on("close", (c, s) => resolve({ code: c, signal: s }));
    }));
  } catch (error) {
    throw new PystoreError("BUILD_FAILED", `cannot start the build of ${req.label} with ${req.python}: ${(error as Error).message}`, {
      hint: "give an interpreter that exists with --build-python PATH (or PYSTORE_PYTHON)",
      cause: error,
    });
  } finally {
    closeSync(log);
  }
  if (code !== 0) {
    const why = signal ? `was killed by ${signal}` : `exited with ${code}`;
    throw new PystoreError("BUILD_FAILED", `building ${req.label} failed: ${req.hook} ${why}\n${indent(logTail(req.logFile))}`, {
      hint: `the whole build log is ${req.logFile}`,
      details: { sdist: req.label, hook: req.hook, log: req.logFile, network: isolate ? "isolated" : "allowed" },
    });
  }
  return JSON.parse(await readFile(resultFile, "utf8")) as { result?: unknown; unsupported?: boolean };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  | ${l}`)
    .join("\n");
}
