// Wheels built from sdists, as a lock records them (store-format/pylock-tool-pystore.md, "Built
// packages"): per target the built wheel's name and sha256, and the wheels of its build environment.
// PEP 751's `sdist` table names the source; these keys live in `[packages.tool.pystore]`. Pure.

import { PystoreError } from "../errors.js";
import type { PylockPackage } from "../standards/pylock.js";
import { byKey, compareStrings } from "../util/order.js";

/** One wheel of a build environment (a PEP 751 file table with its project's name and version). */
export interface LockedBuildWheel {
  name: string;
  version: string;
  filename: string;
  url: string;
  sha256: string;
  size?: number;
  index?: string;
}

export interface LockedBuild {
  /** The target id it was built for. */
  target: string;
  wheel: string;
  sha256: string;
  size: number;
  /** File names, in `buildWheels`, of the environment it was built in. */
  buildWheels: string[];
}

export interface PackageBuilds {
  built: LockedBuild[];
  buildWheels: LockedBuildWheel[];
  network: boolean;
  /** A local project (PEP 751 `directory`): the packed tree that was built, by name and sha256. */
  source?: { filename: string; sha256: string };
}

const bad = (pkg: PylockPackage, why: string) =>
  new PystoreError("INVALID_LOCK", `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}: [packages.tool.pystore] ${why}`, {
    hint: "re-lock (pystore lock) to record the build again",
  });

function str(value: unknown, what: string, pkg: PylockPackage): string {
  if (typeof value !== "string" || value === "") throw bad(pkg, `${what} is not a string`);
  return value;
}

function sha(value: unknown, what: string, pkg: PylockPackage): string {
  const digest = (value as Record<string, unknown> | undefined)?.sha256;
  if (typeof digest !== "string" || !/^[0-9a-fA-F]{64}$/.test(digest)) throw bad(pkg, `${what} has no sha256`);
  return digest.toLowerCase();
}

/** The package's recorded builds, if it has any. */
export function packageBuilds(pkg: PylockPackage): PackageBuilds | undefined {
  const table = (pkg.tool as Record<string, Record<string, unknown>> | undefined)?.pystore;
  if (!table || table.built === undefined) return undefined;
  if (!Array.isArray(table.built)) throw bad(pkg, "built is not an array");
  const buildWheels = ((table["build-wheels"] ?? []) as Record<string, unknown>[]).map((w, i) => {
    const where = `build-wheels[${i}]`;
    const out: LockedBuildWheel = {
      name: str(w.project, `${where}.project`, pkg),
      version: str(w.version, `${where}.version`, pkg),
      filename: str(w.name, `${where}.name`, pkg),
      url: str(w.url, `${where}.url`, pkg),
      sha256: sha(w.hashes, where, pkg),
    };
    if (typeof w.size === "number") out.size = w.size;
    if (typeof w.index === "string") out.index = w.index;
    return out;
  });
  const built = (table.built as Record<string, unknown>[]).map((b, i) => {
    const where = `built[${i}]`;
    const names = b["build-wheels"] ?? [];
    if (!Array.isArray(names) || !names.every((n) => buildWheels.some((w) => w.filename === n)))
      throw bad(pkg, `${where}.build-wheels names a wheel build-wheels does not list`);
    return {
      target: str(b.target, `${where}.target`, pkg),
      wheel: str(b.name, `${where}.name`, pkg),
      sha256: sha(b.hashes, where, pkg),
      size: typeof b.size === "number" ? b.size : 0,
      buildWheels: names as string[],
    };
  });
  const out: PackageBuilds = { built, buildWheels, network: table["build-network"] === true };
  if (table["source-sha256"] !== undefined) {
    out.source = {
      filename: str(table["source-name"], "source-name", pkg),
      sha256: sha({ sha256: table["source-sha256"] }, "source-sha256", pkg),
    };
  }
  return out;
}

/** The `[packages.tool.pystore]` keys for `builds`, sorted so the same builds give the same bytes. */
export function buildsTable(builds: PackageBuilds): Record<string, unknown> {
  return {
    ...(builds.source ? { "source-name": builds.source.filename, "source-sha256": builds.source.sha256 } : {}),
    "build-network": builds.network,
    built: [...builds.built].sort(byKey((b) => b.target)).map((b) => ({
      target: b.target,
      name: b.wheel,
      size: b.size,
      hashes: { sha256: b.sha256 },
      "build-wheels": [...b.buildWheels].sort(compareStrings),
    })),
    "build-wheels": [...builds.buildWheels].sort(byKey((w) => w.filename)).map((w) => ({
      name: w.filename,
      project: w.name,
      version: w.version,
      url: w.url,
      ...(w.size === undefined ? {} : { size: w.size }),
      ...(w.index ? { index: w.index } : {}),
      hashes: { sha256: w.sha256 },
    })),
  };
}

/** The environment one build used, as file entries. */
export function buildWheelsFor(builds: PackageBuilds, built: LockedBuild): LockedBuildWheel[] {
  return built.buildWheels.map((n) => builds.buildWheels.find((w) => w.filename === n)!);
}

/** Every sha256 a lock's builds name (built wheels and build environments), for gc roots. */
export function builtDigests(packages: PylockPackage[]): string[] {
  const out = new Set<string>();
  for (const pkg of packages) {
    const builds = packageBuilds(pkg);
    if (!builds) continue;
    for (const b of builds.built) out.add(b.sha256);
    for (const w of builds.buildWheels) out.add(w.sha256);
  }
  return [...out].sort(compareStrings);
}
