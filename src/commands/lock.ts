// `pystore lock`: resolve the project's (or given) requirements for every target into pylock.toml;
// `--check` answers whether the existing lock is still fresh, without the network.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import type { Handler } from "../cli/context.js";
import { PystoreError } from "../errors.js";
import { IndexClient } from "../index-client/client.js";
import { indexClientOptions, type IndexCliOptions } from "../index-client/options.js";
import { buildLock } from "../lock/build-lock.js";
import { checkLock } from "../lock/check.js";
import { gatherInputs, type LockCliOptions } from "../lock/gather.js";
import { IndexProvider } from "../resolver/index-provider.js";
import { parsePylock, writePylock, type Pylock } from "../standards/pylock.js";
import { openStore, resolveStoreDir, type Store } from "../store/store.js";
import { writeFileAtomic } from "../util/atomic-write.js";

interface LockOptions extends LockCliOptions, IndexCliOptions {
  output?: string;
  upgrade?: boolean;
  upgradePackage?: string[];
  check?: boolean;
  json?: boolean;
}

async function readExisting(path: string): Promise<Pylock | undefined> {
  if (!existsSync(path)) return undefined;
  return parsePylock(await readFile(path, "utf8"), path);
}

const handler: Handler<LockOptions> = async (args, options, ctx) => {
  const { inputs, projectDir } = await gatherInputs(args, options, ctx.cwd, ctx.env);
  const output = options.output ? resolvePath(ctx.cwd, options.output) : join(projectDir, "pylock.toml");

  if (options.check) {
    const existing = await readExisting(output);
    if (!existing) throw new PystoreError("LOCK_STALE", `${output} does not exist`, { hint: "run pystore lock" });
    const reasons = checkLock(existing, inputs);
    if (options.json) ctx.out(JSON.stringify({ lock: output, fresh: reasons.length === 0, reasons }, null, 2));
    if (reasons.length > 0) {
      throw new PystoreError("LOCK_STALE", `${output} is stale:\n  ${reasons.join("\n  ")}`, { hint: "run pystore lock to update it", details: { reasons } });
    }
    ctx.log.info(`${output} is up to date`);
    return 0;
  }

  let existing: Pylock | undefined;
  try {
    existing = await readExisting(output);
  } catch (error) {
    ctx.log.warn(`ignoring the existing lock: ${(error as Error).message}`);
  }
  let store: Store | undefined;
  try {
    store = await openStore({ dir: resolveStoreDir(ctx.global.store, ctx.env), log: ctx.log });
  } catch (error) {
    ctx.log.debug(`no store for the HTTP cache: ${(error as Error).message}`);
  }
  let client: IndexClient | undefined;
  try {
    // Transport settings (proxy, CA, timeouts, retries, offline) from the flags; the index list from the inputs.
    client = new IndexClient({
      ...indexClientOptions(options, ctx),
      indexUrl: inputs.indexUrl,
      extraIndexUrls: inputs.extraIndexUrls,
      findLinks: inputs.findLinks,
      indexStrategy: inputs.indexStrategy,
      noIndex: inputs.noIndex,
      indexPins: inputs.indexPins,
      cache: store?.httpCache(),
      cwd: projectDir,
    });
    const provider = new IndexProvider(client, ctx.log);
    const { lock } = await buildLock(provider, inputs, {
      existing,
      upgrade: options.upgrade,
      upgradePackages: options.upgradePackage,
      log: ctx.log,
      lockDir: dirname(output),
      hashDirect: (file) => provider.hashDirect(file, tmpdir()),
    });
    const text = writePylock(lock);
    const previous = existsSync(output) ? await readFile(output, "utf8") : undefined;
    if (previous !== text) await writeFileAtomic(output, text);
    const wheels = lock.packages.flatMap((p) => p.wheels ?? []);
    store?.addRoot("lock", output, wheels.map((w) => w.hashes.sha256).filter((s): s is string => !!s));
    ctx.log.info(`${previous === text ? "unchanged" : "wrote"} ${output}: ${lock.packages.length} packages, ${wheels.length} wheels, ${inputs.targets.length} target(s) (${provider.pagesFetched} project pages, ${provider.metadataFetched} metadata files)`);
    if (options.json) {
      ctx.out(JSON.stringify({ lock: output, changed: previous !== text, packages: lock.packages.map((p) => ({ name: p.name, version: p.version, marker: p.marker ?? null })) }, null, 2));
    }
    return 0;
  } finally {
    await client?.close();
    store?.close();
  }
};

export default handler;
