// Probing an interpreter by running it: probe_python.py reports its version, implementation, machine,
// C library, ABI flags and where it thinks its prefix is (which proves it runs from where it lies).

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import type { PythonFacts } from "../store/pythons.js";
import { shippedFile } from "../util/shipped.js";

const PROBE_FILE = fileURLToPath(shippedFile("python/probe_python.py"));
/** An interpreter that has not answered in this long is hung (or emulated very slowly). */
const PROBE_TIMEOUT_MS = 30_000;

export interface ProbeAnswer extends Omit<PythonFacts, "executable" | "build"> {
  /** realpath of sys.prefix */
  prefix: string;
  /** realpath of sys.executable */
  executable: string;
}

/**
 * Run `python -B -S -s -E -I probe_python.py` with an empty environment and `/` as its working directory:
 * what it answers is the interpreter's own, not the caller's PATH, PYTHONHOME or site-packages.
 */
export function probePython(python: string): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      // -B: the interpreter is probed where it is being staged, and must not write bytecode into its own tree.
      ["-B", "-S", "-s", "-E", "-I", PROBE_FILE],
      { env: { LC_ALL: "C.UTF-8" }, cwd: "/", timeout: PROBE_TIMEOUT_MS, encoding: "utf8", maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          const why =
            (error as NodeJS.ErrnoException).code === "ENOENT"
              ? "cannot be run (missing, or its loader is)"
              : `failed: ${stderr.trim() || error.message}`;
          reject(
            new PystoreError("INVALID_PYTHON", `${python} ${why}`, {
              hint: "the interpreter must run on this machine (same CPU and C library) to be probed",
              cause: error,
              details: { path: python },
            }),
          );
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as ProbeAnswer);
        } catch (cause) {
          reject(
            new PystoreError("INVALID_PYTHON", `${python} answered the probe with ${JSON.stringify(stdout.slice(0, 200))}`, { cause }),
          );
        }
      },
    );
  });
}
