// Launchers: the POSIX sh (and Windows .cmd) files in OUT/bin, and the Python bootstrap they exec, which
// checks the interpreter against the bundle's target, builds an isolated sys.path and runs the executable.

import { LAUNCH_CONFIG_VERSION } from "../format-versions.js";
import { platformLibc } from "../standards/tags.js";
import { stableJson } from "../util/stable-json.js";
import type { ManifestFile } from "./manifest.js";
import type { Executable } from "./scripts.js";
import { renderTemplate } from "./template.js";
import { shippedFile } from "../util/shipped.js";

/** What the bootstrap reads from `.pystore/launch.json` (also embedded in .pyz bundles). */
export interface LaunchConfig {
  formatVersion: typeof LAUNCH_CONFIG_VERSION;
  name: string;
  target: string;
  /** "3.11" */
  python: string;
  /** "CPython", "PyPy": platform.python_implementation() of the target. */
  implementation: string;
  sysPlatform: string;
  /** Checked only when the bundle holds compiled code: pure bundles run on any machine. */
  machine?: string;
  /**
   * Also only with compiled code, for manylinux/musllinux targets: the C library the wheels were built
   * against. glibc needs at least `version` ("2.28"); musl needs a musl interpreter (any version).
   */
  libc?: LibcRequirement;
  /** Bundle-relative sys.path entries in order (app code and libs); site-packages is added after the stdlib. */
  paths: string[];
  sitePackages: string;
  /** Bundle-relative directory of the project's data files: the bootstrap exports it as PYSTORE_APP_DATA. */
  data?: string;
  /**
   * The bundle carries its own unchecked-hash .pyc files (`bundle --compile`): the bootstrap leaves
   * sys.pycache_prefix unset (a prefix would hide them) and writes no bytecode.
   */
  bytecode?: boolean;
  executables: Record<string, { kind: "entry"; module: string; attr?: string } | { kind: "script"; path: string }>;
  /** .pyz only: the bundle's hash, naming the cache directory native code is extracted to. */
  bundleHash?: string;
  /** .pyz only: true when site-packages must be extracted before import (compiled extensions). */
  extract?: boolean;
}

/** A file pystore generates into the staging tree (launch config, bootstrap, launchers, units). */
export interface GeneratedFile {
  /** Bundle-relative, "/"-separated. */
  path: string;
  text: string;
  mode: 0o644 | 0o755;
}

/** Everything a format needs to choose its launch files: plain data, so planning stays pure. */
export interface LaunchInput {
  base: Omit<LaunchConfig, "executables" | "formatVersion">;
  executables: Executable[];
  /** The target is Windows: .cmd launchers instead of sh. */
  windows: boolean;
  nativeCode: boolean;
  /** The staged site-packages (and data) files, for formats that need them (a .pyz's extraction cache key). */
  siteFiles?: Pick<ManifestFile, "path" | "sha256" | "mode">[];
}

export interface LibcRequirement {
  kind: "glibc" | "musl";
  /** "MAJOR.MINOR" from the platform tag. */
  version: string;
}

/** The C library a platform tag promises, as launch.json spells it; undefined for anything that is not Linux with a named libc. */
export function libcRequirement(platform: string): LibcRequirement | undefined {
  const libc = platformLibc(platform);
  return libc && { kind: libc.kind, version: `${libc.major}.${libc.minor}` };
}

function versionParts(version: string): [number, number] {
  const [major, minor] = version.split(".").map(Number);
  return [major!, minor!];
}

function newer(a: string, b: string): boolean {
  const [am, an] = versionParts(a);
  const [bm, bn] = versionParts(b);
  return am !== bm ? am > bm : an > bn;
}

/**
 * The C library a bundle's compiled wheels actually need: for each native wheel the oldest libc among
 * its platform tags of the target's kind (any one tag is a promise the wheel runs there), and the
 * newest of those over all wheels. A `--platform host` bundle then asks only what its wheels need, not
 * the build machine's glibc. A wheel without such a tag (plain `linux_*`) gets only the target's word.
 */
export function libcRequirementForWheels(wheelPlatformTags: string[][], targetPlatform: string): LibcRequirement | undefined {
  const target = libcRequirement(targetPlatform);
  if (!target) return undefined;
  let need: string | undefined;
  for (const platforms of wheelPlatformTags) {
    let wheelNeed: string | undefined;
    for (const tag of platforms) {
      const promise = libcRequirement(tag);
      if (promise?.kind === target.kind && (wheelNeed === undefined || newer(wheelNeed, promise.version))) wheelNeed = promise.version;
    }
    if (wheelNeed === undefined) return target;
    if (need === undefined || newer(wheelNeed, need)) need = wheelNeed;
  }
  return need === undefined ? target : { kind: target.kind, version: need };
}

const IMPLEMENTATIONS: Record<string, string> = { cp: "CPython", pp: "PyPy", gp: "GraalVM", ip: "IronPython", jy: "Jython" };

export function implementationName(code: string): string {
  return IMPLEMENTATIONS[code] ?? code;
}

export function launchConfig(base: Omit<LaunchConfig, "executables" | "formatVersion">, executables: Executable[]): LaunchConfig {
  const table: LaunchConfig["executables"] = {};
  for (const exe of executables) {
    table[exe.name] =
      exe.kind === "entry"
        ? { kind: "entry", module: exe.module, ...(exe.attr === undefined ? {} : { attr: exe.attr }) }
        : { kind: "script", path: exe.path };
  }
  return { formatVersion: LAUNCH_CONFIG_VERSION, ...base, executables: table };
}

/** Shell-quote for a single-quoted sh word. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// The launchers and bootstraps are real files in ./launch/, shipped with the package (the build copies
// them into dist/) so that sh and Python tools can check them. common.py is written for any Python (no
// f-strings) so that even a Python 2 on PATH reaches the "wrong version" message, not a syntax error.
const LAUNCH_DIR = shippedFile("bundle/launch/");

/** The POSIX sh launcher for one executable. Identical for every bundle of the same lock and project. */
export function shLauncher(name: string, config: Pick<LaunchConfig, "python" | "target">): string {
  return renderTemplate(LAUNCH_DIR, "launcher.sh", { name, name_sh: shQuote(name), python: config.python, target: config.target });
}

/** The Windows launcher: same bootstrap, interpreter from the embedded python, PYSTORE_PYTHON or the py launcher. */
export function cmdLauncher(name: string, config: Pick<LaunchConfig, "python" | "target">): string {
  // cmd.exe wants CRLF; the template is kept with LF like every other file in the tree.
  return renderTemplate(LAUNCH_DIR, "launcher.cmd", { name, python: config.python, target: config.target }).replace(/\n/g, "\r\n");
}

/** `.pystore/boot.py` of a directory bundle. */
export function bootScript(): string {
  return renderTemplate(LAUNCH_DIR, "boot.py", {});
}

/** `__main__.py` of a .pyz bundle: picks the executable, extracts compiled code when needed, then runs. */
export function pyzMain(): string {
  return renderTemplate(LAUNCH_DIR, "pyz_main.py", {});
}

/** The launch files of a bundle that unpacks to a tree (directory, tar.gz): config, bootstrap, one launcher per executable. */
export function treeLaunchFiles(input: LaunchInput): GeneratedFile[] {
  const files: GeneratedFile[] = [
    { path: ".pystore/launch.json", text: stableJson(launchConfig(input.base, input.executables)), mode: 0o644 },
    { path: ".pystore/boot.py", text: bootScript(), mode: 0o644 },
  ];
  for (const exe of input.executables) {
    files.push(
      input.windows
        ? { path: `bin/${exe.name}.cmd`, text: cmdLauncher(exe.name, input.base), mode: 0o644 }
        : { path: `bin/${exe.name}`, text: shLauncher(exe.name, input.base), mode: 0o755 },
    );
  }
  return files;
}
