// `pystore fetch`: download every locked wheel (or one target's) into the store, verifying size and
// sha256 against the lock, several at a time; registers a "fetch" root so gc keeps them.

import { dirname, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { Handler } from "../cli/context.js";
import { PystoreError } from "../errors.js";
import { IndexClient } from "../index-client/client.js";
import { indexClientOptions, type IndexCliOptions } from "../index-client/options.js";
import { readLockFile } from "../lock/read-lock.js";
import { selectForTarget } from "../lock/select.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Pylock, PylockWheel } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { openStore, resolveStoreDir } from "../store/store.js";

interface FetchOptions extends IndexCliOptions {
  lock?: string;
  platform?: string;
  python?: string;
  jobs?: string;
  json?: boolean;
}

interface Wanted {
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
      out.push({ name: pkg.name, version: pkg.version ?? "", wheel, sha256, index: pkg.index });
    }
  }
  return out;
}

export function projectFileFor(wanted: Wanted, lockDir: string): ProjectFile {
  const url = wanted.wheel.url ?? (wanted.wheel.path ? pathToFileURL(resolvePath(lockDir, wanted.wheel.path)).href : undefined);
  if (!url) throw new PystoreError("INVALID_LOCK", `${wanted.wheel.name} has neither url nor path`);
  const file: ProjectFile = { filename: wanted.wheel.name, url, hashes: { ...wanted.wheel.hashes }, index: wanted.index ?? "" };
  if (wanted.wheel.size !== undefined) file.size = wanted.wheel.size;
  return file;
}

/** `-j N`: an integer >= 1 (default 4); anything else is a usage error naming the value. */
export function parseJobs(raw: string | undefined): number {
  if (raw === undefined) return 4;
  const text = raw.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new PystoreError("USAGE", `--jobs ${JSON.stringify(raw)} is not an integer >= 1`, { hint: "e.g. -j 4" });
  }
  return Number(text);
}

const plural = (n: number) => `${n} wheel${n === 1 ? "" : "s"}`;

const handler: Handler<FetchOptions> = async (_args, options, ctx) => {
  const jobs = parseJobs(options.jobs);
  const lockPath = resolvePath(ctx.cwd, options.lock ?? "pylock.toml");
  const { lock } = await readLockFile(lockPath);
  let wanted: Wanted[];
  if (options.platform || options.python) {
    const target = await loadTarget(options.platform ?? "host", options.python, { cwd: ctx.cwd, env: ctx.env });
    wanted = selectForTarget(lock, target).map((s) => ({
      ...s,
      index: lock.packages.find((p) => p.name === s.name && (p.version ?? s.version) === s.version)?.index,
    }));
    ctx.log.info(`fetching ${plural(wanted.length)} for ${target.id}`);
  } else {
    wanted = allWheels(lock, lockPath);
    ctx.log.info(`fetching ${wanted.length === 1 ? "the 1 locked wheel" : `all ${wanted.length} locked wheels`}`);
  }
  const store = await openStore({ dir: resolveStoreDir(ctx.global.store, ctx.env), log: ctx.log });
  const results: { name: string; version: string; filename: string; sha256: string; path: string }[] = [];
  let client: IndexClient | undefined;
  try {
    // Downloads use the lock's URLs; the flags bring the transport settings and credentials for those hosts.
    client = new IndexClient({ ...indexClientOptions(options, ctx), cache: store.httpCache(), cwd: dirname(lockPath) });
    const http = client;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const item = wanted[next++];
        const file = projectFileFor(item, dirname(lockPath));
        const entry = await store.fetchWheel(file, http, { expected: { sha256: item.sha256, size: item.wheel.size } });
        done++;
        ctx.log.info(`[${done}/${wanted.length}] ${item.wheel.name}`);
        results.push({ name: item.name, version: item.version, filename: item.wheel.name, sha256: entry.sha256, path: entry.path });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, wanted.length) }, worker));
    store.addRoot(
      "fetch",
      lockPath,
      results.map((r) => r.sha256),
    );
  } finally {
    await client?.close();
    store.close();
  }
  results.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  if (options.json) ctx.out(JSON.stringify({ lock: lockPath, wheels: results }, null, 2));
  else for (const r of results) ctx.out(`${r.sha256}  ${r.filename}`);
  return 0;
};

export default handler;
