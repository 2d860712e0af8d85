// Builds one pylock.toml for several targets: resolve each target (preferring the existing lock's
// versions, then earlier targets' choices, so targets agree when they can), then merge the results
// into [[packages]] entries with a marker where a package is needed on only some targets.

import { isAbsolute, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";
import {
  type BuildPolicy,
  directFile,
  resolve,
  type Resolution,
  type ResolvedPackage,
  type ResolverProvider,
} from "../resolver/resolve.js";
import { canonicalizeName } from "../standards/normalize.js";
import { reduceMarker } from "../standards/pep508.js";
import type { Pylock, PylockPackage, PylockWheel } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Requirement } from "../standards/pep508.js";
import { pythonLabel, type Target, targetPythonSatisfies } from "../standards/targets.js";
import { silentLogger, type Logger } from "../util/log.js";
import { stripCredentials } from "../util/redact.js";
import { environmentMarker, inputsTable, sortTargets, type LockInputs } from "./inputs.js";
import { byKey, compareStrings, sortedUnique } from "../util/order.js";
import { buildsTable, type LockedBuildWheel, type PackageBuilds } from "./built-wheels.js";
import { ALWAYS, type Condition, conditionMarker, installConditions, isAlways, sameCondition } from "./conditions.js";

export interface BuildLockOptions {
  existing?: Pylock;
  /**
   * Fills in a wheel's sha256 from its bytes (downloads it) when its source gives none: a direct URL without
   * a fragment, or an index or find-links page without hashes.
   */
  hashDirect?: (file: ProjectFile) => Promise<ProjectFile>;
  /** Ignore the existing lock's versions entirely. */
  upgrade?: boolean;
  /** Ignore the existing lock's version of these packages only. */
  upgradePackages?: string[];
  /** Directory the lock is written to: local wheels below it are recorded by relative path. */
  lockDir?: string;
  /** Which projects may be built from sdists (absent: wheels only). */
  buildPolicy?: BuildPolicy;
  /**
   * A root requirement on a local project (`name @ ./libs/name`): its tree packed as an sdist (`file`), and
   * its path relative to the lock's directory; undefined when the requirement is no such thing.
   */
  localProject?: (req: Requirement) => Promise<LocalProject | undefined>;
  /** Builds (or reuses) the wheel of an sdist for a target; required when `buildPolicy` allows sdists. */
  build?: (file: ProjectFile, target: Target) => Promise<SdistBuild>;
  log?: Logger;
}

export interface LocalProject {
  file: ProjectFile;
  /** Relative to the lock's directory, "/"-separated (PEP 751 `directory.path`). */
  path: string;
}

/** What the lock records of one sdist built for one target. */
export interface SdistBuild {
  /** The sdist, its sha256 filled in from its bytes. */
  sdist: ProjectFile;
  wheel: string;
  sha256: string;
  size: number;
  buildWheels: LockedBuildWheel[];
  network: boolean;
}

export interface BuiltLock {
  lock: Pylock;
  resolutions: Resolution[];
}

function lockPreferences(existing: Pylock | undefined, target: Target, opts: BuildLockOptions): Map<string, string> {
  const prefs = new Map<string, string>();
  if (!existing || opts.upgrade) return prefs;
  const skip = new Set((opts.upgradePackages ?? []).map(canonicalizeName));
  for (const pkg of existing.packages) {
    const name = canonicalizeName(pkg.name);
    if (!pkg.version || skip.has(name)) continue;
    if (pkg.marker !== undefined && reduceMarker(pkg.marker, target.markers, {}, lockTimeUnknowns(target)) === false) continue;
    prefs.set(name, pkg.version);
  }
  return prefs;
}

/** At lock time nobody has chosen extras or groups yet, and `--python X.Y` leaves the patch open. */
function lockTimeUnknowns(target: Target) {
  return { selections: true, pythonPatch: target.fullVersionKnown === false };
}

function checkTargetPython(inputs: LockInputs, target: Target, log: Logger): void {
  if (!inputs.requiresPython) return;
  const fits = targetPythonSatisfies(inputs.requiresPython, target);
  if (fits === "depends") {
    log.warn(
      `target ${target.id}: requires-python ${JSON.stringify(inputs.requiresPython)} holds only for some ${target.python}.N; give --python ${target.python}.N to say which`,
    );
  }
  if (fits === false) {
    throw new PystoreError(
      "INVALID_TARGET",
      `target ${target.id} runs Python ${pythonLabel(target)}, outside the project's requires-python ${JSON.stringify(inputs.requiresPython)}`,
      {
        hint: "drop that --python, or widen requires-python in pyproject.toml",
      },
    );
  }
}

/** A local wheel under the lock's directory is recorded by relative `path`, so the lock travels with it. */
function localPath(url: string, lockDir: string | undefined): string | undefined {
  if (!lockDir || !url.startsWith("file:")) return undefined;
  const abs = fileURLToPath(url);
  const rel = relative(lockDir, abs);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

function wheelEntry(file: ProjectFile, lockDir: string | undefined): PylockWheel {
  const sha256 = file.hashes.sha256;
  if (!sha256) {
    throw new PystoreError(
      "INVALID_INDEX_RESPONSE",
      `the index gave no sha256 for ${file.filename} (only: ${Object.keys(file.hashes).join(", ") || "none"})`,
      {
        hint: "pystore locks need sha256 hashes; use an index that publishes them (PEP 503 #sha256= fragments or PEP 691 hashes)",
      },
    );
  }
  const path = localPath(file.url, lockDir);
  const wheel: PylockWheel = path
    ? { name: file.filename, path, hashes: { sha256: sha256.toLowerCase() } }
    : { name: file.filename, url: stripCredentials(file.url), hashes: { sha256: sha256.toLowerCase() } };
  if (file.size !== undefined) wheel.size = file.size;
  if (file.uploadTime !== undefined) wheel.uploadTime = file.uploadTime;
  return wheel;
}

/** PEP 751's `sdist` table (the file built from) and the builds per target in `[packages.tool.pystore]`. */
function sdistEntry(
  targets: Target[],
  built: SdistBuild[],
  builds: Map<string, SdistBuild>,
  entry: Entry,
  lockDir: string | undefined,
  localPath: string | undefined,
) {
  const file = wheelEntry(built[0].sdist, lockDir);
  // PEP 751's keys as written (the table is kept raw); the upload time is left out, a wheel's matters more.
  const sdist: Record<string, unknown> = { name: file.name, ...(file.url ? { url: file.url } : { path: file.path }) };
  if (file.size !== undefined) sdist.size = file.size;
  sdist.hashes = file.hashes;
  const buildWheels = new Map<string, LockedBuildWheel>();
  const perTarget: PackageBuilds["built"] = [];
  for (const t of targets) {
    const b = builds.get(`${entry.name}==${entry.version}|${t.id}`);
    if (!b) continue;
    for (const w of b.buildWheels) buildWheels.set(w.filename, w);
    perTarget.push({ target: t.id, wheel: b.wheel, sha256: b.sha256, size: b.size, buildWheels: b.buildWheels.map((w) => w.filename) });
  }
  const table = buildsTable({
    built: perTarget,
    buildWheels: [...buildWheels.values()],
    network: built.some((b) => b.network),
    // A local project is a PEP 751 directory; the packed tree's name and sha256 say which state of it was built.
    ...(localPath === undefined ? {} : { source: { filename: file.name, sha256: file.hashes.sha256 } }),
  });
  if (localPath !== undefined) return { directory: { path: localPath }, tool: { pystore: table } };
  return { sdist, tool: { pystore: table } };
}

function lockRequiresPython(inputs: LockInputs, targets: Target[]): string {
  if (inputs.requiresPython) return inputs.requiresPython;
  const minors = targets.map((t) => t.python.split(".").map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return `>=${minors[0].join(".")}`;
}

export async function buildLock(provider: ResolverProvider, inputs: LockInputs, opts: BuildLockOptions = {}): Promise<BuiltLock> {
  const log = opts.log ?? silentLogger;
  const targets = sortTargets(inputs.targets);
  if (targets.length === 0) throw new PystoreError("USAGE", "no target to lock for");
  const directFiles = new Map<string, ProjectFile>();
  const localPaths = new Map<string, string>();
  for (const req of inputs.requirements) {
    if (!req.url) continue;
    const local = await opts.localProject?.(req);
    if (local) {
      directFiles.set(canonicalizeName(req.name), local.file);
      localPaths.set(canonicalizeName(req.name), local.path);
      continue;
    }
    // An sdist URL is built like an index's sdist, unless building is off for the project.
    const sdists = opts.buildPolicy?.sdists(canonicalizeName(req.name)) ?? "no";
    let file = directFile(req, sdists !== "no");
    if (!file.hashes.sha256 && opts.hashDirect) file = await opts.hashDirect(file);
    directFiles.set(canonicalizeName(req.name), file);
  }
  const resolutions: Resolution[] = [];
  const builds = new Map<string, SdistBuild>();
  const chosenElsewhere = new Map<string, string>();
  for (const target of targets) {
    checkTargetPython(inputs, target, log);
    const preferences = lockPreferences(opts.existing, target, opts);
    for (const [name, version] of chosenElsewhere) if (!preferences.has(name)) preferences.set(name, version);
    log.info(`resolving for ${target.id}`);
    const resolution = await resolve(provider, {
      target,
      rootName: inputs.rootName,
      requirements: inputs.requirements,
      constraints: inputs.constraints,
      prerelease: inputs.prerelease,
      excludeNewer: inputs.excludeNewer,
      preferences,
      directFiles,
      build: opts.buildPolicy,
      log,
    });
    for (const p of resolution.packages) {
      if (!p.sdist) continue;
      if (!opts.build) throw new PystoreError("INTERNAL", `internal: ${p.name} ${p.version} needs a build, but no builder was given`);
      const built = await opts.build(p.sdist, target);
      p.sdist = built.sdist;
      builds.set(`${p.name}==${p.version}|${target.id}`, built);
    }
    for (const p of resolution.packages) if (!chosenElsewhere.has(p.name)) chosenElsewhere.set(p.name, p.version);
    log.info(`${target.id}: ${resolution.packages.length} package${resolution.packages.length === 1 ? "" : "s"}`);
    resolutions.push(resolution);
  }
  if (opts.hashDirect) await hashRecordedWheels(resolutions, opts.hashDirect);
  return { lock: mergeResolutions(inputs, targets, resolutions, opts.lockDir, builds, localPaths), resolutions };
}

/**
 * Pages without `#sha256=` (static mirrors, find-links pages) are common: as pip and uv do, the wheels the
 * lock records are hashed from their bytes instead (once per URL), so `fetch` can check them later.
 */
async function hashRecordedWheels(resolutions: Resolution[], hash: (file: ProjectFile) => Promise<ProjectFile>): Promise<void> {
  const byUrl = new Map<string, Promise<ProjectFile>>();
  for (const r of resolutions) {
    for (const p of r.packages) {
      const file = p.wheels[0];
      if (file && !file.hashes.sha256 && !byUrl.has(file.url)) byUrl.set(file.url, hash(file));
    }
  }
  if (byUrl.size === 0) return;
  await Promise.all(byUrl.values());
  for (const r of resolutions) {
    for (const p of r.packages) {
      const hashed = p.wheels[0] && byUrl.get(p.wheels[0].url);
      if (hashed) p.wheels[0] = await hashed;
    }
  }
}

interface Entry {
  name: string;
  version: string;
  targets: Target[];
  packages: ResolvedPackage[];
}

/**
 * The package's marker: the targets it is on (when not all of them) and, per target, the chosen extras,
 * groups or patch levels it needs. Undefined when it is always installed.
 */
function packageMarker(entry: Entry, allEnvs: string[], conditionsOf: Map<string, Map<string, Condition>>): string | undefined {
  const envs = [...new Set(entry.targets.map(environmentMarker))];
  const perTarget = entry.targets.map((t) => conditionsOf.get(t.id)?.get(entry.name) ?? ALWAYS);
  const everywhere = allEnvs.every((m) => envs.includes(m));
  if (perTarget.every(isAlways)) {
    if (everywhere) return undefined;
    return envs.length === 1 ? envs[0] : envs.map((m) => `(${m})`).join(" or ");
  }
  if (everywhere && perTarget.every((c) => sameCondition(c, perTarget[0]))) return conditionMarker(perTarget[0]);
  // Targets that need the package on the same condition share one clause: "(condition) and (env or env)".
  const groups = new Map<string, { condition: Condition; envs: Set<string> }>();
  entry.targets.forEach((t, i) => {
    const key = JSON.stringify(perTarget[i]);
    const group = groups.get(key) ?? { condition: perTarget[i], envs: new Set<string>() };
    group.envs.add(environmentMarker(t));
    groups.set(key, group);
  });
  const clauses = [...groups.values()].map(({ condition, envs }) => {
    const envText = envs.size === 1 ? [...envs][0] : [...envs].map((m) => `(${m})`).join(" or ");
    const conditionText = conditionMarker(condition);
    if (conditionText === undefined) return envText;
    const wrap = (text: string, several: boolean) => (several ? `(${text})` : text);
    return `${wrap(conditionText, condition.length > 1 || condition[0].some((a) => a.includes(" or ")))} and ${wrap(envText, envs.size > 1)}`;
  });
  return clauses.sort(compareStrings).join(" or ");
}

function mergeResolutions(
  inputs: LockInputs,
  targets: Target[],
  resolutions: Resolution[],
  lockDir: string | undefined,
  builds: Map<string, SdistBuild>,
  localPaths: Map<string, string>,
): Pylock {
  const conditionsOf = new Map(resolutions.map((r) => [r.target.id, installConditions(r.edges)] as const));
  const entries = new Map<string, Entry>();
  for (const r of resolutions) {
    for (const p of r.packages) {
      const key = `${p.name}==${p.version}`;
      const entry = entries.get(key) ?? { name: p.name, version: p.version, targets: [], packages: [] };
      entry.targets.push(r.target);
      entry.packages.push(p);
      entries.set(key, entry);
    }
  }
  const versionsOf = new Map<string, Set<string>>();
  for (const e of entries.values()) versionsOf.set(e.name, (versionsOf.get(e.name) ?? new Set()).add(e.version));
  const allEnvs = targets.map(environmentMarker);
  const packages: PylockPackage[] = [];
  const sorted = [...entries.values()].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.version, b.version));
  for (const entry of sorted) {
    const envs = [...new Set(entry.targets.map(environmentMarker))];
    if ((versionsOf.get(entry.name)?.size ?? 0) > 1) {
      // Two versions of one package are told apart by their markers; identical markers cannot do that.
      for (const other of sorted) {
        if (other.name !== entry.name || other.version === entry.version) continue;
        const clash = other.targets.map(environmentMarker).find((m) => envs.includes(m));
        if (clash) {
          throw new PystoreError(
            "NO_SOLUTION",
            `targets with the same environment marker (${clash}) need different versions of ${entry.name} (${entry.version} and ${other.version})`,
            {
              hint: "lock such targets (e.g. manylinux and musllinux) into separate lock files",
            },
          );
        }
      }
    }
    const pkg: PylockPackage = { name: entry.name, version: entry.version };
    const marker = packageMarker(entry, allEnvs, conditionsOf);
    if (marker !== undefined) pkg.marker = marker;
    const requiresPython = entry.packages.find((p) => p.requiresPython)?.requiresPython;
    if (requiresPython) pkg.requiresPython = requiresPython;
    const deps = new Map<string, { name: string; version?: string }>();
    entry.targets.forEach((target, i) => {
      const resolution = resolutions.find((r) => r.target.id === target.id)!;
      for (const depName of entry.packages[i].dependencies) {
        const ambiguous = (versionsOf.get(depName)?.size ?? 0) > 1;
        const version = resolution.packages.find((p) => p.name === depName)?.version;
        const dep = ambiguous && version ? { name: depName, version } : { name: depName };
        deps.set(`${dep.name}==${dep.version ?? ""}`, dep);
      }
    });
    if (deps.size > 0) pkg.dependencies = [...deps.entries()].sort(byKey(([name]) => name)).map(([, d]) => d);
    const first = entry.packages[0].wheels[0] ?? entry.packages[0].sdist!;
    // Direct URL wheels come from no index; PEP 751's `index` is only for index-provided packages.
    if (first.index) pkg.index = first.index;
    const wheels = new Map<string, PylockWheel>();
    for (const p of entry.packages) if (p.wheels[0]) wheels.set(p.wheels[0].filename, wheelEntry(p.wheels[0], lockDir));
    if (wheels.size > 0) pkg.wheels = [...wheels.entries()].sort(byKey(([name]) => name)).map(([, w]) => w);
    const built = entry.targets.flatMap((t) => builds.get(`${entry.name}==${entry.version}|${t.id}`) ?? []);
    if (built.length > 0) Object.assign(pkg, sdistEntry(entry.targets, built, builds, entry, lockDir, localPaths.get(entry.name)));
    packages.push(pkg);
  }
  return {
    lockVersion: "1.0",
    environments: [...new Set(allEnvs)],
    requiresPython: lockRequiresPython(inputs, targets),
    // Everything locked stays selectable (PEP 751): installers pick extras and groups; none by default.
    extras: sortedUnique(inputs.extras.map(canonicalizeName)),
    dependencyGroups: sortedUnique(inputs.groups.map(canonicalizeName)),
    defaultGroups: [],
    createdBy: "pystore",
    packages,
    tool: { pystore: inputsTable(inputs) },
  };
}
