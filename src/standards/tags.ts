// Compatibility tags for a target: PEP 425 (tags), PEP 600 (manylinux), PEP 656 (musllinux), macOS and
// Windows platform tags, in the exact priority order pypa/packaging's sys_tags() yields on that target;
// plus wheel ranking against a target's list.

import type { Target } from "./targets.js";

/** Where a target runs, as far as platform tags care. */
export type PlatformSpec =
  | { os: "linux"; arch: string; libc?: { kind: "glibc" | "musl"; major: number; minor: number } }
  | { os: "macos"; arch: string; version: [number, number] }
  | { os: "windows"; platform: "win_amd64" | "win32" | "win_arm64" };

/** [major, minor] */
export type PythonVersion = [number, number];

/**
 * The pre-PEP 600 manylinux names and the glibc 2.X minor each stands for: the one table that tag
 * generation, target parsing and the bundle's libc requirement all read.
 */
export const LEGACY_MANYLINUX_GLIBC: Readonly<Record<string, number>> = { manylinux1: 5, manylinux2010: 12, manylinux2014: 17 };
// Emitted right after the manylinux_2_X tag with the same glibc.
const LEGACY_BY_MINOR = new Map(Object.entries(LEGACY_MANYLINUX_GLIBC).map(([name, minor]) => [minor, name]));

/** The oldest glibc 2.X minor a manylinux tag exists for: 17 everywhere except x86, whose manylinux1 era reaches back to 2.5. */
export function manylinuxFloor(arch: string): number {
  return arch === "x86_64" || arch === "i686" ? 5 : 17;
}

/** manylinux_2_X_ARCH from the target's glibc down to the floor, legacy aliases in place (glibc 2.x only). */
export function manylinuxPlatforms(arch: string, glibc: { major: number; minor: number }): string[] {
  const out: string[] = [];
  if (glibc.major !== 2) return out;
  for (let minor = glibc.minor; minor >= manylinuxFloor(arch); minor--) {
    out.push(`manylinux_2_${minor}_${arch}`);
    const legacy = LEGACY_BY_MINOR.get(minor);
    if (legacy) out.push(`${legacy}_${arch}`);
  }
  return out;
}

/** The C library a platform tag promises (PEP 600 / PEP 656); undefined for anything that is not Linux with a named libc. */
export function platformLibc(tag: string): { kind: "glibc" | "musl"; major: number; minor: number } | undefined {
  let m = /^(manylinux|musllinux)_(\d+)_(\d+)_/.exec(tag);
  if (m) return { kind: m[1] === "manylinux" ? "glibc" : "musl", major: Number(m[2]), minor: Number(m[3]) };
  m = /^(manylinux\w+?)_/.exec(tag);
  const minor = m ? LEGACY_MANYLINUX_GLIBC[m[1]!] : undefined;
  return minor === undefined ? undefined : { kind: "glibc", major: 2, minor };
}

/** musllinux_1_X_ARCH from the target's musl down to 1_0 (PEP 656). */
export function musllinuxPlatforms(arch: string, musl: { major: number; minor: number }): string[] {
  const out: string[] = [];
  for (let minor = musl.minor; minor >= 0; minor--) out.push(`musllinux_${musl.major}_${minor}_${arch}`);
  return out;
}

function macBinaryFormats(version: [number, number], arch: string): string[] {
  const [major, minor] = version;
  const before = (a: number, b: number) => major < a || (major === a && minor < b);
  const after = (a: number, b: number) => major > a || (major === a && minor > b);
  const formats = [arch];
  if (arch === "x86_64") {
    if (before(10, 4)) return [];
    formats.push("intel", "fat64", "fat32");
  } else if (arch === "i386") {
    if (before(10, 4)) return [];
    formats.push("intel", "fat32", "fat");
  } else if (arch === "ppc64") {
    if (after(10, 5) || before(10, 4)) return [];
    formats.push("fat64");
  } else if (arch === "ppc") {
    if (after(10, 6)) return [];
    formats.push("fat32", "fat");
  }
  if (arch === "arm64" || arch === "x86_64") formats.push("universal2");
  if (["x86_64", "i386", "ppc64", "ppc", "intel"].includes(arch)) formats.push("universal");
  return formats;
}

/** macOS platform tags for a version and CPU, newest first (pypa/packaging's mac_platforms). */
export function macPlatforms(version: [number, number], arch: string): string[] {
  const out: string[] = [];
  const [major, minor] = version;
  if (major === 10) {
    // Before macOS 11 every yearly release bumped the minor number.
    for (let m = minor; m >= 0; m--) {
      for (const f of macBinaryFormats([10, m], arch)) out.push(`macosx_10_${m}_${f}`);
    }
  }
  if (major >= 11) {
    // From macOS 11 on the major number moves yearly; minors are mid-year updates and share ABI.
    for (let M = major; M > 10; M--) {
      for (const f of macBinaryFormats([M, 0], arch)) out.push(`macosx_${M}_0_${f}`);
    }
    // 11+ runs 10.x x86_64 binaries; arm64 did not exist before 11, but universal2 builds may claim 10.x.
    for (let m = 16; m > 3; m--) {
      const formats = arch === "x86_64" ? macBinaryFormats([10, m], arch) : ["universal2"];
      for (const f of formats) out.push(`macosx_10_${m}_${f}`);
    }
  }
  return out;
}

/** The platform tags of a target, best first. */
export function platformTags(spec: PlatformSpec): string[] {
  switch (spec.os) {
    case "linux": {
      const out: string[] = [];
      if (spec.libc?.kind === "glibc") out.push(...manylinuxPlatforms(spec.arch, spec.libc));
      if (spec.libc?.kind === "musl") out.push(...musllinuxPlatforms(spec.arch, spec.libc));
      out.push(`linux_${spec.arch}`);
      return out;
    }
    case "macos":
      return macPlatforms(spec.version, spec.arch);
    case "windows":
      return [spec.platform];
  }
}

const nodot = (v: PythonVersion) => `${v[0]}${v[1]}`;

/** cp3X-cp3X, cp3X-abi3, cp3X-none, then cp3(X-1)…cp32 abi3, each × platforms (release builds). */
export function cpythonTags(python: PythonVersion, platforms: string[], abis?: string[]): string[] {
  const interpreter = `cp${nodot(python)}`;
  const abi3 = python[0] > 3 || (python[0] === 3 && python[1] >= 2);
  const explicit = (abis ?? [interpreter]).filter((a) => a !== "abi3" && a !== "none");
  const out: string[] = [];
  for (const abi of explicit) for (const p of platforms) out.push(`${interpreter}-${abi}-${p}`);
  if (abi3) for (const p of platforms) out.push(`${interpreter}-abi3-${p}`);
  for (const p of platforms) out.push(`${interpreter}-none-${p}`);
  if (abi3) {
    for (let minor = python[1] - 1; minor > 1; minor--) {
      for (const p of platforms) out.push(`cp${python[0]}${minor}-abi3-${p}`);
    }
  }
  return out;
}

function pyInterpreterRange(python: PythonVersion): string[] {
  const out = [`py${nodot(python)}`, `py${python[0]}`];
  for (let minor = python[1] - 1; minor >= 0; minor--) out.push(`py${python[0]}${minor}`);
  return out;
}

/** py3X…-none-platform, then <interpreter>-none-any, then py3X…-none-any. */
export function compatibleTags(python: PythonVersion, platforms: string[], interpreter?: string): string[] {
  const range = pyInterpreterRange(python);
  const out: string[] = [];
  for (const v of range) for (const p of platforms) out.push(`${v}-none-${p}`);
  if (interpreter) out.push(`${interpreter}-none-any`);
  for (const v of range) out.push(`${v}-none-any`);
  return out;
}

/**
 * Every tag a CPython of `python` on `spec` accepts, best first. Matches pip's supported-tag list
 * (cpython_tags + compatible_tags with the interpreter), which is also modern packaging's sys_tags().
 */
export function cpythonTargetTags(python: PythonVersion, spec: PlatformSpec): string[] {
  const platforms = platformTags(spec);
  return [...cpythonTags(python, platforms), ...compatibleTags(python, platforms, `cp${nodot(python)}`)];
}

// Ranking is called once per candidate wheel during resolution: index each target's list once.
const rankIndex = new WeakMap<Target, Map<string, number>>();

function indexFor(target: Target): Map<string, number> {
  let index = rankIndex.get(target);
  if (!index) {
    index = new Map();
    target.tags.forEach((tag, i) => {
      if (!index!.has(tag)) index!.set(tag, i);
    });
    rankIndex.set(target, index);
  }
  return index;
}

/** The position of a wheel's best tag in the target's list (lower is better); undefined = incompatible. */
export function rankWheel(target: Target, wheelTags: string[]): number | undefined {
  const index = indexFor(target);
  let best: number | undefined;
  for (const tag of wheelTags) {
    const rank = index.get(tag.toLowerCase());
    if (rank !== undefined && (best === undefined || rank < best)) best = rank;
  }
  return best;
}

// Callers pass ProjectFiles ({filename}), PylockWheels ({name}) or wrappers ({wheel: …}): find the filename.
function filenameOf(wheel: object): string | undefined {
  const w = wheel as { filename?: unknown; name?: unknown; wheel?: unknown };
  if (typeof w.filename === "string") return w.filename;
  if (typeof w.name === "string" && w.name.endsWith(".whl")) return w.name;
  if (typeof w.wheel === "object" && w.wheel !== null) return filenameOf(w.wheel);
  return undefined;
}

/** The build tag's number as canonical digits ("" when there is none) and its suffix. */
function buildNumber(filename: string | undefined): [string, string] {
  const parts = (filename ?? "").replace(/\.whl$/, "").split("-");
  const match = parts.length === 6 ? /^(\d+)(.*)$/.exec(parts[2]!) : null;
  return match ? [match[1]!.replace(/^0+(?=\d)/, ""), match[2]!] : ["", ""];
}

/** Digit strings compared as numbers of any size; "" (no build tag) sorts first. */
function cmpBuild(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The wheel whose best tag ranks highest for the target. Ties (same best tag) go to the higher build
 * tag, as pip does, then to the lexically smallest filename so the choice never depends on input order.
 */
export function bestWheel<T extends { tags: string[] }>(target: Target, wheels: T[]): T | undefined {
  let best: { wheel: T; rank: number; build: [string, string]; key: string } | undefined;
  for (const wheel of wheels) {
    const rank = rankWheel(target, wheel.tags);
    if (rank === undefined) continue;
    const filename = filenameOf(wheel);
    const candidate = { wheel, rank, build: buildNumber(filename), key: filename ?? wheel.tags.join(" ") };
    if (!best || better(candidate, best)) best = candidate;
  }
  return best?.wheel;
}

function better(
  a: { rank: number; build: [string, string]; key: string },
  b: { rank: number; build: [string, string]; key: string },
): boolean {
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.build[0] !== b.build[0]) return cmpBuild(a.build[0], b.build[0]) > 0;
  if (a.build[1] !== b.build[1]) return a.build[1] > b.build[1];
  return a.key < b.key;
}
