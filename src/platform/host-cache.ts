// On-disk cache of the host probe ($XDG_CACHE_HOME/pystore/host-*.json), so only the first process pays for python3.

import { createHash } from "node:crypto";
import { accessSync, constants, readFileSync, realpathSync, statSync, type BigIntStats } from "node:fs";
import { homedir, machine, release, version } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { sortedUnique } from "../util/order.js";
import { HOST_CACHE_FORMAT } from "../format-versions.js";
import { VERSION } from "../version.js";

/** Bump when the probe script or the cached JSON changes shape: older files then simply miss. */

// Variables that change what the probe reports without touching any file (sysconfig and site honour them).
const PROBE_ENV = ["MACOSX_DEPLOYMENT_TARGET", "PYTHONHOME", "PYTHONPATH", "_PYTHON_HOST_PLATFORM"] as const;

export interface Interpreter {
  /** What to execute: absolute, symlinks kept (a venv's python must be run through its own link). */
  path: string;
  /** Symlinks resolved: the file whose identity keys the cache. */
  real: string;
}

/** A file's identity; any change (upgrade, reinstall, touch) changes at least one field. */
interface FileStamp {
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** Everything a cached probe answer depends on, gathered before the probe runs. */
export interface HostFingerprint {
  format: number;
  pystore: string;
  interpreter: FileStamp;
  /** uname: platform_release, platform_version and platform_machine come from the kernel, not the interpreter. */
  machine: { release: string; version: string; machine: string };
  env: Record<string, string>;
}

interface CacheFile extends HostFingerprint {
  /** Shared libraries the interpreter had loaded (libc, the loader, libpython): an upgrade of one invalidates. */
  libraries: FileStamp[];
  /**
   * Present when the file on PATH is a wrapper (a pyenv/asdf shim, a script) that ran another binary:
   * what the wrapper may consult to choose that binary, which must still be the same on a hit.
   */
  wrapper?: WrapperSelection;
  probe: unknown;
}

/** The inputs version managers use to pick the real interpreter behind a shim (pyenv's documented order). */
export interface WrapperSelection {
  env: Record<string, string>;
  /** The nearest .python-version / .tool-versions from the working directory up, or null. */
  local: FileStamp | null;
  /** $PYENV_ROOT/version, or null. */
  global: FileStamp | null;
}

const SELECTION_ENV = ["ASDF_PYTHON_VERSION", "PYENV_DIR", "PYENV_ROOT", "PYENV_VERSION"] as const;

function stampOrNull(path: string): FileStamp | null {
  try {
    return stamp(path);
  } catch {
    return null;
  }
}

export function wrapperSelection(env: NodeJS.ProcessEnv, cwd = process.cwd()): WrapperSelection {
  const vars: Record<string, string> = {};
  for (const key of SELECTION_ENV) if (env[key] !== undefined) vars[key] = env[key]!;
  let local: FileStamp | null = null;
  for (let dir = resolve(cwd, env.PYENV_DIR || "."); local === null; ) {
    local = stampOrNull(join(dir, ".python-version")) ?? stampOrNull(join(dir, ".tool-versions"));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const root = env.PYENV_ROOT?.trim() || join(env.HOME?.trim() || homedir(), ".pyenv");
  return { env: vars, local, global: stampOrNull(join(root, "version")) };
}

function sameSelection(a: WrapperSelection, b: WrapperSelection): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function hostCacheEnabled(env: NodeJS.ProcessEnv): boolean {
  const off = (env.PYSTORE_NO_HOST_CACHE ?? "").trim().toLowerCase();
  return off === "" || off === "0" || off === "false" || off === "no";
}

/** $XDG_CACHE_HOME/pystore, else ~/.cache/pystore (a relative XDG_CACHE_HOME is invalid per the XDG spec). */
export function hostCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return join(xdg, "pystore");
  return join(env.HOME?.trim() || homedir(), ".cache", "pystore");
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Find the interpreter the way execvp would, without spawning anything: a name with a slash is a path
 * (relative to `cwd`), otherwise the first executable regular file named so on PATH. Undefined when absent.
 */
export function findInterpreter(name: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): Interpreter | undefined {
  const exts = process.platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE").split(";").filter(Boolean)] : [""];
  let candidates: string[];
  if (name.includes("/") || (process.platform === "win32" && name.includes("\\"))) {
    candidates = [resolve(cwd, name)];
  } else {
    // POSIX: an empty PATH entry means the current directory.
    candidates = (env.PATH ?? "").split(delimiter).map((dir) => resolve(cwd, dir || ".", name));
  }
  for (const base of candidates) {
    for (const ext of exts) {
      const path = base + ext;
      if (!isExecutableFile(path)) continue;
      try {
        return { path, real: realpathSync(path) };
      } catch {
        /* vanished between the checks: keep looking */
      }
    }
  }
  return undefined;
}

function stamp(path: string): FileStamp {
  const s: BigIntStats = statSync(path, { bigint: true });
  return { path, dev: String(s.dev), ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The fingerprint of `interpreter` on this machine now; undefined if it cannot be stat'ed. */
export function hostFingerprint(interpreter: Interpreter, env: NodeJS.ProcessEnv): HostFingerprint | undefined {
  let interp: FileStamp;
  try {
    interp = stamp(interpreter.real);
  } catch {
    return undefined;
  }
  const probeEnv: Record<string, string> = {};
  for (const key of PROBE_ENV) if (env[key] !== undefined) probeEnv[key] = env[key]!;
  return {
    format: HOST_CACHE_FORMAT,
    pystore: VERSION,
    interpreter: interp,
    machine: { release: release(), version: version(), machine: machine() },
    env: probeEnv,
  };
}

/** One file per interpreter, so several Pythons on one machine do not evict each other. */
export function hostCacheFile(dir: string, interpreter: Interpreter): string {
  return join(dir, `host-${createHash("sha256").update(interpreter.real).digest("hex").slice(0, 16)}.json`);
}

function sameFingerprint(stored: Partial<CacheFile>, want: HostFingerprint): boolean {
  if (stored.format !== want.format || stored.pystore !== want.pystore) return false;
  if (!stored.interpreter || !sameStamp(stored.interpreter, want.interpreter)) return false;
  const m = stored.machine;
  if (!m || m.release !== want.machine.release || m.version !== want.machine.version || m.machine !== want.machine.machine) return false;
  const env = stored.env ?? {};
  const keys = new Set([...Object.keys(env), ...Object.keys(want.env)]);
  for (const key of keys) if (env[key] !== want.env[key]) return false;
  return true;
}

/**
 * The cached probe answer, or undefined when the file is missing, unreadable, corrupt or describes
 * another interpreter, machine or pystore (the caller then probes and rewrites it).
 */
export function readHostCache(file: string, want: HostFingerprint, env: NodeJS.ProcessEnv): unknown {
  let stored: Partial<CacheFile>;
  try {
    stored = JSON.parse(readFileSync(file, "utf8")) as Partial<CacheFile>;
  } catch {
    return undefined;
  }
  if (typeof stored !== "object" || stored === null || !sameFingerprint(stored, want)) return undefined;
  if (!Array.isArray(stored.libraries)) return undefined;
  if (
    stored.wrapper !== undefined &&
    (typeof stored.wrapper !== "object" || stored.wrapper === null || !sameSelection(stored.wrapper, wrapperSelection(env)))
  )
    return undefined;
  for (const lib of stored.libraries) {
    try {
      if (!sameStamp(lib, stamp(lib.path))) return undefined;
    } catch {
      return undefined;
    }
  }
  return stored.probe;
}

/**
 * Store a probe answer. `libraries` are files the probe reported (stamped now); `executable` is the
 * binary that actually answered: when it is not the file we found, that file is a wrapper. Throws on I/O errors.
 */
export async function writeHostCache(
  file: string,
  fingerprint: HostFingerprint,
  probe: unknown,
  facts: { libraries: string[]; executable: string; selection: WrapperSelection },
): Promise<void> {
  const isWrapper = facts.executable !== fingerprint.interpreter.path;
  const files = isWrapper && facts.executable ? [...facts.libraries, facts.executable] : facts.libraries;
  const stamps: FileStamp[] = [];
  for (const path of sortedUnique(files)) {
    try {
      stamps.push(stamp(path));
    } catch {
      // A library the probe saw but we cannot stat (deleted, permissions): nothing to check it against later.
    }
  }
  const content: CacheFile = { ...fingerprint, libraries: stamps, ...(isWrapper ? { wrapper: facts.selection } : {}), probe };
  await writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`);
}
