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
import { checkSelection, chosenOnSomeTarget, type SelectedPackage, type SelectOptions, selectForTarget } from "../lock/select.js";
import type { SdistBuilder } from "../build/builder.js";
import type { WantedBuild } from "../build/rebuild.js";
import { builtDigests, packageBuilds } from "../lock/built-wheels.js";
import { checkWheelEntry } from "../lock/wheel-entry.js";
import { type RemoteStoreRequest, remoteStoreRefs } from "../oci/settings.js";
import type { Target } from "../standards/targets.js";
import type { Pylock, PylockWheel } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { openStore } from "../store/store.js";
import { byKey } from "../util/order.js";
import { startProgress } from "../util/progress.js";
import type { AppContext, TargetSettings } from "./context.js";
import type { LockUse } from "./lock-check.js";

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
  /** The locked extras and dependency groups to fetch too (default: none). */
  extras?: string[];
  groups?: string[];
  /** Remote stores (OCI registries) asked for each missing wheel by digest before any index. */
  remote?: RemoteStoreRequest;
  /** The interpreter locked sdist-built wheels missing from the store are rebuilt with (--build-python). */
  buildPython?: string;
}

export interface FetchedWheel {
  name: string;
  version: string;
  filename: string;
  sha256: string;
  path: string;
  /** false when the store had it already (or a remote store supplied it) and nothing came from an index. */
  downloaded: boolean;
}

export interface Wanted {
  name: string;
  version: string;
  wheel: PylockWheel;
  sha256: string;
  index?: string;
  /** Built from the package's sdist (src/build/). */
  build?: SelectedPackage["build"];
}

/** A target by platform and Python (the host probe and the platform tables load only for a fetch that needs one). */
async function loadTarget(platform: string, python: string | undefined, ctx: AppContext): Promise<Target> {
  return (await import("../platform/target-loader.js")).loadTarget(platform, python, { cwd: ctx.cwd, env: ctx.env });
}

async function withTarget(built: Wanted[], settings: TargetSettings, ctx: AppContext): Promise<WantedBuild[]> {
  if (built.length === 0) return [];
  const target = await loadTarget(settings.platform, settings.python, ctx);
  return built.map((w) => ({ pkg: { name: w.name, version: w.version, wheel: w.wheel, sha256: w.sha256, build: w.build }, target }));
}

/** Every target's wheels for the chosen extras and groups (packages only other choices need are left out). */
function allWheels(lock: Pylock, lockPath: string, chosen: SelectOptions): Wanted[] {
  const out: Wanted[] = [];
  for (const pkg of lock.packages) {
    if (!chosenOnSomeTarget(pkg, lock, chosen)) continue;
    for (const wheel of pkg.wheels ?? []) {
      const sha256 = wheel.hashes.sha256?.toLowerCase();
      if (!sha256)
        throw new PystoreError(
          "INVALID_LOCK",
          `${lockPath}: ${wheel.name} has no sha256 hash (has: ${Object.keys(wheel.hashes).join(", ") || "none"}); pystore's store is addressed by sha256`,
          { hint: "re-lock to record sha256 hashes: pystore lock" },
        );
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
  // The freshness check (and the project and resolver code it needs) loads only when it runs.
  const { lock } =
    opts.lockUse === "frozen"
      ? await readLockFile(opts.lockPath)
      : await (await import("./lock-check.js")).readFreshLock(opts.lockPath, opts.projectDir, ctx);
  let wanted: Wanted[];
  let selection: Parameters<typeof lockedDigests>[1];
  const chosen: SelectOptions = { extras: opts.extras, groups: opts.groups };
  checkSelection(lock, chosen);
  if (opts.target) {
    const target = await loadTarget(opts.target.platform, opts.target.python, ctx);
    selection = { target, ...chosen };
    wanted = selectForTarget(lock, target, chosen).map((s) => ({
      ...s,
      index: lock.packages.find((p) => p.name === s.name && (p.version ?? s.version) === s.version)?.index,
    }));
    ctx.log.info(`fetching ${plural(wanted.length)} for ${target.id}`);
  } else {
    wanted = allWheels(lock, opts.lockPath, chosen);
    ctx.log.info(`fetching ${wanted.length === 1 ? "the 1 locked wheel" : `all ${wanted.length} locked wheels`}`);
  }
  const lockDir = dirname(opts.lockPath);
  // Wheels built from sdists have no URL: the store has them, or they are built again as locked (below). The
  // code for that loads only for a lock that records builds.
  const rebuild = lock.packages.some((pkg) => packageBuilds(pkg) !== undefined) ? await import("../build/rebuild.js") : undefined;
  const builds: WantedBuild[] = opts.target
    ? await withTarget(
        wanted.filter((w) => w.build !== undefined),
        opts.target,
        ctx,
      )
    : ((await rebuild?.lockedBuilds(lock, chosen, (platform, python) => loadTarget(platform, python, ctx))) ?? []);
  wanted = wanted.filter((w) => w.build === undefined);
  // Every wheel is checked before the first is read, so a bad entry anywhere stops the fetch untouched.
  const locations = localLocations(lock, lockDir);
  const files = wanted.map((item) => projectFileFor(item, lockDir, locations));
  const remoteStores = await remoteStoreRefs(opts.remote, opts.projectDir ?? lockDir);
  const store = await openStore({ dir: ctx.store.dir, log: ctx.log });
  const results: FetchedWheel[] = [];
  let client: IndexClient | undefined;
  try {
    // Substitutes first: what a remote store has by digest is never downloaded from an index.
    const storedBefore = new Set(wanted.filter((w) => store.has(w.sha256)).map((w) => w.sha256));
    // The registry client and the builder load only for a fetch that needs them.
    if (remoteStores.length > 0)
      await (await import("../oci/substitute.js")).substituteWheels(
        store,
        [
          ...wanted.map((w, i) => ({
            sha256: w.sha256,
            filename: w.wheel.name,
            size: w.wheel.size,
            originUrl: files[i].url,
            index: w.index,
          })),
          // A remote store may hold a locked build: substituted by digest, it need not be built here.
          ...builds.map((b) => ({ sha256: b.pkg.sha256, filename: b.pkg.wheel.name, size: b.pkg.wheel.size })),
        ],
        {
          refs: remoteStores,
          insecureRegistries: opts.remote?.insecureRegistries ?? [],
          transport: opts.transport,
          env: ctx.env,
          log: ctx.log,
        },
      );
    // Downloads use the lock's URLs; the settings bring the transport and credentials for those hosts.
    client = new IndexClient({
      ...clientOptions(requestedIndexes(opts.index), opts.transport, { env: ctx.env, cwd: lockDir, log: ctx.log }),
      cache: store.httpCache(),
    });
    const http = client;
    // Each wheel is stored as it arrives; the rows of many commit in one transaction.
    const batch = store.fetchBatch(http);
    // Largest first: the fetch ends when its last download does, and the biggest wheel, started last
    // (the lock's order is by name), would run alone on one connection at the end. Unknown sizes go last.
    const order = wanted.map((_, i) => i).sort((a, b) => (wanted[b].wheel.size ?? -1) - (wanted[a].wheel.size ?? -1) || a - b);
    let next = 0;
    let stop = false;
    const sizes = wanted.map((w) => w.wheel.size);
    const progress = startProgress(ctx.log, "fetching", {
      items: wanted.length,
      unit: "wheel",
      ...(sizes.every((n) => n !== undefined) ? { bytes: sizes.reduce((a, b) => a + (b ?? 0), 0) } : {}),
    });
    const worker = async () => {
      while (next < order.length && !stop) {
        const index = order[next++];
        const item = wanted[index];
        const file = files[index];
        const stored = store.has(item.sha256);
        let entry: Awaited<ReturnType<typeof batch.fetch>>;
        try {
          entry = await batch.fetch({ file, expected: { sha256: item.sha256, size: item.wheel.size } });
        } catch (error) {
          stop = true;
          throw error;
        }
        const from = storedBefore.has(item.sha256) ? " (already stored)" : stored ? " (from a remote store)" : "";
        progress.advance(`${item.wheel.name}${from}`, item.wheel.size ?? entry.size);
        results.push({
          name: item.name,
          version: item.version,
          filename: item.wheel.name,
          sha256: entry.sha256,
          path: entry.path,
          downloaded: !stored,
        });
      }
    };
    // Every worker is waited for, even after one failed: the store closes below only once none is
    // mid-write, and the others stop taking work as soon as one has failed.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(opts.jobs, wanted.length) }, worker));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    // A failed fetch still keeps (with their rows) the wheels it had completely downloaded and verified.
    try {
      await batch.commit();
    } catch (error) {
      if (!failed) throw error;
    } finally {
      await batch.close();
    }
    if (failed) {
      // The error must not be printed onto a half-drawn progress line.
      progress.done();
      throw failed.reason;
    }
    if (builds.length > 0) {
      const { lockedSdistFile, provideBuilt } = rebuild ?? (await import("../build/rebuild.js"));
      const { SdistBuilder } = await import("../build/builder.js");
      let builder: SdistBuilder | undefined;
      try {
        const built = await provideBuilt(builds, {
          store,
          builder: () =>
            (builder ??= new SdistBuilder({ store, client: http, python: opts.buildPython, network: false, env: ctx.env, log: ctx.log })),
          sdistFile: lockedSdistFile(lock, lockDir, store.dir),
          log: ctx.log,
        });
        for (const [i, entry] of built.entries()) {
          const pkg = builds[i].pkg;
          results.push({
            name: pkg.name,
            version: pkg.version,
            filename: entry.filename,
            sha256: entry.sha256,
            path: entry.path,
            downloaded: false,
          });
        }
      } finally {
        await builder?.close();
      }
    }
    const fresh = results.filter((r) => r.downloaded).length;
    const already = results.filter((r) => storedBefore.has(r.sha256)).length;
    const remote = results.length - fresh - already;
    progress.done(
      `${plural(results.length)}: ${fresh} downloaded, ${already} already in the store${remote ? `, ${remote} from a remote store` : ""}`,
    );
    store.addRoot("fetch", opts.lockPath, [...new Set([...lockedDigests(lock, selection), ...builtDigests(lock.packages)])].sort());
  } finally {
    await client?.close();
    store.close();
  }
  return results.sort(byKey((r) => r.filename));
}
