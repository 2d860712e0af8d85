// Targets: named platforms (manylinux_x86_64, macosx_11_0_arm64, win_amd64 …) × CPython versions →
// tag list (tags.ts) + PEP 508 marker environment; and pex-style complete platforms (JSON) → Target.

import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { editDistance } from "../util/suggest.js";
import { specifierContains } from "./pep440.js";
import type { MarkerEnvironment } from "./pep508.js";
import { LEGACY_MANYLINUX_GLIBC, cpythonTargetTags, manylinuxFloor, type PlatformSpec, type PythonVersion } from "./tags.js";

export interface Target {
  /** e.g. "manylinux_2_28_x86_64-cp311": stable and filename-safe. */
  id: string;
  /** Canonical platform name, e.g. "manylinux_2_28_x86_64", "macosx_11_0_arm64", "win_amd64". */
  platform: string;
  /** "3.11" */
  python: string;
  /** "cp" */
  implementation: string;
  /** Best first, exactly as pypa/packaging's sys_tags() on that target. */
  tags: string[];
  /**
   * For named targets platform_release and platform_version are "" (unknowable without the machine),
   * and python_full_version is "X.Y.0" unless the Python was given as X.Y.Z.
   */
  markers: MarkerEnvironment;
  /**
   * false when only X.Y of the Python is known (`--python 3.11`): python_full_version is then a
   * placeholder that no marker or requires-python may be decided on (see pep508 reduceMarker).
   */
  fullVersionKnown: boolean;
}

/** The oldest and newest CPython minor versions pystore targets (3.x). */
const SUPPORTED_PYTHON = { min: 8, max: 14 } as const;
const DEFAULT_GLIBC = { major: 2, minor: 28 } as const;
const DEFAULT_MUSL = { major: 1, minor: 2 } as const;
const DEFAULT_MACOS: Record<string, [number, number]> = { arm64: [11, 0], x86_64: [10, 12] };

const LINUX_ARCHES = new Set(["x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x", "riscv64"]);
const MAC_ARCHES = new Set(["x86_64", "arm64"]);
const LEGACY_MANYLINUX_NAME = new RegExp(`^(${Object.keys(LEGACY_MANYLINUX_GLIBC).join("|")})_(.+)$`);
const WINDOWS_MACHINE: Record<string, string> = { win_amd64: "AMD64", win32: "x86", win_arm64: "ARM64" };

const NAMED_EXAMPLES =
  "manylinux_x86_64, manylinux_2_17_x86_64, manylinux2014_aarch64, musllinux_x86_64, musllinux_1_1_aarch64, " +
  "macosx_arm64, macosx_10_12_x86_64, win_amd64, win32, win_arm64, linux_x86_64";

function targetError(message: string, hint?: string): PystoreError {
  return new PystoreError("INVALID_TARGET", message, { hint });
}

function linuxArch(platform: string, arch: string): string {
  if (!LINUX_ARCHES.has(arch)) {
    // Other systems' names for the same machines.
    const linuxName = ({ arm64: "aarch64", amd64: "x86_64", x64: "x86_64" } as Record<string, string>)[arch];
    throw targetError(
      `Unknown platform \`${platform}\`: unsupported Linux architecture \`${arch}\`${linuxName ? ` (Linux calls it \`${linuxName}\`)` : ""}`,
      `supported: ${[...LINUX_ARCHES].join(", ")}`,
    );
  }
  return arch;
}

/** Parse a platform name into what tag generation needs; throws INVALID_TARGET. */
export function parsePlatformName(platform: string): PlatformSpec {
  const name = platform.trim().toLowerCase().replace(/[-.]/g, "_");
  if (name in WINDOWS_MACHINE) return { os: "windows", platform: name as "win_amd64" | "win32" | "win_arm64" };
  const manylinux = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(name);
  if (manylinux) {
    const arch = linuxArch(platform, manylinux[3]!);
    const glibc = { major: Number(manylinux[1]), minor: Number(manylinux[2]) };
    const floor = manylinuxFloor(arch);
    if (glibc.major !== 2 || glibc.minor < floor || glibc.minor > 99) {
      throw targetError(
        `Unknown platform \`${platform}\`: glibc ${glibc.major}.${glibc.minor} is outside manylinux's range for ${arch} (2.${floor} and up)`,
      );
    }
    return { os: "linux", arch, libc: { kind: "glibc", ...glibc } };
  }
  const legacy = LEGACY_MANYLINUX_NAME.exec(name);
  if (legacy) {
    const arch = linuxArch(platform, legacy[2]!);
    const minor = LEGACY_MANYLINUX_GLIBC[legacy[1]!]!;
    if (minor < manylinuxFloor(arch)) {
      throw targetError(`Unknown platform \`${platform}\`: ${legacy[1]} was only defined for x86_64 and i686`);
    }
    return { os: "linux", arch, libc: { kind: "glibc", major: 2, minor } };
  }
  const manylinuxDefault = /^manylinux_(.+)$/.exec(name);
  if (manylinuxDefault) {
    return { os: "linux", arch: linuxArch(platform, manylinuxDefault[1]!), libc: { kind: "glibc", ...DEFAULT_GLIBC } };
  }
  const musllinux = /^musllinux_(\d+)_(\d+)_(.+)$/.exec(name);
  if (musllinux) {
    const arch = linuxArch(platform, musllinux[3]!);
    const musl = { major: Number(musllinux[1]), minor: Number(musllinux[2]) };
    if (musl.major !== 1 || musl.minor > 99)
      throw targetError(`Unknown platform \`${platform}\`: musl ${musl.major}.${musl.minor} is not a musl 1.x version`);
    return { os: "linux", arch, libc: { kind: "musl", ...musl } };
  }
  const musllinuxDefault = /^musllinux_(.+)$/.exec(name);
  if (musllinuxDefault) {
    return { os: "linux", arch: linuxArch(platform, musllinuxDefault[1]!), libc: { kind: "musl", ...DEFAULT_MUSL } };
  }
  const linux = /^linux_(.+)$/.exec(name);
  if (linux) return { os: "linux", arch: linuxArch(platform, linux[1]!) };
  const macos = /^macosx_(?:(\d+)_(\d+)_)?(.+)$/.exec(name);
  if (macos) {
    const arch = macos[3]!;
    if (!MAC_ARCHES.has(arch))
      throw targetError(`Unknown platform \`${platform}\`: unsupported macOS architecture \`${arch}\``, "supported: arm64, x86_64");
    const version: [number, number] = macos[1] === undefined ? DEFAULT_MACOS[arch]! : [Number(macos[1]), Number(macos[2])];
    if (version[0] < 10 || version[0] > 99 || (version[0] === 10 && version[1] > 16)) {
      throw targetError(`Unknown platform \`${platform}\`: macOS ${version[0]}.${version[1]} is not a macOS version`);
    }
    if (arch === "arm64" && version[0] < 11) throw targetError(`Unknown platform \`${platform}\`: arm64 Macs start at macOS 11.0`);
    return { os: "macos", arch, version };
  }
  const guess = platformSuggestion(name);
  throw targetError(
    `Unknown platform \`${platform}\`${guess ? `: did you mean \`${guess.name}\`${guess.why ? ` (${guess.why})` : ""}?` : ""}`,
    `named platforms: ${NAMED_EXAMPLES}; or "host", or a complete-platform JSON file`,
  );
}

// What people type for a platform, and the named platform that means it.
const OS_WORDS: [RegExp, string, string | undefined][] = [
  [/^(alpine|musl)/, "musllinux", "Alpine Linux uses musl libc"],
  [
    /^(linux|debian|ubuntu|centos|rhel|redhat|fedora|rocky|alma|amazon|amzn|glibc)/,
    "manylinux",
    "manylinux wheels run on glibc distributions",
  ],
  [/^(mac|macos|darwin|osx)/, "macosx", undefined],
  [/^(windows|win)/, "win", undefined],
];
const ARCH_WORDS: [RegExp, string][] = [
  [/(aarch64|arm64)/, "aarch64"],
  [/(x86_64|amd64|x64)/, "x86_64"],
];

/** A named platform close to an unknown one: an OS word (alpine → musllinux) or a near miss by spelling. */
function platformSuggestion(name: string): { name: string; why?: string } | undefined {
  for (const [pattern, family, why] of OS_WORDS) {
    if (!pattern.test(name)) continue;
    const arch = ARCH_WORDS.find(([p]) => p.test(name))?.[1];
    // Macs have been arm64 since 2020; elsewhere x86_64 is still the common case.
    if (family === "macosx") return { name: `macosx_${arch === "x86_64" ? "x86_64" : "arm64"}` };
    if (family === "win") return { name: arch === "aarch64" ? "win_arm64" : "win_amd64" };
    return { name: `${family}_${arch ?? "x86_64"}`, why };
  }
  const names = NAMED_EXAMPLES.split(", ");
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 5)) ? { name: best.name } : undefined;
}

/** The canonical name of a platform spec (what `Target.platform` holds). */
function platformName(spec: PlatformSpec): string {
  switch (spec.os) {
    case "windows":
      return spec.platform;
    case "macos":
      return `macosx_${spec.version[0]}_${spec.version[1]}_${spec.arch}`;
    case "linux":
      if (!spec.libc) return `linux_${spec.arch}`;
      return spec.libc.kind === "glibc"
        ? `manylinux_${spec.libc.major}_${spec.libc.minor}_${spec.arch}`
        : `musllinux_${spec.libc.major}_${spec.libc.minor}_${spec.arch}`;
  }
}

/** Parse "3.11" or "3.11.4"; throws INVALID_TARGET outside 3.8–3.14. */
export function parsePythonVersion(text: string): { version: PythonVersion; full?: string } {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  const hint = `give a CPython version from 3.${SUPPORTED_PYTHON.min} to 3.${SUPPORTED_PYTHON.max}, e.g. --python 3.11`;
  if (!m) throw targetError(`Invalid Python version \`${text}\`: expected MAJOR.MINOR, e.g. 3.11`, hint);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 3 || minor < SUPPORTED_PYTHON.min || minor > SUPPORTED_PYTHON.max) {
    throw targetError(`Unsupported Python version \`${text}\``, hint);
  }
  return m[3] === undefined ? { version: [major, minor] } : { version: [major, minor], full: `${major}.${minor}.${Number(m[3])}` };
}

/** The marker environment a CPython on this platform reports (what the machine alone knows is ""). */
function markersFor(spec: PlatformSpec, python: PythonVersion, fullVersion?: string): MarkerEnvironment {
  const full = fullVersion ?? `${python[0]}.${python[1]}.0`;
  const os =
    spec.os === "linux"
      ? { os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: spec.arch }
      : spec.os === "macos"
        ? { os_name: "posix", sys_platform: "darwin", platform_system: "Darwin", platform_machine: spec.arch }
        : { os_name: "nt", sys_platform: "win32", platform_system: "Windows", platform_machine: WINDOWS_MACHINE[spec.platform]! };
  return {
    implementation_name: "cpython",
    implementation_version: full,
    os_name: os.os_name,
    platform_machine: os.platform_machine,
    platform_python_implementation: "CPython",
    platform_release: "",
    platform_system: os.platform_system,
    platform_version: "",
    python_full_version: full,
    python_version: `${python[0]}.${python[1]}`,
    sys_platform: os.sys_platform,
  };
}

/** A CPython target on a platform spec; `markers` overrides what the host actually reported. */
export function buildTarget(
  spec: PlatformSpec,
  python: PythonVersion,
  opts: { fullVersion?: string; markers?: Partial<MarkerEnvironment> } = {},
): Target {
  const platform = platformName(spec);
  const implementation = "cp";
  const markers = { ...markersFor(spec, python, opts.fullVersion), ...(opts.markers ?? {}) } as MarkerEnvironment;
  return {
    id: `${platform}-${implementation}${python[0]}${python[1]}`,
    platform,
    python: `${python[0]}.${python[1]}`,
    implementation,
    tags: cpythonTargetTags(python, spec),
    markers: sortKeys(markers),
    fullVersionKnown: opts.fullVersion !== undefined || opts.markers?.python_full_version !== undefined,
  };
}

/** A named platform × a Python version ("3.11"); throws INVALID_TARGET naming the bad input. */
export function resolveTarget(platform: string, python: string): Target {
  const spec = parsePlatformName(platform);
  const parsed = parsePythonVersion(python);
  return buildTarget(spec, parsed.version, { fullVersion: parsed.full });
}

/** Every PEP 508 marker variable a target's environment defines. */
export const MARKER_KEYS = [
  "implementation_name",
  "implementation_version",
  "os_name",
  "platform_machine",
  "platform_python_implementation",
  "platform_release",
  "platform_system",
  "platform_version",
  "python_full_version",
  "python_version",
  "sys_platform",
] as const;
// Keys a complete platform must carry: without them markers cannot be evaluated faithfully.
const REQUIRED_MARKER_KEYS = [
  "implementation_name",
  "os_name",
  "platform_machine",
  "platform_python_implementation",
  "platform_system",
  "python_version",
  "sys_platform",
];
const IMPLEMENTATION_ABBREVIATIONS: Record<string, string> = { cpython: "cp", pypy: "pp", ironpython: "ip", jython: "jy" };

function sortKeys<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => compareStrings(a, b))) as T;
}

/**
 * A pex-style complete platform: `{"marker_environment": {...}, "compatible_tags": [...]}`. Tags are
 * taken verbatim, in order. Throws INVALID_PLATFORM_FILE naming `label` and the bad field.
 */
export function targetFromCompletePlatform(json: unknown, label: string): Target {
  const fail = (what: string) =>
    new PystoreError("INVALID_PLATFORM_FILE", `Invalid complete platform \`${label}\`: ${what}`, {
      hint: 'expected {"marker_environment": {"python_version": "3.11", ...}, "compatible_tags": ["cp311-cp311-manylinux_2_17_x86_64", ...]}',
    });
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw fail("the top level is not a JSON object");
  const root = json as Record<string, unknown>;
  const env = root.marker_environment;
  if (typeof env !== "object" || env === null || Array.isArray(env)) throw fail("`marker_environment` is missing or not an object");
  const envRecord = env as Record<string, unknown>;
  for (const [key, value] of Object.entries(envRecord)) {
    if (typeof value !== "string") throw fail(`\`marker_environment.${key}\` is not a string`);
  }
  for (const key of REQUIRED_MARKER_KEYS) {
    if (envRecord[key] === undefined) throw fail(`\`marker_environment.${key}\` is missing`);
  }
  const pythonVersion = envRecord.python_version as string;
  const pm = /^(\d+)\.(\d+)$/.exec(pythonVersion);
  if (!pm) throw fail(`\`marker_environment.python_version\` is \`${pythonVersion}\`, expected MAJOR.MINOR`);
  const tags = root.compatible_tags;
  if (!Array.isArray(tags) || tags.length === 0) throw fail("`compatible_tags` is missing or empty");
  tags.forEach((tag, i) => {
    if (typeof tag !== "string" || !/^[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+$/.test(tag)) {
      throw fail(`\`compatible_tags[${i}]\` is ${JSON.stringify(tag)}, not an interpreter-abi-platform tag`);
    }
  });
  const full = (envRecord.python_full_version as string | undefined) ?? `${pythonVersion}.0`;
  const markers: Record<string, string> = {};
  for (const key of MARKER_KEYS) {
    const value = envRecord[key] as string | undefined;
    markers[key] = value ?? (key === "python_full_version" ? full : key === "implementation_version" ? full : "");
  }
  const implName = markers.implementation_name!;
  const implementation = IMPLEMENTATION_ABBREVIATIONS[implName] ?? implName;
  const platform = (tags[0] as string).split("-")[2]!;
  return {
    id: `${platform}-${implementation}${pm[1]}${pm[2]}`.replace(/[^A-Za-z0-9_.-]/g, "_"),
    platform,
    python: pythonVersion,
    implementation,
    tags: [...(tags as string[])],
    markers: sortKeys(markers) as unknown as MarkerEnvironment,
    fullVersionKnown: envRecord.python_full_version !== undefined,
  };
}

/**
 * Does a Requires-Python hold on the target? "depends" when only X.Y is known and the answer changes
 * with the patch level (`>=3.11.3` on `--python 3.11`). Throws on an invalid specifier.
 */
export function targetPythonSatisfies(spec: string, target: Target): boolean | "depends" {
  if (target.fullVersionKnown !== false) return specifierContains(spec, target.markers.python_full_version, { prereleases: true });
  const answers = new Set(PATCH_PROBES.map((patch) => specifierContains(spec, `${target.python}.${patch}`, { prereleases: true })));
  if (answers.size === 1) return [...answers][0];
  return "depends";
}

// Requires-Python boundaries inside a series sit at small patch numbers; these find a split at any of them.
const PATCH_PROBES = Array.from({ length: 31 }, (_, i) => i).concat([99]);

/** The target's Python for messages: "3.11.7", or "3.11 (any patch level)" when only X.Y is known. */
export function pythonLabel(target: Target): string {
  return target.fullVersionKnown === false ? `${target.python} (any patch level)` : target.markers.python_full_version;
}
