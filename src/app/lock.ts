// Locking a project: gather its inputs, resolve them against the indexes, write pylock.toml and register the
// lock as a gc root. Used by `lock` and by `bundle` (whether a lock is still fresh is lock-check.ts).

import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, relative, resolve as resolvePath, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { lockedSdistFile, packLocalProject } from "../build/rebuild.js";
import { selectForTarget } from "../lock/select.js";
import type { Target } from "../standards/targets.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { IndexClient, IndexClientOptions } from "../index-client/client.js";
import { clientOptions, type TransportSettings } from "../index-client/settings.js";
import { buildLock } from "../lock/build-lock.js";
import { formatChange, lockChanges, type PackageChange } from "../lock/changes.js";
import { lockedDigests } from "../lock/digests.js";
import { gatherInputs, type LockRequest } from "../lock/gather.js";
import type { LockInputs } from "../lock/inputs.js";
import { readLockFile } from "../lock/read-lock.js";
import { recordedInputs } from "../lock/recorded.js";
import { IndexProvider } from "../resolver/index-provider.js";
import { type Pylock, writePylock } from "../standards/pylock.js";
import { openStore, type Store } from "../store/store.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { lazyClient } from "./client.js";
import { SdistBuilder } from "../build/builder.js";
import { type BuildSettings, buildPolicy, DEFAULT_BUILD_SETTINGS } from "../build/policy.js";
import { PystoreError } from "../errors.js";
import { withStoreIndex } from "./store-index.js";
import type { AppContext } from "./context.js";
import { choosePins, type PinRequest } from "./lock-pythons.js";
import { recordedPins, withPins } from "../lock/python-pins.js";

export interface LockProjectOptions {
  /** With `build`: the building settings (docs/building.md); absent, the defaults. */
  request: LockRequest & { build?: BuildSettings };
  transport: TransportSettings;
  /** The lock file to write (absolute). */
  output: string;
  upgrade?: boolean;
  upgradePackages?: string[];
  /** An open store for the HTTP cache and the gc root; else the configured store, if it opens. */
  store?: Store;
  /** Supplies the index client (bundle shares one with its downloads); else one is opened and closed here. */
  client?: (options: IndexClientOptions) => Promise<IndexClient>;
  /** --embed-python [REF] / --no-embed-python; absent: the existing lock's pinned interpreters are kept. */
  pythons?: PinRequest;
}

export interface LockProjectResult {
  output: string;
  lock: Pylock;
  text: string;
  /** False when the lock already held these bytes (the file is then left untouched). */
  changed: boolean;
  inputs: LockInputs;
  projectDir: string;
  /** Packages whose versions differ from the existing lock's (every package when there was none). */
  changes: PackageChange[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `lock --check-builds`: every built wheel of every target built again from scratch and compared, as Nix's --check. */
async function checkBuilds(lock: Pylock, targets: Target[], builder: SdistBuilder, lockDir: string, storeDir: string): Promise<void> {
  const sdistFile = lockedSdistFile(lock, lockDir, storeDir);
  const checked = new Set<string>();
  for (const target of targets) {
    for (const pkg of selectForTarget(lock, target, { extras: lock.extras, groups: lock.dependencyGroups, undecided: "include" })) {
      if (!pkg.build || checked.has(pkg.sha256)) continue;
      checked.add(pkg.sha256);
      await builder.check(
        await sdistFile(pkg),
        target,
        { sha256: pkg.sha256, wheel: pkg.wheel.name },
        pkg.build.buildWheels,
        pkg.build.network,
      );
    }
  }
}

/** The directory a `name @ ./path` or `name @ file:///dir` requirement names, if it is one. */
function localProjectDir(url: string, projectDir: string): string | undefined {
  let path: string;
  if (url.startsWith("file:")) {
    try {
      path = fileURLToPath(url);
    } catch {
      return undefined;
    }
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    return undefined;
  } else path = resolvePath(projectDir, url);
  try {
    return statSync(path).isDirectory() ? path : undefined;
  } catch {
    return undefined;
  }
}

function noStoreToBuild(sdist: string, storeDir: string): PystoreError {
  return new PystoreError(
    "STORE_IO",
    `${sdist} has to be built, and builds go into the store, but the store ${storeDir} cannot be opened`,
    {
      hint: "fix the store (see the warnings above, or pystore doctor), or lock with --no-build to use wheels only",
    },
  );
}

/** The existing lock at `path`, if it reads; a damaged one is ignored with a warning (re-locking replaces it). */
async function existingLock(path: string, ctx: AppContext): Promise<{ lock?: Pylock; text?: string }> {
  if (!existsSync(path)) return {};
  try {
    return await readLockFile(path);
  } catch (error) {
    ctx.log.warn(`ignoring the existing lock: ${(error as Error).message}`);
    return {};
  }
}

/** Resolve the project (or the given requirements) for every target and write the lock; a re-run keeps its targets. */
export async function lockProject(opts: LockProjectOptions, ctx: AppContext): Promise<LockProjectResult> {
  const { lock: existing, text: previous } = await existingLock(opts.output, ctx);
  // A bare re-lock starts from what the lock records, so `lock --check`'s "run pystore lock" hint re-locks the same inputs.
  const { inputs, projectDir, fromRecord } = await gatherInputs(opts.request, ctx.cwd, ctx.env, {
    recorded: existing && recordedInputs(existing),
    relock: true,
  });
  if (fromRecord.length > 0) ctx.log.info(`using the inputs recorded in ${opts.output}: ${fromRecord.join("; ")} (flags replace them)`);
  let store = opts.store;
  let ownStore = false;
  if (!store) {
    try {
      store = await openStore({ dir: ctx.store.dir, log: ctx.log });
      ownStore = true;
    } catch (error) {
      ctx.log.debug(`no store for the HTTP cache: ${(error as Error).message}`);
    }
  }
  const own = opts.client ? undefined : lazyClient({});
  let builder: SdistBuilder | undefined;
  try {
    // Chosen before resolving: a target with no interpreter to pin fails before any index is asked.
    const pins = await choosePins(opts.pythons ?? { kind: "keep" }, recordedPins(existing), inputs.targets, {
      store,
      storeDir: ctx.store.dir,
      cwd: ctx.cwd,
      log: ctx.log,
      upgrade: opts.upgrade === true,
    });
    // Transport settings from the flags; the index list from the gathered inputs (flags, files, [tool.pystore]).
    const options = clientOptions(
      {
        indexUrl: inputs.indexUrl,
        extraIndexUrls: inputs.extraIndexUrls,
        findLinks: inputs.findLinks,
        indexStrategy: inputs.indexStrategy,
        noIndex: inputs.noIndex,
        indexPins: inputs.indexPins,
      },
      opts.transport,
      { env: ctx.env, cwd: projectDir, log: ctx.log },
    );
    const client = opts.client
      ? await opts.client({ ...options, cache: store?.httpCache() })
      : await own!.get({ ...options, cache: store?.httpCache() });
    // Offline, the store is an index too: what an air-gapped machine imported is what it can lock.
    const storeIndex = opts.transport.offline && store ? withStoreIndex(client, store, inputs.indexUrl, ctx.log) : undefined;
    const provider = new IndexProvider(storeIndex ?? client, ctx.log);
    // The lock's recorded building flags hold on a bare re-lock, as its other inputs do.
    const buildSettings = { ...(opts.request.build ?? DEFAULT_BUILD_SETTINGS), ...inputs.building };
    builder = store
      ? new SdistBuilder({
          store,
          client,
          provider,
          python: buildSettings.python,
          network: buildSettings.network,
          env: ctx.env,
          log: ctx.log,
        })
      : undefined;
    const sdistBuilder = builder;
    provider.sdistMetadata = (file, target) => {
      if (!sdistBuilder || !target) throw noStoreToBuild(file.filename, ctx.store.dir);
      return sdistBuilder.metadata(file, target);
    };
    const { lock: resolved } = await buildLock(provider, inputs, {
      buildPolicy: buildPolicy(buildSettings),
      localProject: async (req) => {
        const dir = localProjectDir(req.url!, projectDir);
        if (dir === undefined) return undefined;
        const label = `${req.name} @ ${req.url}`;
        if (buildPolicy(buildSettings).sdists(canonicalizeName(req.name)) === "no")
          throw new PystoreError("NO_MATCHING_WHEEL", `${label} is a local project, and building is off for it`, {
            hint: "drop --no-build (or --no-build-package for it), or require a wheel",
          });
        if (!store) throw noStoreToBuild(label, ctx.store.dir);
        const path = relative(dirname(opts.output), dir);
        if (path === "" || path.startsWith("..") || isAbsolute(path))
          throw new PystoreError("INVALID_REQUIREMENT", `${label}: ${dir} is not below the lock's directory ${dirname(opts.output)}`, {
            hint: "PEP 751 records local projects by a path inside the project; move it there (e.g. libs/NAME)",
          });
        return { file: await packLocalProject(dir, req.name, label, store.dir), path: path.split(sep).join("/") };
      },
      build: async (file, target) => {
        if (!sdistBuilder) throw noStoreToBuild(file.filename, ctx.store.dir);
        const built = await sdistBuilder.build(file, target);
        const sdist = await sdistBuilder.sdist(file);
        return {
          sdist: sdist.file,
          wheel: built.entry.filename,
          sha256: built.entry.sha256,
          size: built.entry.size,
          buildWheels: built.wheels,
          network: built.derivation.network,
        };
      },
      existing,
      upgrade: opts.upgrade,
      upgradePackages: opts.upgradePackages,
      log: ctx.log,
      lockDir: dirname(opts.output),
      hashDirect: (file) => provider.hashDirect(file, tmpdir()),
    });
    const lock = withPins(resolved, pins);
    if (buildSettings.check && sdistBuilder) await checkBuilds(lock, inputs.targets, sdistBuilder, dirname(opts.output), store!.dir);
    if (storeIndex)
      ctx.log.info(`offline: the store served as an index too (${plural(storeIndex.filesListed, "wheel")} it holds were candidates)`);
    const text = writePylock(lock);
    const changed = previous !== text;
    if (changed) await writeFileAtomic(opts.output, text);
    // Built wheels and their build environments are the lock's too (a rebuild needs the environment).
    // So are the pinned interpreters: gc keeps what a bundle of this lock embeds.
    store?.addRoot("lock", opts.output, [...new Set([...lockedDigests(lock), ...pins.map((p) => p.sha256)])].sort());
    const changes = lockChanges(existing, lock);
    // An upgrade is asked to move versions: say which moved (first locks list everything, so only here).
    if (opts.upgrade || opts.upgradePackages?.length) for (const change of changes) ctx.log.info(formatChange(change));
    const wheels = lock.packages.flatMap((p) => p.wheels ?? []);
    ctx.log.info(
      `${changed ? "wrote" : "unchanged"} ${opts.output}: ${plural(lock.packages.length, "package")}, ${plural(wheels.length, "wheel")}, ${plural(inputs.targets.length, "target")} (${plural(provider.pagesFetched, "project page")}, ${plural(provider.metadataFetched, "metadata file")}${builder?.built ? `, ${plural(builder.built, "sdist")} built` : ""})`,
    );
    return { output: opts.output, lock, text, changed, inputs, projectDir, changes };
  } finally {
    await builder?.close();
    await own?.close();
    if (ownStore) store?.close();
  }
}
