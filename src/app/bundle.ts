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
import { type RemoteStoreRequest, remoteStoreRefs } from "../oci/settings.js";
import { loadTarget } from "../platform/target-loader.js";
import type { ImageRequest } from "./bundle-image.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { openStore, type Store } from "../store/store.js";
import type { SdistBuilder } from "../build/builder.js";
import { DEFAULT_BUILD_SETTINGS } from "../build/policy.js";
import type { IndexClient } from "../index-client/client.js";
import { selectForTarget } from "../lock/select.js";
import { ensureDirectory } from "../util/dirs.js";
import type { BytecodeCompiler } from "../bundle/compile.js";
import { bundlePython } from "./bundle-python.js";
import type { PythonEntry } from "../store/pythons.js";
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
  /** Remote stores (OCI registries) asked for the target's missing wheels by digest before any index. */
  remote?: RemoteStoreRequest;
  /** --format oci: --prefix, --entrypoint, --base-image. */
  image?: ImageRequest;
  /**
   * --embed-python [SHA256-PREFIX|PATH]: true picks the lock's pin, else the best stored interpreter for the
   * target; false (--no-embed-python) embeds none; absent: the lock's pin for the target, if it has one.
   */
  embedPython?: true | string | false;
  /** --compile / --no-compile; undefined: compile when an interpreter of the target's X.Y is at hand. */
  compile?: boolean;
  /** The interpreter sdists are built with (--build-python): a missing built wheel, or a lock made first. */
  buildPython?: string;
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
  } else if (format === "oci") {
    // The image code loads only here: a dir bundle (the common case) never needs it.
    const { isImageBundle } = await import("../bundle/formats/oci-write.js");
    const replaceable = info.isDirectory() && ((await isImageBundle(out)) || (await readdir(out)).length === 0);
    if (!replaceable)
      throw new PystoreError("BUNDLE_FAILED", `${out} exists and is not a pystore image bundle; refusing to replace it`, { hint });
  } else if (info.isDirectory()) {
    throw new PystoreError("BUNDLE_FAILED", `${out} is a directory; refusing to replace it with a ${format} archive`, { hint });
  }
}

/** The --compile decision: an explicit --compile without a fitting interpreter fails; the default says why once. */
async function chooseCompiler(
  opts: BundleProjectOptions,
  target: Target,
  python: PythonEntry | undefined,
  ctx: AppContext,
): Promise<BytecodeCompiler | undefined> {
  if (opts.compile === false || !COMPILED_FORMATS.has(opts.format)) return undefined;
  const choice = await (await import("../python/compiler.js")).findCompiler(target, python, ctx.env);
  if (choice.compiler) {
    ctx.log.debug(`compiling bytecode with ${choice.reason}`);
    return choice.compiler;
  }
  if (opts.compile === true)
    throw new PystoreError("USAGE", `--compile needs a Python ${target.python} for ${target.id}: ${choice.reason}`, {
      hint: `put python${target.python} on PATH, embed one (--embed-python), or leave out --compile`,
    });
  ctx.log.info(`bytecode not compiled into the bundle (${choice.reason}); it is compiled when first imported`);
  return undefined;
}

/** Formats whose files Python imports from a directory: a .pyz imports from a zip, an image is not run here. */
const COMPILED_FORMATS = new Set<BundleFormat>(["dir", "tar.gz"]);

/** Everything the command line alone decides: checked before a lock is read or written and before the store opens. */
async function checkUsage(opts: BundleProjectOptions): Promise<void> {
  if (opts.embedPython !== undefined && opts.embedPython !== false && !COMPILED_FORMATS.has(opts.format))
    throw new PystoreError(
      "USAGE",
      opts.format === "pyz"
        ? "--embed-python needs a dir or tar.gz bundle: a .pyz is run by whichever python3 opens it, so it cannot carry one"
        : "--embed-python needs a dir or tar.gz bundle: an image takes its Python from --base-image",
      { hint: "bundle with -o DIR or -o OUT.tar.gz" },
    );
  if (opts.compile === true && !COMPILED_FORMATS.has(opts.format))
    throw new PystoreError("USAGE", `--compile needs a dir or tar.gz bundle (not ${opts.format})`);
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

/** Wheels the lock builds from sdists for this target: in the store, or built again as locked (docs/building.md). */
async function provideBuiltWheels(
  lock: Pylock,
  target: Target,
  opts: BundleProjectOptions,
  store: Store,
  client: () => Promise<IndexClient>,
  lockDir: string,
  ctx: AppContext,
): Promise<void> {
  // Only a package with an sdist or a local directory can have a built wheel: most locks have none, and
  // then neither the selection (which the bundle makes again) nor the rebuild code is needed here.
  if (!lock.packages.some((p) => p.sdist !== undefined || p.directory !== undefined)) return;
  const wanted = selectForTarget(lock, target, { extras: opts.extras, groups: opts.groups })
    .filter((pkg) => pkg.build !== undefined)
    .map((pkg) => ({ pkg, target }));
  if (wanted.length === 0) return;
  const { lockedSdistFile, provideBuilt } = await import("../build/rebuild.js");
  let builder: SdistBuilder | undefined;
  try {
    await provideBuilt(wanted, {
      store,
      // Loaded here: the builder (and the resolver it brings) is needed only by a lock that builds from sdists.
      builder: async () =>
        (builder ??= new (await import("../build/builder.js")).SdistBuilder({
          store,
          client: await client(),
          python: opts.buildPython,
          network: false,
          env: ctx.env,
          log: ctx.log,
        })),
      sdistFile: lockedSdistFile(lock, lockDir, store.dir),
      log: ctx.log,
    });
  } finally {
    await builder?.close();
  }
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
  const remoteStores = await remoteStoreRefs(opts.remote, projectDir);
  // An image's base is read (or pulled) and its platform checked before any wheel is fetched.
  const image =
    opts.format === "oci"
      ? await (await import("./bundle-image.js")).prepareImage(opts.image ?? {}, target, {
          ...ctx,
          transport: opts.transport,
          insecureRegistries: opts.remote?.insecureRegistries ?? [],
        })
      : undefined;
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    await outputDirectory(opts.out);
    store = await openStore({ dir: ctx.store.dir, log: ctx.log });
  } catch (error) {
    await image?.cleanup();
    throw error;
  }
  const client = lazyClient({
    ...clientOptions(requestedIndexes(opts.index), opts.transport, { env: ctx.env, cwd: projectDir ?? ctx.cwd, log: ctx.log }),
    cache: store.httpCache(),
  });
  let python: PythonEntry | undefined;
  let compiler: BytecodeCompiler | undefined;
  try {
    // The interpreter is chosen (and checked against the target) before any wheel is fetched.
    python = await bundlePython(target, {
      request: opts.embedPython,
      lock: existing?.lock,
      lockPath,
      canEmbed: COMPILED_FORMATS.has(opts.format),
      store,
      cwd: ctx.cwd,
      log: ctx.log,
    });
    compiler = await chooseCompiler(opts, target, python, ctx);
  } catch (error) {
    store.close();
    await image?.cleanup();
    throw error;
  }
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
            index: opts.index,
            ...(opts.buildPython ? { build: { ...DEFAULT_BUILD_SETTINGS, python: opts.buildPython } } : {}),
          },
          // The interpreter this bundle embeds is pinned, as `lock --embed-python` would: the next bundle
          // from this lock embeds the same one by default.
          ...(python ? { pythons: { kind: "pin" as const, ref: python.sha256 } } : {}),
          transport: opts.transport,
          output: lockPath,
          store,
          client: (options) => client.get(options),
        },
        ctx,
      ));
    }
    // Substitutes first: what a remote store has by digest is never downloaded from an index. The registry
    // client loads only for a bundle that names remote stores.
    if (remoteStores.length > 0) {
      const { lockSubstitutes, substituteWheels } = await import("../oci/substitute.js");
      await substituteWheels(store, lockSubstitutes(lock, { target, extras: opts.extras, groups: opts.groups }), {
        refs: remoteStores,
        insecureRegistries: opts.remote?.insecureRegistries ?? [],
        transport: opts.transport,
        env: ctx.env,
        log: ctx.log,
      });
    }
    await provideBuiltWheels(lock, target, opts, store, () => client.get(), dirname(lockPath), ctx);
    const result = await buildBundle({
      ...(python ? { python } : {}),
      ...(compiler ? { compile: compiler } : {}),
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
      ...(image ? { image: image.options } : {}),
    });
    return { ...result, target };
  } finally {
    await client.close();
    store.close();
    await image?.cleanup();
  }
}
