// Resolution for one target: root requirements + an index snapshot (ResolverProvider) → one version
// per package, with its compatible wheels. Extras are virtual packages "name[extra]" that pin their
// base package, so self-referencing extras and cycles need no special cases.

import { PystoreError } from "../errors.js";
import type { CoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { parseSpecifierSet, parseVersion, specifierContains } from "../standards/pep440.js";
import { type Marker, type Reduced, type Requirement, reduceMarker } from "../standards/pep508.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { pythonLabel, type Target, targetPythonSatisfies } from "../standards/targets.js";
import { silentLogger, type Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { isWheelFilename, parseSdistFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { type SdistUse, versionTable, type PrereleaseMode, type VersionTable } from "./candidates.js";
import { explainFailure, noWheelCauses, packagesIn } from "./explain.js";
import { Solver, SolveFailure, type Dependency, type PackageInfo, type SolverSource, type SolverStats } from "./solver.js";
import { versionsIn } from "./terms.js";
import { byName } from "../util/order.js";

export interface ResolverProvider {
  /** Every file of a project on the configured indexes (index strategy applied); PACKAGE_NOT_FOUND if none has it. */
  projectFiles(name: string): Promise<ProjectFile[]>;
  /**
   * Core metadata of `name` `version`, read from `file` (one of that version's wheels, or its sdist: then
   * `target` says which interpreter may have to prepare it).
   */
  metadata(name: string, version: string, file: ProjectFile, target?: Target): Promise<CoreMetadata>;
  /** Optional hint: this metadata will probably be needed soon (fetch in the background). */
  prefetchMetadata?(name: string, version: string, file: ProjectFile): void;
}

/**
 * A `name @ https://…/x.whl` (or `…/x.tar.gz`, an sdist to build) requirement becomes a project with that
 * one file. The sha256 comes from the URL's `#sha256=` fragment when present.
 */
export function directFile(req: Requirement, allowSdist = false): ProjectFile {
  const url = req.url!;
  const [base, fragment = ""] = url.split("#", 2);
  const path = base.split("?")[0];
  const filename = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  const wheel = isWheelFilename(filename);
  if (!wheel && !(allowSdist && /\.tar\.gz$/i.test(filename))) {
    const why = allowSdist
      ? "is not a wheel, nor a .tar.gz sdist to build; pystore does not build source directories or other archives"
      : "is not a wheel, and building is off for it, so pystore does not build sdists here";
    throw new PystoreError("NO_MATCHING_WHEEL", `${req.name} @ ${redactUrl(url)} ${why}`, {
      hint: "point the requirement at a .whl (or, with building allowed, a .tar.gz) file, or require the package by name from an index",
    });
  }
  const named = wheel ? parseWheelFilename(filename).name : safeSdistName(filename);
  if (named === undefined || canonicalizeName(named) !== canonicalizeName(req.name)) {
    throw new PystoreError(
      "INVALID_REQUIREMENT",
      `${req.name} @ ${redactUrl(url)}: the ${wheel ? "wheel" : "sdist"} is named ${JSON.stringify(filename)}, not ${req.name}`,
    );
  }
  const hashes: Record<string, string> = {};
  for (const part of fragment.split("&")) {
    const m = /^(sha256|sha384|sha512|md5)=([0-9a-fA-F]+)$/.exec(part);
    if (m) hashes[m[1]] = m[2].toLowerCase();
  }
  return { filename, url: base, hashes, index: "" };
}

export interface ResolveOptions {
  target: Target;
  /** Shown in explanations ("app depends on a>=2"). */
  rootName: string;
  requirements: Requirement[];
  constraints?: Requirement[];
  prerelease?: PrereleaseMode;
  excludeNewer?: string;
  /** canonical name → version to prefer (the existing lock, other targets). */
  preferences?: Map<string, string>;
  /** canonical name → the one file a `name @ url` root requirement points at. */
  directFiles?: Map<string, ProjectFile>;
  /** Which projects may be built from sdists (absent: none, wheels only). */
  build?: BuildPolicy;
  log?: Logger;
}

/** --no-build, --no-build-package, --no-binary-package as the resolver sees them. */
export interface BuildPolicy {
  sdists(canonicalName: string): SdistUse;
}

export interface ResolvedPackage {
  name: string;
  version: string;
  /** Wheels compatible with the target, best first; empty when the package is built from `sdist`. */
  wheels: ProjectFile[];
  /** The sdist this target builds (no wheel fits it, or wheels are refused for the project). */
  sdist?: ProjectFile;
  requiresPython?: string;
  /** Canonical names of what this package needs on this target (extras included). */
  dependencies: string[];
  yankedReason?: string;
}

/** One requirement edge of the resolved graph; keys are the solver's ("" is the root, "a[x]" an extra of a). */
export interface ResolvedEdge {
  from: string;
  to: string;
  /** Where the requirement holds, if the target alone does not decide it. */
  when?: Marker;
}

export interface Resolution {
  target: Target;
  packages: ResolvedPackage[];
  /** Every edge between decided packages, with what the target left undecided. */
  edges: ResolvedEdge[];
  /** The solver's work (decisions, incompatibilities, checks, backtracks) and its decision trace. */
  stats: SolverStats & { trace: string[] };
}

const ROOT = "\u0000root";

function splitKey(key: string): { name: string; extra?: string } {
  const i = key.indexOf("[");
  return i < 0 ? { name: key } : { name: key.slice(0, i), extra: key.slice(i + 1, -1) };
}

function requirementLabel(req: Requirement): string {
  return `${req.name}${req.extras.length ? `[${req.extras.join(",")}]` : ""}${req.specifier}`;
}

function matcher(spec: string): (v: string) => boolean {
  if (spec === "") return () => true;
  const set = parseSpecifierSet(spec);
  // Pre-release policy is applied per version in candidates.ts; here only the ranges matter.
  return (v) => specifierContains(set, v, { prereleases: true });
}

function toDependencies(req: Requirement, log: Logger, from: string, when: Reduced, root = false): Dependency[] {
  if (req.url && !root)
    log.warn(`${from}: direct URL requirement "${requirementLabel(req)} @ ${req.url}" is resolved by name from the index`);
  const name = canonicalizeName(req.name);
  const matches = matcher(req.specifier);
  const label = requirementLabel(req);
  const residual = typeof when === "boolean" ? undefined : when;
  return [name, ...req.extras.map((e) => `${name}[${canonicalizeName(e)}]`)].map((key) => ({ key, matches, label, when: residual }));
}

export async function resolve(provider: ResolverProvider, opts: ResolveOptions): Promise<Resolution> {
  const log = opts.log ?? silentLogger;
  const target = opts.target;
  const env = target.markers;
  const rootCanonical = canonicalizeName(opts.rootName);
  // Extras and groups are chosen at install time and a bare X.Y leaves the patch open: a requirement
  // those decide is followed, and its residual marker travels with the edge into the lock.
  const unknowns = { selections: true, pythonPatch: target.fullVersionKnown === false };
  const holds = (req: Requirement, extra?: string): Reduced =>
    req.marker ? reduceMarker(req.marker, env, extra === undefined ? {} : { extra }, unknowns) : true;
  const rootReqs = opts.requirements.filter((r) => holds(r) !== false).filter((r) => canonicalizeName(r.name) !== rootCanonical);
  const constraints = (opts.constraints ?? []).filter((r) => holds(r) !== false);
  const tables = new Map<string, Promise<VersionTable>>();
  // Projects no source has: an empty table for the solver, and the source's own error for the report.
  const notFound = new Map<string, PystoreError>();
  const depsCache = new Map<string, Dependency[]>();

  const rootSpecs = (name: string) =>
    [...rootReqs, ...constraints]
      .filter((r) => canonicalizeName(r.name) === name)
      .flatMap((r) => parseSpecifierSet(r.specifier).specifiers);

  function table(name: string): Promise<VersionTable> {
    let t = tables.get(name);
    if (!t) {
      t = (async () => {
        let files: ProjectFile[];
        const direct = opts.directFiles?.get(name);
        try {
          files = direct ? [direct] : await provider.projectFiles(name);
        } catch (error) {
          if (!(error instanceof PystoreError) || error.code !== "PACKAGE_NOT_FOUND") throw error;
          notFound.set(name, error);
          files = [];
        }
        const specs = rootSpecs(name);
        return versionTable(files, {
          target,
          prerelease: opts.prerelease ?? "if-necessary-or-explicit",
          explicitPrerelease: specs.some((s) => !s.version.endsWith(".*") && safePre(s.version)),
          excludeNewer: opts.excludeNewer,
          sdists: opts.build?.sdists(name) ?? "no",
          pinned: (v) =>
            specs.some((s) => (s.operator === "==" && !s.version.endsWith(".*")) || s.operator === "===") &&
            specs.every((s) => specifierContains(`${s.operator}${s.version}`, v, { prereleases: true })),
        });
      })();
      tables.set(name, t);
    }
    return t;
  }

  function prefer(name: string, candidates: string[]): string {
    const preferred = opts.preferences?.get(name);
    return preferred !== undefined && candidates.includes(preferred) ? preferred : candidates[candidates.length - 1];
  }

  const source: SolverSource = {
    rootKey: ROOT,
    async packageInfo(key): Promise<PackageInfo> {
      if (key === ROOT) return { display: opts.rootName, versions: ["0"], unavailable: [] };
      const { name, extra } = splitKey(key);
      const t = await table(name);
      return { display: extra ? `${name}[${extra}]` : name, versions: t.versions, unavailable: t.unavailable };
    },
    async dependencies(key, version) {
      if (key === ROOT) {
        const deps = rootReqs.flatMap((r) => toDependencies(r, log, opts.rootName, holds(r), true));
        const cons = constraints.map((c) => ({
          key: canonicalizeName(c.name),
          matches: matcher(c.specifier),
          label: `${requirementLabel(c)} (constraint)`,
          constraint: true,
        }));
        depsCache.set(`${ROOT}@${version}`, deps);
        return { deps: [...deps, ...cons] };
      }
      const { name, extra } = splitKey(key);
      const usable = (await table(name)).usable.get(version);
      if (!usable) return { unavailable: "has no usable files" };
      let meta: CoreMetadata;
      try {
        meta = await provider.metadata(name, version, usable.wheels[0] ?? usable.sdist!, target);
      } catch (error) {
        // One release with broken metadata should not sink the resolution: skip it, as pip does.
        if (!(error instanceof PystoreError) || error.code !== "INVALID_METADATA") throw error;
        log.warn(`skipping ${name} ${version}: ${error.message.split("\n")[0]}`);
        return { unavailable: "has invalid metadata" };
      }
      if (meta.requiresPython && !safeSatisfies(meta.requiresPython, target)) {
        return { unavailable: `requires Python ${meta.requiresPython} (target ${target.id} has ${pythonLabel(target)})` };
      }
      const from = `${name} ${version}`;
      let deps: Dependency[];
      if (extra === undefined) {
        deps = meta.requiresDist.flatMap((r) => {
          const when = holds(r, "");
          return when === false ? [] : toDependencies(r, log, from, when);
        });
      } else {
        // What the extra adds: requirements that hold with it, unless they hold anyway without it.
        deps = [
          { key: name, matches: (v) => v === version, label: `${name}==${version}` },
          ...meta.requiresDist.flatMap((r) => {
            if (!r.marker) return [];
            const withExtra = holds(r, extra);
            return withExtra === false || holds(r, "") === true ? [] : toDependencies(r, log, from, withExtra);
          }),
        ];
      }
      depsCache.set(`${key}@${version}`, deps);
      return { deps };
    },
    choose(key, candidates) {
      return prefer(splitKey(key).name, candidates);
    },
    prefetch(key, candidates) {
      if (!provider.prefetchMetadata || key === ROOT || candidates.length === 0) return;
      const { name } = splitKey(key);
      const version = prefer(name, candidates);
      void table(name).then((t) => {
        const usable = t.usable.get(version);
        // Never an sdist: its metadata may take a build, worth doing only for the version chosen.
        if (usable && usable.wheels.length > 0) provider.prefetchMetadata!(name, version, usable.wheels[0]);
      });
    },
  };

  const solver = new Solver(source);
  let decided: Map<string, string>;
  try {
    decided = await solver.solve();
  } catch (error) {
    if (error instanceof SolveFailure) throw failureError(error, opts, target, notFound);
    throw error;
  }

  const edges: ResolvedEdge[] = [];
  for (const [key, version] of decided) {
    for (const d of depsCache.get(`${key}@${version}`) ?? []) {
      if (d.constraint || !decided.has(d.key)) continue;
      edges.push({ from: key === ROOT ? "" : key, to: d.key, when: d.when });
    }
  }
  const packages: ResolvedPackage[] = [];
  for (const [key, version] of decided) {
    if (key === ROOT || key.includes("[")) continue;
    const usable = (await table(key)).usable.get(version)!;
    const deps = new Set<string>();
    for (const [otherKey, otherVersion] of decided) {
      if (otherKey !== key && splitKey(otherKey).name !== key) continue;
      for (const d of depsCache.get(`${otherKey}@${otherVersion}`) ?? []) {
        const depName = splitKey(d.key).name;
        if (depName !== key) deps.add(depName);
      }
    }
    if (usable.yankedReason)
      log.warn(`${key} ${version} is yanked (${usable.yankedReason}); using it because it is pinned with == (target ${target.id})`);
    const file = usable.wheels[0] ?? usable.sdist!;
    const meta = await provider.metadata(key, version, file, target);
    packages.push({
      name: key,
      version,
      wheels: usable.wheels,
      ...(usable.sdist ? { sdist: usable.sdist } : {}),
      requiresPython: meta.requiresPython ?? file.requiresPython,
      dependencies: [...deps].sort(),
      yankedReason: usable.yankedReason,
    });
  }
  packages.sort(byName);
  return { target, packages, edges, stats: { ...solver.stats, trace: solver.trace } };
}

function safeSdistName(filename: string): string | undefined {
  try {
    return parseSdistFilename(filename).name;
  } catch {
    return undefined;
  }
}

function safePre(version: string): boolean {
  try {
    return parseVersion(version).isPrerelease;
  } catch {
    return false;
  }
}

/**
 * An invalid Requires-Python is ignored, as pip does. With only X.Y known, a release that some patch
 * levels accept is usable: the lock records its requires-python for the installer to check.
 */
function safeSatisfies(spec: string, target: Target): boolean {
  try {
    return targetPythonSatisfies(spec, target) !== false;
  } catch {
    return true;
  }
}

function failureError(failure: SolveFailure, opts: ResolveOptions, target: Target, notFound: Map<string, PystoreError>): PystoreError {
  const ctx = { universes: failure.universes, labels: failure.labels, rootKey: ROOT, rootName: opts.rootName };
  const lines = explainFailure(ctx, failure.incompatibility);
  const explanation = lines.join("; ");
  // A project that no source has is the first thing to fix (a typo, a missing index or --find-links
  // directory): report the source's own error, which names what was searched, above the chain.
  const missing = [...new Set([...packagesIn(failure.incompatibility)].map((key) => splitKey(key).name))]
    .filter((name) => notFound.has(name))
    .sort();
  if (missing.length > 0) {
    const cause = notFound.get(missing[0])!;
    return new PystoreError("PACKAGE_NOT_FOUND", `${cause.message}\n  ${explanation}`, {
      hint: cause.hint,
      cause,
      details: { ...cause.details, package: missing[0], missing, target: target.id, explanation: lines },
    });
  }
  const noWheel = noWheelCauses(failure.incompatibility);
  if (noWheel.length > 0) {
    const first = noWheel[0];
    const u = failure.universes.get(first.pkg)!;
    const versions = versionsIn(u, first.versions).join(", ");
    const exists = first.wheels.length ? `the wheels that exist: ${first.wheels.join(", ")}` : "it publishes no wheels, only sdists";
    return new PystoreError(
      "NO_MATCHING_WHEEL",
      `no wheel of ${u.display} (${versions}) fits target ${target.id}; ${exists}. Building is off for it, so pystore does not build sdists here.\n  ${explanation}`,
      {
        hint: "pick a target these wheels support, require a version of the package that has a wheel for it, or allow building (drop --no-build / --no-build-package)",
        details: { package: u.display, target: target.id, wheels: first.wheels, explanation: lines },
      },
    );
  }
  return new PystoreError("NO_SOLUTION", `no set of versions satisfies the requirements for target ${target.id}:\n  ${explanation}`, {
    hint: "loosen one of the requirements in this chain",
    details: { target: target.id, explanation: lines },
  });
}
