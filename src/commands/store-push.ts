// `pystore store push REF (-l LOCK… | --all) [--tag T]`: the wheels of a lock's closure (or of every stored
// entry) to an OCI registry as blobs plus one closure artifact per lock, tagged by the lock's hash.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { closureEntriesForLock } from "../app/export.js";
import { PystoreError } from "../errors.js";
import { OciClient } from "../oci/client.js";
import { type PushResult, pushClosure } from "../oci/push.js";
import { type OciReference, parseReference } from "../oci/reference.js";
import type { StoreEntry } from "../store/entries.js";
import type { Store } from "../store/store.js";
import type { CommandContext, Handler } from "./context.js";
import { type IndexFlags, type RemoteStoreFlags, remoteStoreRequest, transportSettings } from "./settings.js";
import { json, withStore } from "./store-common.js";

interface Options extends IndexFlags, RemoteStoreFlags {
  lock?: string[];
  all?: boolean;
  tag?: string;
  mountFrom?: string[];
  json?: boolean;
}

/** sha256 of a lock file's bytes: what its closure is tagged by. */
export async function lockFileSha256(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new PystoreError(
      "FILE_NOT_FOUND",
      `cannot read the lock ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: "run pystore lock first, or pass -l FILE",
        cause: error,
      },
    );
  }
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Repositories blobs may be mounted from: --mount-from, and the remote stores in PYSTORE_REMOTE_STORE
 * on the same registry (a fleet's shared repository usually holds most wheels already).
 */
function mountCandidates(ref: OciReference, options: Options, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = remoteStoreRequest({}, env)
    .env.map((raw) => parseReference(raw))
    .filter((r) => r.registry === ref.registry)
    .map((r) => r.repository);
  return [...new Set([...(options.mountFrom ?? []), ...fromEnv])].filter((repo) => repo !== ref.repository);
}

export interface PushEntriesOptions {
  ref: OciReference;
  tag?: string;
  lockSha256?: string;
  target?: string;
  mountFrom?: string[];
}

/** Push stored entries as one closure, with the transport and registry settings of `options`. */
export async function pushEntries(
  ctx: CommandContext,
  flags: IndexFlags & RemoteStoreFlags,
  entries: StoreEntry[],
  opts: PushEntriesOptions,
): Promise<PushResult> {
  const client = new OciClient({
    transport: transportSettings(flags, ctx.env),
    insecureRegistries: remoteStoreRequest(flags, ctx.env).insecureRegistries,
    env: ctx.env,
    log: ctx.log,
  });
  try {
    return await pushClosure(client, entries, opts);
  } finally {
    await client.close();
  }
}

export function pushSummary(result: PushResult): string {
  const count = (status: string) => result.wheels.filter((w) => w.blob === status).length;
  const n = result.wheels.length;
  return `pushed ${n} wheel${n === 1 ? "" : "s"} to ${result.reference} (${count("uploaded")} uploaded, ${count("mounted")} mounted, ${count("present")} already there)`;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (args.length !== 1) throw new PystoreError("USAGE", "store push takes exactly one oci:// reference");
  const locks = options.lock ?? [];
  if (locks.length === 0 && !options.all) throw new PystoreError("USAGE", "store push needs -l pylock.toml or --all");
  if (locks.length > 0 && options.all) throw new PystoreError("USAGE", "store push takes either -l pylock.toml or --all, not both");
  if (options.tag !== undefined && locks.length > 1)
    throw new PystoreError("USAGE", "--tag names one artifact; push one lock at a time with it");
  const ref = parseReference(args[0]);
  const mountFrom = mountCandidates(ref, options, ctx.env);
  const results = await withStore(ctx, async (store: Store) => {
    const out: PushResult[] = [];
    if (options.all) {
      out.push(await pushEntries(ctx, options, store.list(), { ref, tag: options.tag, mountFrom }));
      return out;
    }
    for (const lock of locks) {
      const path = resolve(ctx.cwd, lock);
      const entries = await closureEntriesForLock(store, path, lock);
      out.push(await pushEntries(ctx, options, entries, { ref, tag: options.tag, lockSha256: await lockFileSha256(path), mountFrom }));
    }
    return out;
  });
  if (options.json) ctx.out(json({ artifacts: results }));
  else for (const r of results) ctx.out(pushSummary(r));
};

export default handler;

/** `fetch --push-to REF`: the wheels just fetched, as one closure tagged by the lock's hash (and target, for one target's share). */
export async function pushFetched(
  ctx: CommandContext,
  flags: IndexFlags & RemoteStoreFlags & { platform?: string; python?: string },
  lockPath: string,
  wheels: readonly { sha256: string }[],
  reference: string,
): Promise<PushResult> {
  const ref = parseReference(reference);
  let target: string | undefined;
  if (flags.platform || flags.python) {
    const { loadTarget } = await import("../platform/target-loader.js");
    target = (await loadTarget(flags.platform ?? "host", flags.python, { cwd: ctx.cwd, env: ctx.env })).id;
  }
  const lockSha256 = await lockFileSha256(lockPath);
  const result = await withStore(ctx, async (store) => {
    const entries = wheels.map((w) => store.get(w.sha256)).filter((e): e is StoreEntry => e !== undefined);
    return pushEntries(ctx, flags, entries, { ref, lockSha256, target, mountFrom: mountCandidates(ref, {}, ctx.env) });
  });
  ctx.log.info(pushSummary(result));
  return result;
}
