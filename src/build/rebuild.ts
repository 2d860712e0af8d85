// Using a lock's built wheels: each one the store lacks is built again from the locked sdist in the
// locked build environment, and must come out byte for byte as the lock records it.

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { PystoreError } from "../errors.js";
import { checkLocalUrl, localLocations } from "../lock/local-files.js";
import { writeSource } from "../store/sources.js";
import { packSourceTree } from "./source-dir.js";
import { packageBuilds } from "../lock/built-wheels.js";
import { chosenOnSomeTarget, type SelectedPackage, type SelectOptions, selectForTarget } from "../lock/select.js";
import type { Pylock } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Target } from "../standards/targets.js";
import type { Store, StoreEntry } from "../store/store.js";
import type { Logger } from "../util/log.js";
import type { SdistBuilder } from "./builder.js";

/** A locked built wheel and the target it is wanted for. */
export interface WantedBuild {
  pkg: SelectedPackage;
  target: Target;
}

/** Every built wheel the lock records for the chosen extras and groups, each with the target it was built for. */
export async function lockedBuilds(
  lock: Pylock,
  chosen: SelectOptions,
  loadTarget: (platform: string, python: string) => Promise<Target>,
): Promise<WantedBuild[]> {
  const out: WantedBuild[] = [];
  for (const pkg of lock.packages) {
    if (!chosenOnSomeTarget(pkg, lock, chosen)) continue;
    const builds = packageBuilds(pkg);
    for (const built of builds?.built ?? []) {
      const m = /^(.+)-cp(\d)(\d+)$/.exec(built.target);
      if (!m) throw new PystoreError("INVALID_LOCK", `${pkg.name}: built for ${JSON.stringify(built.target)}, which is not a target id`);
      const target = await loadTarget(m[1], `${m[2]}.${m[3]}`);
      const selected = selectForTarget({ ...lock, packages: [pkg], environments: undefined }, target, { ...chosen, undecided: "include" });
      out.push(...selected.filter((s) => s.build && s.sha256 === built.sha256).map((s) => ({ pkg: s, target })));
    }
  }
  return out;
}

export interface ProvideOptions {
  store: Store;
  builder: () => SdistBuilder | Promise<SdistBuilder>;
  /** The lock's sdist table as a file to download (local paths checked against the lock's locations). */
  sdistFile: (pkg: SelectedPackage) => ProjectFile | Promise<ProjectFile>;
  log: Logger;
}

/** Each wanted built wheel as a store entry: stored already, or built again exactly as locked. */
export async function provideBuilt(wanted: WantedBuild[], opts: ProvideOptions): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  for (const { pkg, target } of wanted) {
    // A local project can change under a lock: its tree is checked even when the build is stored.
    if (pkg.build?.directory !== undefined) await opts.sdistFile(pkg);
    const stored = opts.store.get(pkg.sha256);
    if (stored) {
      opts.store.touch(pkg.sha256);
      out.push(stored);
      continue;
    }
    await rebuildMissing([pkg], target, await opts.builder(), opts.sdistFile, opts.log);
    out.push(opts.store.get(pkg.sha256)!);
  }
  return out;
}

/**
 * Build each missing wheel and check it against the lock. `sdistFile` turns the lock's sdist table into a
 * downloadable file (the caller checks local paths against the lock's locations).
 */
export async function rebuildMissing(
  missing: SelectedPackage[],
  target: Target,
  builder: SdistBuilder,
  sdistFile: (pkg: SelectedPackage) => ProjectFile | Promise<ProjectFile>,
  log: Logger,
): Promise<void> {
  for (const pkg of missing) {
    const build = pkg.build!;
    log.info(`${pkg.wheel.name} is not in the store: building it from ${build.sdist.name} as locked`);
    const result = await builder.build(await sdistFile(pkg), target, build.buildWheels, build.network);
    if (result.entry.sha256 !== pkg.sha256) {
      throw new PystoreError(
        "BUILD_NOT_REPRODUCIBLE",
        `${build.sdist.name} built ${result.entry.filename} with sha256 ${result.entry.sha256}, but the lock records ${pkg.wheel.name} with ${pkg.sha256}`,
        {
          hint:
            "the build is not reproducible on this machine (another compiler or system library?); re-lock here (pystore lock --upgrade-package " +
            `${pkg.name}), or bring the locked wheel with \`pystore store add\` or \`pystore store import\``,
          details: { package: pkg.name, expected: pkg.sha256, found: result.entry.sha256, build: result.buildKey },
        },
      );
    }
  }
}

/**
 * The lock's sdist table of a selected package as a file to fetch; a `file:` URL only below the lock's own
 * locations. A local project is packed again and must be the tree that was locked.
 */
export function lockedSdistFile(lock: Pylock, lockDir: string, storeDir: string): (pkg: SelectedPackage) => Promise<ProjectFile> {
  const locations = localLocations(lock, lockDir);
  return async (pkg) => {
    const sdist = pkg.build!.sdist;
    if (pkg.build!.directory !== undefined) return packedLocalProject(pkg, resolve(lockDir, pkg.build!.directory), storeDir);
    if (sdist.url) checkLocalUrl(sdist.url, `${pkg.name} ${pkg.version}`, locations);
    const url = sdist.url ?? (sdist.path ? pathToFileURL(resolve(lockDir, sdist.path)).href : undefined);
    if (!url) throw new PystoreError("INVALID_LOCK", `${pkg.name}: its sdist has neither url nor path`);
    return {
      filename: sdist.name,
      url,
      hashes: { sha256: sdist.sha256 },
      index: "",
      ...(sdist.size === undefined ? {} : { size: sdist.size }),
    };
  };
}

/** A local project packed into the store's sources/ as the sdist it builds from. */
export async function packLocalProject(dir: string, name: string, label: string, storeDir: string): Promise<ProjectFile> {
  const packed = packSourceTree(dir, name, label);
  const { path, sha256 } = await writeSource(storeDir, packed.filename, packed.bytes);
  return { filename: packed.filename, url: pathToFileURL(path).href, hashes: { sha256 }, size: packed.bytes.length, index: "" };
}

async function packedLocalProject(pkg: SelectedPackage, dir: string, storeDir: string): Promise<ProjectFile> {
  const file = await packLocalProject(dir, pkg.name, `${pkg.name} @ ${dir}`, storeDir);
  if (file.hashes.sha256 !== pkg.build!.sdist.sha256) {
    throw new PystoreError("LOCK_STALE", `${dir} (${pkg.name}) changed since it was locked: its files are not the tree the lock built`, {
      hint: "run pystore lock to lock and build its current state",
      details: { package: pkg.name, directory: dir, locked: pkg.build!.sdist.sha256, found: file.hashes.sha256 },
    });
  }
  return file;
}
