// The interpreter that compiles a bundle's bytecode: the embedded one, else python3.X on PATH when it is
// the target's X.Y, implementation, OS and machine (bytecode is tied to X.Y; the rest keeps the check honest).

import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Target } from "../standards/targets.js";
import type { PythonEntry } from "../store/pythons.js";
import { pythonMismatches, wantedFor } from "./match.js";
import { probePython } from "./probe.js";

export interface CompilerChoice {
  /** The interpreter to run, and its cache tag; undefined when none fits. */
  compiler?: { python: string; cacheTag: string; version: string };
  /** Why there is none (for the one info line), or which one was chosen. */
  reason: string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export async function findCompiler(target: Target, embedded: PythonEntry | undefined, env: NodeJS.ProcessEnv): Promise<CompilerChoice> {
  if (embedded) {
    const python = join(embedded.dir, embedded.executable);
    // An interpreter for another machine (imported from a closure) is embedded fine, but cannot compile here.
    try {
      await probePython(python);
    } catch {
      return { reason: `the embedded ${embedded.version} (${embedded.machine}) does not run on this machine` };
    }
    return { compiler: { python, cacheTag: embedded.cacheTag, version: embedded.version }, reason: `the embedded ${embedded.version}` };
  }
  const name = `python${target.python}`;
  const path = onPath(name, env);
  if (!path) return { reason: `no ${name} on PATH` };
  try {
    const answer = await probePython(path);
    // The probe's facts have no executable or build of their own: compare only what a target names.
    const problems = pythonMismatches({ ...answer, executable: path }, { ...wantedFor(target), libc: undefined });
    if (problems.length > 0) return { reason: `${path} does not fit the target: ${problems.join(", ")}` };
    return { compiler: { python: path, cacheTag: answer.cacheTag, version: answer.version }, reason: `${path} (${answer.version})` };
  } catch (error) {
    return { reason: `${path} does not run: ${(error as Error).message}` };
  }
}
