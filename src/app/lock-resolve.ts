// The resolving half of `pystore lock`: the index client, the resolver and the sdist builder, loaded only when
// lock.ts finds that a lock has to be resolved (its memo did not answer). Writes pylock.toml, the gc root and
// the lock's memo.

import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, relative, resolve as resolvePath, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { lockedSdistFile, packLocalProject } from "../build/rebuild.js";
import { selectForTarget } from "../lock/select.js";
import type { Target } from "../standards/targets.js";
import { canonicalizeName } from "../standards/normalize.js";
import { PageRecorder } from "../index-client/cache.js";
import { clientOptions } from "../index-client/settings.js";
import { buildLock } from "../lock/build-lock.js";
import { formatChange, lockChanges } from "../lock/changes.js";
import { lockedDigests } from "../lock/digests.js";
import { snapshotLock } from "../lock/lock-snapshot.js";
import type { LockInputs } from "../lock/inputs.js";
import { IndexProvider } from "../resolver/index-provider.js";
import { type Pylock, writePylock } from "../standards/pylock.js";
import { openStore, type Store } from "../store/store.js";
import { writeLockMemo } from "../store/lock-memo.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { lazyClient } from "./client.js";
import { SdistBuilder } from "../build/builder.js";
import { type BuildSettings, buildPolicy } from "../build/policy.js";
import { PystoreError } from "../errors.js";
import { withStoreIndex } from "./store-index.js";
import type { AppContext } from "./context.js";
import { choosePins } from "./lock-pythons.js";
import { recordedPins, withPins } from "../lock/python-pins.js";
import type { LockProjectOptions, LockProjectResult } from "./lock.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What lock.ts settled before resolving. */
export interface Gathered {
  existing?: Pylock;
  /** The existing lock's text (undefined when there was none, or it did not read). */
  previous?: string;
  inputs: LockInputs;
  projectDir: string;
  build: BuildSettings;
  /** The memo key when this run may record a memo (src/lock/memo-key.ts); undefined: record none. */
  memoKey?: string;
}

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

/** Resolve every target and write the lock (lockProject's slow path). */
export async function resolveLock(opts: LockProjectOptions, ctx: AppContext, gathered: Gathered): Promise<LockProjectResult> {
  const { existing, previous, inputs, projectDir, build: buildSettings } = gathered;
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
  // A memo vouches only for pages it saw: recorded through our own client's cache, and only when nothing
  // outside the pages (a build, a local project, a downloaded direct URL) went into the lock.
  const recorder = gathered.memoKey !== undefined && own && store ? new PageRecorder(store.httpCache()) : undefined;
  let unrecorded: string | undefined;
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
    const cache = recorder ?? store?.httpCache();
    const client = opts.client ? await opts.client({ ...options, cache }) : await own!.get({ ...options, cache });
    // Offline, the store is an index too: what an air-gapped machine imported is what it can lock.
    const storeIndex = opts.transport.offline && store ? withStoreIndex(client, store, inputs.indexUrl, ctx.log) : undefined;
    const provider = new IndexProvider(storeIndex ?? client, ctx.log);
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
      unrecorded ??= `the metadata of ${file.filename} came from its sdist`;
      if (!sdistBuilder || !target) throw noStoreToBuild(file.filename, ctx.store.dir);
      return sdistBuilder.metadata(file, target);
    };
    const { lock: resolved } = await buildLock(provider, inputs, {
      buildPolicy: buildPolicy(buildSettings),
      localProject: async (req) => {
        const dir = localProjectDir(req.url!, projectDir);
        if (dir === undefined) return undefined;
        const label = `${req.name} @ ${req.url}`;
        unrecorded ??= `${label} is a local project`;
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
        unrecorded ??= `${file.filename} was built`;
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
      hashDirect: (file) => {
        unrecorded ??= `${file.filename} was downloaded to learn its hash`;
        return provider.hashDirect(file, tmpdir());
      },
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
    // After the file: a memo always names the bytes it vouches for, so a crash in between leaves a miss.
    if (recorder && store && gathered.memoKey !== undefined) {
      if (unrecorded) ctx.log.debug(`no lock memo: ${unrecorded}`);
      // The lock it started from is the parse of these very bytes when nothing changed: kept for the next run.
      else recordMemo(store, { lockPath: opts.output, key: gathered.memoKey, text, recorder, parsed: changed ? undefined : existing }, ctx);
    }
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

interface NewMemo {
  lockPath: string;
  key: string;
  /** The lock file's text as written. */
  text: string;
  recorder: PageRecorder;
  /** parsePylock of `text`, when at hand. */
  parsed?: Pylock;
}

function recordMemo(store: Store, memo: NewMemo, ctx: AppContext): void {
  try {
    const pages = memo.recorder.pages();
    const lockJson = memo.parsed && snapshotLock(memo.parsed);
    writeLockMemo(
      store.db,
      {
        lockPath: memo.lockPath,
        key: memo.key,
        lockSha256: createHash("sha256").update(memo.text).digest("hex"),
        pages,
        ...(lockJson === undefined ? {} : { lockJson }),
      },
      Date.now(),
    );
    ctx.log.debug(`lock memo recorded: ${plural(pages.length, "index page")}`);
  } catch (error) {
    // Only a later shortcut is lost: that lock resolves again.
    ctx.log.debug(`no lock memo: ${(error as Error).message}`);
  }
}
