// `pystore bundle`: read the lock, load the target, open the store, build the bundle, report what was written.

import { stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { CommandContext, Handler } from "../cli/context.js";
import { PystoreError } from "../errors.js";
import { buildBundle, type BundleFormat } from "../bundle/bundle.js";
import { linkModeFromEnv, type LinkMode } from "../bundle/importer.js";
import { sourceDateEpoch } from "../bundle/write-tar.js";
import type { IndexClient, IndexClientOptions } from "../index-client/client.js";
import { indexClientOptions, type IndexCliOptions } from "../index-client/options.js";
import { loadTarget } from "../platform/target-loader.js";
import { readLockFile } from "../lock/read-lock.js";
import { parsePylock, writePylock } from "../standards/pylock.js";
import { openStore, resolveStoreDir, type Store } from "../store/store.js";
import { writeFileAtomic } from "../util/atomic-write.js";

interface BundleOptions extends IndexCliOptions {
  lock?: string;
  platform: string;
  python?: string;
  project?: string;
  output?: string;
  format?: string;
  systemd: boolean;
  prefix?: string;
  user?: string;
  depScripts: boolean;
  offline: boolean;
  /** --copy: copy store files instead of hardlinking (a bundle sharing no inode with the store). */
  copy?: boolean;
  extra?: string[];
  group?: string[];
  json: boolean;
}

const FORMATS: BundleFormat[] = ["dir", "tar.gz", "pyz"];

/** --format, else inferred from OUT's suffix, else a directory. */
export function chooseFormat(format: string | undefined, out: string): BundleFormat {
  if (format !== undefined) {
    if (!(FORMATS as string[]).includes(format))
      throw new PystoreError("USAGE", `unknown --format ${JSON.stringify(format)}`, { hint: `use one of: ${FORMATS.join(", ")}` });
    return format as BundleFormat;
  }
  if (out.endsWith(".tar.gz") || out.endsWith(".tgz")) return "tar.gz";
  if (out.endsWith(".pyz")) return "pyz";
  return "dir";
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * "bundle without a lock locks first": resolve the project for this one target (as `pystore lock` would),
 * write pylock.toml beside pyproject.toml, and bundle from it. The resolver loads only on this path.
 */
async function lockFirst(
  projectDir: string,
  lockPath: string,
  options: BundleOptions,
  ctx: CommandContext,
  store: Store,
  openClient: (opts?: IndexClientOptions) => Promise<IndexClient>,
): Promise<string> {
  const [{ gatherInputs }, { buildLock }, { IndexProvider }] = await Promise.all([
    import("../lock/gather.js"),
    import("../lock/build-lock.js"),
    import("../resolver/index-provider.js"),
  ]);
  const { inputs } = await gatherInputs(
    [],
    {
      project: projectDir,
      platform: [options.platform ?? "host"],
      python: options.python ? [options.python] : [],
      extra: options.extra,
      group: options.group,
      indexUrl: options.indexUrl,
      extraIndexUrl: options.extraIndexUrl,
      findLinks: options.findLinks,
      index: options.index,
      indexStrategy: options.indexStrategy,
    },
    ctx.cwd,
    ctx.env,
  );
  ctx.log.info(`no ${lockPath}: locking first`);
  const client = await openClient({
    indexUrl: inputs.indexUrl,
    extraIndexUrls: inputs.extraIndexUrls,
    findLinks: inputs.findLinks,
    indexStrategy: inputs.indexStrategy,
    noIndex: inputs.noIndex,
    indexPins: inputs.indexPins,
  });
  const { lock } = await buildLock(new IndexProvider(client, ctx.log), inputs, { log: ctx.log });
  const text = writePylock(lock);
  await writeFileAtomic(lockPath, text);
  store.addRoot(
    "lock",
    lockPath,
    lock.packages
      .flatMap((p) => p.wheels ?? [])
      .map((w) => w.hashes.sha256)
      .filter((h): h is string => !!h),
  );
  const count = lock.packages.length;
  ctx.log.info(`wrote ${lockPath}: ${count} ${count === 1 ? "package" : "packages"}`);
  return text;
}

/**
 * How the summary names one executable: a real path for a directory bundle; for archives a path inside
 * them, since `OUT.tar.gz/bin/x` is no file anyone can run.
 */
export function executableLine(format: BundleFormat, out: string, exe: string): string {
  if (format === "dir") return join(out, "bin", exe);
  const archive = basename(out);
  if (format === "tar.gz") return `bin/${exe} (inside ${archive})`;
  return `${exe} (inside ${archive}; run: python3 ${archive} ${exe})`;
}

const handler: Handler<BundleOptions> = async (_args, options, ctx) => {
  // Not a commander requiredOption: those are enforced on `bundle verify` too.
  if (!options.output) throw new PystoreError("USAGE", "bundle needs -o OUT (a directory, OUT.tar.gz or OUT.pyz)");
  const output = options.output;
  const format = chooseFormat(options.format, output);
  let projectDir = options.project === undefined ? undefined : resolve(ctx.cwd, options.project);
  if (projectDir === undefined && (await isFile(join(ctx.cwd, "pyproject.toml")))) projectDir = ctx.cwd;
  const lockPath = resolve(ctx.cwd, options.lock ?? join(projectDir ?? ctx.cwd, "pylock.toml"));
  // --copy wins over PYSTORE_LINK_MODE: it is the explicit request for an independent bundle.
  const linkMode: LinkMode | undefined = options.copy ? "copy" : linkModeFromEnv(ctx.env);
  const store = await openStore({ dir: resolveStoreDir(ctx.global.store, ctx.env), log: ctx.log });
  let client: IndexClient | undefined;
  const openClient = async (opts: IndexClientOptions = {}) => {
    if (!client) {
      const { IndexClient } = await import("../index-client/client.js");
      client = new IndexClient({ ...indexClientOptions(options, ctx), cache: store.httpCache(), cwd: projectDir ?? ctx.cwd, ...opts });
    }
    return client;
  };
  try {
    let lockText: string;
    let lock;
    if (options.lock === undefined && projectDir !== undefined && !(await isFile(lockPath))) {
      lockText = await lockFirst(projectDir, lockPath, options, ctx, store, openClient);
      lock = parsePylock(lockText, lockPath);
    } else {
      ({ lock, text: lockText } = await readLockFile(lockPath));
    }
    const target = await loadTarget(options.platform ?? "host", options.python, { cwd: ctx.cwd, env: ctx.env });
    const result = await buildBundle({
      lock,
      lockText,
      lockDir: dirname(lockPath),
      target,
      projectDir,
      out: resolve(ctx.cwd, output),
      format,
      systemd: options.systemd ? { prefix: options.prefix, user: options.user } : undefined,
      depScripts: options.depScripts,
      offline: options.offline,
      linkMode,
      extras: options.extra,
      groups: options.group,
      mtime: sourceDateEpoch(ctx.env),
      store,
      log: ctx.log,
      client: () => openClient(),
    });
    if (options.json) {
      ctx.out(JSON.stringify(result, null, 2));
    } else {
      const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
      const lines = [
        `bundled ${result.name} for ${target.id} into ${result.out} (${result.format}, ${n(result.packages.length, "package")}, ${n(result.files, "file")})`,
      ];
      for (const exe of result.executables) lines.push(`  ${executableLine(result.format, result.out, exe)}`);
      lines.push(`bundle hash: ${result.bundleHash}`);
      ctx.out(lines.join("\n"));
    }
    return 0;
  } finally {
    await client?.close();
    store.close();
  }
};

export default handler;
