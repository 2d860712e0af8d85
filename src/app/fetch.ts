// Fetching a lock's wheels into the store: the lock checked against its project, then every locked wheel (or
// one target's), several at a time, each verified against the lock's size and sha256; then a "fetch" gc root.

import { dirname, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { PystoreError } from "../errors.js";
import { IndexClient } from "../index-client/client.js";
import { clientOptions, type IndexRequest, requestedIndexes, type TransportSettings } from "../index-client/settings.js";
import { lockedDigests } from "../lock/digests.js";
import { checkLocalUrl, type LocalLocations, localLocations } from "../lock/local-files.js";
import { readLockFile } from "../lock/read-lock.js";
import { selectForTarget } from "../lock/select.js";
import { checkWheelEntry } from "../lock/wheel-entry.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Pylock, PylockWheel } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { openStore } from "../store/store.js";
import { byKey } from "../util/order.js";
import type { AppContext, TargetSettings } from "./context.js";
import { type LockUse, readFreshLock } from "./lock-check.js";

export interface FetchLockedOptions {
  lockPath: string;
  /** Only the wheels this target installs; absent: every locked wheel. */
  target?: TargetSettings;
  jobs: number;
  /** Index URLs lend their credentials to downloads from the same host; the lock's own URLs are used. */
  index: IndexRequest;
  transport: TransportSettings;
  /** --project: the project the lock is checked against; absent: a pyproject.toml beside the lock, if any. */
  projectDir?: string;
  /** --frozen uses the lock as it is; else (--locked, the default) a stale lock is refused. */
  lockUse?: LockUse;
}

export interface FetchedWheel {
  name: string;
  version: string;
  filename: string;
  sha256: string;
  path: string;
}

export interface Wanted {
  name: string;
  version: string;
  wheel: PylockWheel;
  sha256: string;
  index?: string;
}

function allWheels(lock: Pylock, lockPath: string): Wanted[] {
  const out: Wanted[] = [];
  for (const pkg of lock.packages) {
    for (const wheel of pkg.wheels ?? []) {
      const sha256 = wheel.hashes.sha256?.toLowerCase();
      if (!sha256)
        throw new PystoreError("INVALID_LOCK", `${lockPath}: ${wheel.name} has no sha256 hash; pystore's store is addressed by sha256`);
      checkWheelEntry(pkg, wheel.name);
      out.push({ name: pkg.name, version: pkg.version ?? "", wheel, sha256, index: pkg.index });
    }
  }
  return out;
}

/**
 * The index file a locked wheel is downloaded as: its url, else its path relative to the lock. A `file:` url
 * must lie below a local location the lock records (`locations`); a path is kept in the project by the validator.
 */
function projectFileFor(wanted: Wanted, lockDir: string, locations: LocalLocations): ProjectFile {
  if (wanted.wheel.url) checkLocalUrl(wanted.wheel.url, `${wanted.name} ${wanted.version}`.trim(), locations);
  const url = wanted.wheel.url ?? (wanted.wheel.path ? pathToFileURL(resolvePath(lockDir, wanted.wheel.path)).href : undefined);
  if (!url) throw new PystoreError("INVALID_LOCK", `${wanted.wheel.name} has neither url nor path`);
  const file: ProjectFile = { filename: wanted.wheel.name, url, hashes: { ...wanted.wheel.hashes }, index: wanted.index ?? "" };
  if (wanted.wheel.size !== undefined) file.size = wanted.wheel.size;
  return file;
}

const plural = (n: number) => `${n} wheel${n === 1 ? "" : "s"}`;

/** Download what the lock names into the store; returns the stored wheels sorted by filename. */
export async function fetchLocked(opts: FetchLockedOptions, ctx: AppContext): Promise<FetchedWheel[]> {
  // Checked before the store is opened: a refused fetch leaves the store as it was.
  const { lock } = opts.lockUse === "frozen" ? await readLockFile(opts.lockPath) : await readFreshLock(opts.lockPath, opts.projectDir, ctx);
  let wanted: Wanted[];
  let selection: Parameters<typeof lockedDigests>[1];
  if (opts.target) {
    const target = await loadTarget(opts.target.platform, opts.target.python, { cwd: ctx.cwd, env: ctx.env });
    selection = { target };
    wanted = selectForTarget(lock, target).map((s) => ({
      ...s,
      index: lock.packages.find((p) => p.name === s.name && (p.version ?? s.version) === s.version)?.index,
    }));
    ctx.log.info(`fetching ${plural(wanted.length)} for ${target.id}`);
  } else {
    wanted = allWheels(lock, opts.lockPath);
    ctx.log.info(`fetching ${wanted.length === 1 ? "the 1 locked wheel" : `all ${wanted.length} locked wheels`}`);
  }
  const lockDir = dirname(opts.lockPath);
  // Every wheel is checked before the first is read, so a bad entry anywhere stops the fetch untouched.
  const locations = localLocations(lock, lockDir);
  const files = wanted.map((item) => projectFileFor(item, lockDir, locations));
  const store = await openStore({ dir: ctx.store.dir, log: ctx.log });
  const results: FetchedWheel[] = [];
  let client: IndexClient | undefined;
  try {
    // Downloads use the lock's URLs; the settings bring the transport and credentials for those hosts.
    client = new IndexClient({
      ...clientOptions(requestedIndexes(opts.index), opts.transport, { env: ctx.env, cwd: lockDir, log: ctx.log }),
      cache: store.httpCache(),
    });
    const http = client;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const index = next++;
        const item = wanted[index];
        const file = files[index];
        const entry = await store.fetchWheel(file, http, { expected: { sha256: item.sha256, size: item.wheel.size } });
        done++;
        ctx.log.info(`[${done}/${wanted.length}] ${item.wheel.name}`);
        results.push({ name: item.name, version: item.version, filename: item.wheel.name, sha256: entry.sha256, path: entry.path });
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.jobs, wanted.length) }, worker));
    store.addRoot("fetch", opts.lockPath, lockedDigests(lock, selection));
  } finally {
    await client?.close();
    store.close();
  }
  return results.sort(byKey((r) => r.filename));
}
