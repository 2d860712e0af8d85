// `pystore lock`: resolve the project's (or given) requirements for every target into pylock.toml;
// `--check` answers whether the existing lock is still fresh, without the network.

import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import type { Handler } from "../cli/context.js";
import { PystoreError } from "../errors.js";
import { IndexClient } from "../index-client/client.js";
import { indexClientOptions, type IndexCliOptions } from "../index-client/options.js";
import { buildLock } from "../lock/build-lock.js";
import { checkLock } from "../lock/check.js";
import { gatherInputs, type LockCliOptions } from "../lock/gather.js";
import { readLockFile } from "../lock/read-lock.js";
import { recordedInputs } from "../lock/recorded.js";
import { IndexProvider } from "../resolver/index-provider.js";
import { writePylock, type Pylock } from "../standards/pylock.js";
import { openStore, resolveStoreDir, type Store } from "../store/store.js";
import { writeFileAtomic } from "../util/atomic-write.js";

interface LockOptions extends LockCliOptions, IndexCliOptions {
  output?: string;
  upgrade?: boolean;
  upgradePackage?: string[];
  check?: boolean;
  json?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const handler: Handler<LockOptions> = async (args, options, ctx) => {
  const output = options.output ? resolvePath(ctx.cwd, options.output) : join(resolvePath(ctx.cwd, options.project ?? "."), "pylock.toml");

  if (options.check) {
    if (!existsSync(output)) throw new PystoreError("LOCK_STALE", `${output} does not exist`, { hint: "run pystore lock" });
    const { lock: existing } = await readLockFile(output);
    // Whatever the flags leave open comes from the lock itself, so the gate compares only the project's inputs.
    const { inputs } = await gatherInputs(args, options, ctx.cwd, ctx.env, { recorded: recordedInputs(existing), check: true });
    const reasons = checkLock(existing, inputs);
    if (options.json) ctx.out(JSON.stringify({ lock: output, fresh: reasons.length === 0, reasons }, null, 2));
    if (reasons.length > 0) {
      throw new PystoreError("LOCK_STALE", `${output} is stale:\n  ${reasons.join("\n  ")}`, {
        hint: "run pystore lock to update it",
        details: { reasons },
      });
    }
    ctx.log.info(`${output} is up to date`);
    return 0;
  }

  let existing: Pylock | undefined;
  let previous: string | undefined;
  if (existsSync(output)) {
    try {
      ({ lock: existing, text: previous } = await readLockFile(output));
    } catch (error) {
      ctx.log.warn(`ignoring the existing lock: ${(error as Error).message}`);
    }
  }
  // A bare re-run keeps the lock's targets (flags and [tool.pystore] targets win when given).
  const { inputs, projectDir } = await gatherInputs(args, options, ctx.cwd, ctx.env, { recorded: existing && recordedInputs(existing) });
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
    if (previous !== text) await writeFileAtomic(output, text);
    const wheels = lock.packages.flatMap((p) => p.wheels ?? []);
    store?.addRoot(
      "lock",
      output,
      wheels.map((w) => w.hashes.sha256).filter((s): s is string => !!s),
    );
    ctx.log.info(
      `${previous === text ? "unchanged" : "wrote"} ${output}: ${plural(lock.packages.length, "package")}, ${plural(wheels.length, "wheel")}, ${plural(inputs.targets.length, "target")} (${plural(provider.pagesFetched, "project page")}, ${plural(provider.metadataFetched, "metadata file")})`,
    );
    if (options.json) {
      ctx.out(
        JSON.stringify(
          {
            lock: output,
            changed: previous !== text,
            packages: lock.packages.map((p) => ({ name: p.name, version: p.version, marker: p.marker ?? null })),
          },
          null,
          2,
        ),
      );
    }
    return 0;
  } finally {
    await client?.close();
    store?.close();
  }
};

export default handler;
