// The interpreter a target's sdists are built with: the build-python setting (--build-python, else
// PYSTORE_PYTHON, else the user file; src/commands/settings.ts), else python3.X on PATH for the target's X.Y. Asked once who it really is (interpreter.py), so a pyenv shim becomes the
// real executable and the build's identity (implementation, version, platform, ABI) is known.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import { findInterpreter } from "../platform/host-cache.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Target } from "../standards/targets.js";
import { shippedFile } from "../util/shipped.js";

const PROBE = fileURLToPath(shippedFile("build/interpreter.py"));

export interface BuildInterpreter {
  executable: string;
  implementation: string;
  /** "3.11.2" */
  version: string;
  /** sysconfig.get_platform(), e.g. "linux-x86_64" */
  platform: string;
  soabi: string;
  /** The interpreter as a target: what its build requirements are resolved for. */
  target: Target;
}

const found = new Map<string, Promise<BuildInterpreter>>();

/** Where to look for the Python that builds for `target`, in order (the caller's choice first). */
export function interpreterCandidates(target: Target, explicit: string | undefined): string[] {
  return explicit ? [explicit] : [`python${target.python}`];
}

/**
 * The build interpreter for `target`, or undefined when this machine has none. An interpreter the caller
 * named that is not there is an error of its own: another machine would not help.
 */
export async function buildInterpreterFor(
  target: Target,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<BuildInterpreter | undefined> {
  for (const name of interpreterCandidates(target, explicit)) {
    const path = findInterpreter(name, { ...env, PATH: env.PATH ?? process.env.PATH });
    if (!path && explicit) {
      throw new PystoreError("FILE_NOT_FOUND", `the build interpreter ${JSON.stringify(explicit)} is not an executable file`, {
        hint: "give an interpreter that exists with --build-python PATH (or PYSTORE_PYTHON, or build-python in the user file)",
        details: { python: explicit },
      });
    }
    if (!path) continue;
    let pending = found.get(path.path);
    if (!pending) {
      pending = identify(path.path, env);
      found.set(path.path, pending);
    }
    return pending;
  }
  return undefined;
}

async function identify(path: string, env: NodeJS.ProcessEnv): Promise<BuildInterpreter> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(path, ["-I", "-S", "-c", readFileSync(PROBE, "utf8")], { encoding: "utf8", timeout: 60_000, env }, (error, out, err) => {
      if (error) {
        reject(
          new PystoreError("BUILD_FAILED", `the build interpreter ${path} does not run: ${String(err || error.message).trim()}`, {
            hint: "give a working Python with --build-python PATH (or PYSTORE_PYTHON)",
            cause: error,
          }),
        );
      } else resolve(out);
    });
  });
  const info = JSON.parse(stdout) as Omit<BuildInterpreter, "target">;
  const target = await loadTarget("host", undefined, { env: { ...env, PYSTORE_PYTHON: info.executable } });
  return { ...info, target };
}
