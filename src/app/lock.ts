// Locking a project: gather its inputs, resolve them against the indexes, write pylock.toml and register the
// lock as a gc root. Used by `lock` and by `bundle` (whether a lock is still fresh is lock-check.ts).

import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
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
import { withStoreIndex } from "./store-index.js";
import type { AppContext } from "./context.js";

export interface LockProjectOptions {
  request: LockRequest;
  transport: TransportSettings;
  /** The lock file to write (absolute). */
  output: string;
  upgrade?: boolean;
  upgradePackages?: string[];
  /** An open store for the HTTP cache and the gc root; else the configured store, if it opens. */
  store?: Store;
  /** Supplies the index client (bundle shares one with its downloads); else one is opened and closed here. */
  client?: (options: IndexClientOptions) => Promise<IndexClient>;
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
  try {
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
    const { lock } = await buildLock(provider, inputs, {
      existing,
      upgrade: opts.upgrade,
      upgradePackages: opts.upgradePackages,
      log: ctx.log,
      lockDir: dirname(opts.output),
      hashDirect: (file) => provider.hashDirect(file, tmpdir()),
    });
    if (storeIndex)
      ctx.log.info(`offline: the store served as an index too (${plural(storeIndex.filesListed, "wheel")} it holds were candidates)`);
    const text = writePylock(lock);
    const changed = previous !== text;
    if (changed) await writeFileAtomic(opts.output, text);
    store?.addRoot("lock", opts.output, lockedDigests(lock));
    const changes = lockChanges(existing, lock);
    // An upgrade is asked to move versions: say which moved (first locks list everything, so only here).
    if (opts.upgrade || opts.upgradePackages?.length) for (const change of changes) ctx.log.info(formatChange(change));
    const wheels = lock.packages.flatMap((p) => p.wheels ?? []);
    ctx.log.info(
      `${changed ? "wrote" : "unchanged"} ${opts.output}: ${plural(lock.packages.length, "package")}, ${plural(wheels.length, "wheel")}, ${plural(inputs.targets.length, "target")} (${plural(provider.pagesFetched, "project page")}, ${plural(provider.metadataFetched, "metadata file")})`,
    );
    return { output: opts.output, lock, text, changed, inputs, projectDir, changes };
  } finally {
    await own?.close();
    if (ownStore) store?.close();
  }
}
