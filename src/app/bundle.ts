// Bundling a project: check the command line, read its lock and check it against the project (or, when a
// project has none, lock first exactly as `pystore lock` does), build the bundle from the store, and register
// it as a gc root (buildBundle does that).

import { readdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type BundleFormat, type BundleResult, buildBundle } from "../bundle/bundle.js";
import { bundleFormat } from "../bundle/formats/registry.js";
import { MANIFEST_FILE } from "../bundle/manifest.js";
import { checkUnitOptions } from "../bundle/systemd.js";
import { PystoreError } from "../errors.js";
import { clientOptions, type IndexRequest, requestedIndexes, type TransportSettings } from "../index-client/settings.js";
import type { LinkMode } from "../install/importer.js";
import { type ReadLock, readLockFile } from "../lock/read-lock.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { openStore } from "../store/store.js";
import { ensureDirectory } from "../util/dirs.js";
import { lazyClient } from "./client.js";
import type { AppContext, TargetSettings } from "./context.js";
import { type LockUse, readFreshLock } from "./lock-check.js";

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
  /** --locked / --frozen; absent: checked like --locked, and a missing project lock is made first. */
  lockUse?: LockUse;
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

/**
 * What an existing OUT allows, decided before any work (the format's publish step decides the same at the
 * end): a directory bundle replaces only an earlier bundle or an empty directory, an archive never a directory.
 */
async function checkExistingOutput(out: string, format: BundleFormat): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (!info) return;
  const hint = "choose another -o or remove it first";
  if (format === "dir") {
    const replaceable = info.isDirectory() && ((await isFile(join(out, MANIFEST_FILE))) || (await readdir(out)).length === 0);
    if (!replaceable)
      throw new PystoreError("BUNDLE_FAILED", `${out} exists and is not a pystore bundle; refusing to replace it`, { hint });
  } else if (info.isDirectory()) {
    throw new PystoreError("BUNDLE_FAILED", `${out} is a directory; refusing to replace it with a ${format} archive`, { hint });
  }
}

/** Everything the command line alone decides: checked before a lock is read or written and before the store opens. */
async function checkUsage(opts: BundleProjectOptions): Promise<void> {
  bundleFormat(opts.format).check({ systemd: opts.systemd !== undefined });
  // The default prefix, /opt/<normalised project name>, is always valid: only a given one can be wrong.
  if (opts.systemd) checkUnitOptions({ prefix: opts.systemd.prefix ?? "/opt/bundle", user: opts.systemd.user });
  await checkExistingOutput(opts.out, opts.format);
}

/** OUT's directory, made once the command is known to go ahead (so a refusal leaves no directory behind). */
async function outputDirectory(out: string): Promise<void> {
  await ensureDirectory(
    dirname(out),
    (problem, cause) =>
      new PystoreError("IO", `cannot write ${out}: ${problem}`, {
        hint: "choose an -o in a writable directory on a regular filesystem",
        cause,
        details: { path: out },
      }),
  );
}

export async function bundleProject(opts: BundleProjectOptions, ctx: AppContext): Promise<BundleProjectResult> {
  await checkUsage(opts);
  let projectDir = opts.projectDir;
  if (projectDir === undefined && (await isFile(join(ctx.cwd, "pyproject.toml")))) projectDir = ctx.cwd;
  const lockPath = resolve(ctx.cwd, opts.lockPath ?? join(projectDir ?? ctx.cwd, "pylock.toml"));
  const target = await loadTarget(opts.target.platform, opts.target.python, { cwd: ctx.cwd, env: ctx.env });
  // "bundle without a lock locks first" unless the user said which lock to use (-l, --frozen, --locked).
  const lockFirst = opts.lockPath === undefined && opts.lockUse === undefined && projectDir !== undefined && !(await isFile(lockPath));
  let existing: ReadLock | undefined;
  if (!lockFirst) {
    if (opts.lockUse === "locked" && opts.lockPath === undefined && !(await isFile(lockPath))) {
      throw new PystoreError("LOCK_STALE", `${lockPath} does not exist`, {
        hint: "run pystore lock first, or leave out --locked to lock as part of the bundle",
      });
    }
    existing = opts.lockUse === "frozen" ? await readLockFile(lockPath) : await readFreshLock(lockPath, opts.projectDir, ctx);
  }
  await outputDirectory(opts.out);

  const store = await openStore({ dir: ctx.store.dir, log: ctx.log });
  const client = lazyClient({
    ...clientOptions(requestedIndexes(opts.index), opts.transport, { env: ctx.env, cwd: projectDir ?? ctx.cwd, log: ctx.log }),
    cache: store.httpCache(),
  });
  try {
    let lock: Pylock;
    let lockText: string;
    if (existing) {
      ({ lock, text: lockText } = existing);
    } else {
      // This one target, written beside pyproject.toml, as `pystore lock` would.
      ctx.log.info(`no ${lockPath}: locking first`);
      // Loaded only here: the resolver is needed only when a bundle locks first.
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
    }
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
