// Bundling a project: read its lock (or, when a project has none, lock first exactly as `pystore lock` does),
// load the target, build the bundle from the store, and register it as a gc root (buildBundle does that).

import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type BundleFormat, type BundleResult, buildBundle } from "../bundle/bundle.js";
import { clientOptions, type IndexRequest, requestedIndexes, type TransportSettings } from "../index-client/settings.js";
import type { LinkMode } from "../install/importer.js";
import { readLockFile } from "../lock/read-lock.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { openStore } from "../store/store.js";
import { lazyClient } from "./client.js";
import type { AppContext, TargetSettings } from "./context.js";

export interface BundleProjectOptions {
  /** Where to write the bundle (absolute). */
  out: string;
  format: BundleFormat;
  /** -l FILE; absent: pylock.toml in the project (locked first when missing). */
  lockPath?: string;
  /** The project whose code goes in; absent: the working directory when it has pyproject.toml. */
  projectDir?: string;
  target: TargetSettings;
  systemd?: { prefix?: string; user?: string };
  depScripts?: boolean;
  linkMode?: LinkMode;
  extras?: string[];
  groups?: string[];
  /** Archive entry times (SOURCE_DATE_EPOCH). */
  mtime: number;
  index: IndexRequest;
  transport: TransportSettings;
}

export interface BundleProjectResult extends BundleResult {
  target: Target;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function bundleProject(opts: BundleProjectOptions, ctx: AppContext): Promise<BundleProjectResult> {
  let projectDir = opts.projectDir;
  if (projectDir === undefined && (await isFile(join(ctx.cwd, "pyproject.toml")))) projectDir = ctx.cwd;
  const lockPath = resolve(ctx.cwd, opts.lockPath ?? join(projectDir ?? ctx.cwd, "pylock.toml"));
  const store = await openStore({ dir: ctx.store.dir, log: ctx.log });
  const client = lazyClient({
    ...clientOptions(requestedIndexes(opts.index), opts.transport, { env: ctx.env, cwd: projectDir ?? ctx.cwd, log: ctx.log }),
    cache: store.httpCache(),
  });
  try {
    let lock: Pylock;
    let lockText: string;
    if (opts.lockPath === undefined && projectDir !== undefined && !(await isFile(lockPath))) {
      // "bundle without a lock locks first": this one target, written beside pyproject.toml, as `pystore lock` would.
      ctx.log.info(`no ${lockPath}: locking first`);
      const { lockProject } = await import("./lock.js");
      ({ lock, text: lockText } = await lockProject(
        {
          request: {
            requirements: [],
            project: projectDir,
            requirementFiles: [],
            platforms: [opts.target.platform],
            pythons: opts.target.python ? [opts.target.python] : [],
            extras: opts.extras,
            groups: opts.groups,
            index: opts.index,
          },
          transport: opts.transport,
          output: lockPath,
          store,
          client: (options) => client.get(options),
        },
        ctx,
      ));
    } else {
      ({ lock, text: lockText } = await readLockFile(lockPath));
    }
    const target = await loadTarget(opts.target.platform, opts.target.python, { cwd: ctx.cwd, env: ctx.env });
    const result = await buildBundle({
      lock,
      lockText,
      lockDir: dirname(lockPath),
      target,
      projectDir,
      out: opts.out,
      format: opts.format,
      systemd: opts.systemd,
      depScripts: opts.depScripts,
      offline: opts.transport.offline,
      linkMode: opts.linkMode,
      extras: opts.extras,
      groups: opts.groups,
      mtime: opts.mtime,
      store,
      log: ctx.log,
      client: () => client.get(),
    });
    return { ...result, target };
  } finally {
    await client.close();
    store.close();
  }
}
