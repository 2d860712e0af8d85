// Host detection: the only place pystore asks the running machine what it is, by running python3 once.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import {
  findInterpreter,
  hostCacheDir,
  hostCacheEnabled,
  hostCacheFile,
  hostFingerprint,
  readHostCache,
  wrapperSelection,
  writeHostCache,
} from "./host-cache.js";
import type { MarkerEnvironment } from "../standards/pep508.js";
import type { PlatformSpec, PythonVersion } from "../standards/tags.js";
import { MARKER_KEYS } from "../standards/targets.js";
import { shippedFile } from "../util/shipped.js";

export interface HostInfo {
  /** The interpreter that was asked (PYSTORE_PYTHON, else python3). */
  python: string;
  version: PythonVersion;
  /** e.g. "3.11.7" */
  fullVersion: string;
  implementation: string;
  spec: PlatformSpec;
  /** The marker environment exactly as the host interpreter reports it. */
  markers: MarkerEnvironment;
}

// The probe is a real Python file shipped beside this module (the build copies it into dist/), run
// with `-c` so that nothing next to it can shadow a stdlib module.
const PROBE_FILE = shippedFile("platform/probe.py");
let probeText: string | undefined;

function probeScript(): string {
  if (probeText === undefined) {
    try {
      probeText = readFileSync(PROBE_FILE, "utf8");
    } catch (cause) {
      throw new PystoreError("INTERNAL", `the host probe ${fileURLToPath(PROBE_FILE)} is missing`, {
        hint: "this pystore was built without its Python files: rebuild it with `npm run build`",
        cause,
      });
    }
  }
  return probeText;
}

interface ProbeResult {
  markers: MarkerEnvironment;
  version: [number, number];
  platform: string;
  is64: boolean;
  glibc: string | null;
  musl: [number, number] | null;
  mac: string;
}

/** What the probe prints: the answer, plus the files it depends on (kept only in the on-disk cache). */
interface ProbeOutput extends ProbeResult {
  libraries?: string[];
  executable?: string;
}

/** A cached answer is trusted only if it still has the probe's shape (files get truncated and hand-edited). */
function isProbeResult(value: unknown): value is ProbeResult {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  const markers = r.markers as Record<string, unknown> | null | undefined;
  const isInt = (n: unknown) => Number.isInteger(n);
  return (
    typeof markers === "object" &&
    markers !== null &&
    MARKER_KEYS.every((k) => typeof markers[k] === "string") &&
    Array.isArray(r.version) &&
    r.version.length === 2 &&
    r.version.every(isInt) &&
    typeof r.platform === "string" &&
    typeof r.is64 === "boolean" &&
    typeof r.mac === "string" &&
    (r.glibc === null || typeof r.glibc === "string") &&
    (r.musl === null || (Array.isArray(r.musl) && r.musl.length === 2 && r.musl.every(isInt)))
  );
}

const cache = new Map<string, Promise<HostInfo>>();

/**
 * Detect the host once per process (per interpreter), and across processes through the on-disk cache
 * (host-cache.ts): a hit costs a few stat calls and no child process.
 */
export function detectHost(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<HostInfo> {
  const env = opts.env ?? process.env;
  const python = env.PYSTORE_PYTHON || "python3";
  let pending = cache.get(python);
  if (!pending) {
    pending = detect(python, env);
    cache.set(python, pending);
    // A failed probe is not cached: the user may fix PATH and retry within a long-lived process.
    pending.catch(() => cache.delete(python));
  }
  return pending;
}

async function detect(python: string, env: NodeJS.ProcessEnv): Promise<HostInfo> {
  // PATH as execFile would search it: the caller's, else this process's (execFile inherits ours).
  const found = findInterpreter(python, { ...env, PATH: env.PATH ?? process.env.PATH });
  const fingerprint = found && hostCacheEnabled(env) ? hostFingerprint(found, env) : undefined;
  const file = found && fingerprint ? hostCacheFile(hostCacheDir(env), found) : undefined;
  if (file && fingerprint) {
    const cached = readHostCache(file, fingerprint, env);
    if (isProbeResult(cached)) return interpret(python, cached);
  }
  // Stamped before the probe runs, so a change while it runs makes the written entry miss next time.
  const selection = file ? wrapperSelection(env) : undefined;
  const { libraries, executable, ...answer } = await probe(python, found?.path ?? python);
  const host = interpret(python, answer);
  if (file && fingerprint && selection) {
    try {
      await writeHostCache(file, fingerprint, answer, { libraries: libraries ?? [], executable: executable ?? "", selection });
    } catch {
      // An unwritable cache (read-only home, full disk) only costs the next process a probe.
    }
  }
  return host;
}

async function probe(python: string, executable: string): Promise<ProbeOutput> {
  // Loaded here: a cached answer (every run but the first) needs no child process, and the module costs ~2 ms to load.
  const { execFile } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    execFile(executable, ["-c", probeScript()], { encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new PystoreError(
            "INVALID_TARGET",
            `Could not detect the host platform by running \`${python}\`: ${String(stderr || error.message).trim()}`,
            {
              hint: "install python3 (or set PYSTORE_PYTHON), or name a target with --platform and --python",
              cause: error,
            },
          ),
        );
        return;
      }
      let output: unknown;
      try {
        output = JSON.parse(stdout);
      } catch {
        output = undefined;
      }
      if (!isProbeResult(output)) {
        reject(
          new PystoreError(
            "INVALID_TARGET",
            `Could not detect the host platform: \`${python}\` printed something unexpected: ${JSON.stringify(stdout.slice(0, 200))}`,
            {
              hint: "set PYSTORE_PYTHON to a CPython interpreter, or name a target with --platform and --python",
            },
          ),
        );
        return;
      }
      resolve(output as ProbeOutput);
    });
  });
}

/** Turn the interpreter's answers into a platform spec (exported for tests of each OS's rules). */
export function interpret(python: string, r: ProbeResult): HostInfo {
  const unsupported = (what: string) =>
    new PystoreError("INVALID_TARGET", `The host is not a supported target: ${what}`, {
      hint: "name a target with --platform (e.g. manylinux_x86_64) and --python",
    });
  if (r.markers.implementation_name !== "cpython")
    throw unsupported(`\`${python}\` is ${r.markers.implementation_name}, pystore targets CPython`);
  const plat = r.platform.replace(/[-.]/g, "_");
  let spec: PlatformSpec;
  if (plat.startsWith("linux_")) {
    let arch = plat.slice("linux_".length);
    // packaging's rule: a 32-bit interpreter on a 64-bit kernel gets the 32-bit platform tags.
    if (!r.is64 && arch === "x86_64") arch = "i686";
    if (!r.is64 && arch === "aarch64") arch = "armv7l";
    const glibc = r.glibc ? /^glibc (\d+)\.(\d+)/.exec(r.glibc) : null;
    if (glibc) spec = { os: "linux", arch, libc: { kind: "glibc", major: Number(glibc[1]), minor: Number(glibc[2]) } };
    else if (r.musl) spec = { os: "linux", arch, libc: { kind: "musl", major: r.musl[0], minor: r.musl[1] } };
    else spec = { os: "linux", arch };
  } else if (plat.startsWith("macosx_")) {
    const parts = r.mac.split(".").map(Number);
    const arch = r.markers.platform_machine === "arm64" ? "arm64" : r.is64 ? "x86_64" : "i386";
    spec = { os: "macos", arch, version: [parts[0] || 10, parts[1] || 0] };
  } else if (plat === "win_amd64" || plat === "win32" || plat === "win_arm64") {
    spec = { os: "windows", platform: plat };
  } else {
    throw unsupported(`unknown platform \`${r.platform}\``);
  }
  return {
    python,
    version: r.version,
    fullVersion: r.markers.python_full_version,
    implementation: "cp",
    spec,
    markers: r.markers,
  };
}
