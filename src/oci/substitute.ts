// Substitutes, as Nix has them: before any index is asked, each locked wheel the store lacks is looked up by
// its digest in the configured remote stores (`GET /v2/<repo>/blobs/sha256:…`) and added through the store's
// normal path. A miss falls through to the next remote store and then to the index; a remote store that is
// down (or refuses us) is a warning and is not asked again in this run.

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { TransportSettings } from "../index-client/settings.js";
import { type DigestSelection, lockedDigests } from "../lock/digests.js";
import type { Pylock } from "../standards/pylock.js";
import { tmpDir } from "../store/layout.js";
import type { Store } from "../store/store.js";
import { tempName } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { headBlob, pullBlob } from "./blobs.js";
import { OciClient } from "./client.js";
import { formatReference, type OciReference, parseReference } from "./reference.js";
import type { Registry } from "./registry.js";
import { settleAll } from "./settle.js";

export interface SubstituteWanted {
  sha256: string;
  filename: string;
  size?: number;
  /** Recorded on the entry as if it had come from the index (so `store verify --repair` can go there). */
  originUrl?: string;
  index?: string;
}

export interface SubstituteOptions {
  /** `oci://` references, in the order they are consulted. */
  refs: readonly string[];
  insecureRegistries: readonly string[];
  transport: TransportSettings;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** Codes that mean "this remote store cannot serve us now": warn, stop asking it, go on. */
const UNAVAILABLE = new Set(["NETWORK", "TIMEOUT", "TLS", "PROXY_AUTH_REQUIRED", "HTTP_STATUS", "AUTH_REQUIRED", "INVALID_INDEX_RESPONSE"]);
/** Codes that mean "this remote store's bytes are wrong for this wheel": warn, use another source. */
const REFUSED = new Set(["HASH_MISMATCH", "SIZE_MISMATCH", "INCOMPLETE_DOWNLOAD"]);

interface Remote {
  ref: OciReference;
  registry: Registry;
  down: boolean;
}

/** Fill the store from the remote stores with whatever of `wanted` it lacks; returns how many were added. */
export async function substituteWheels(store: Store, wanted: readonly SubstituteWanted[], opts: SubstituteOptions): Promise<number> {
  if (opts.refs.length === 0 || opts.transport.offline) return 0;
  const seen = new Set<string>();
  const missing = wanted.filter((w) => {
    if (seen.has(w.sha256) || store.get(w.sha256)) return false;
    seen.add(w.sha256);
    return true;
  });
  if (missing.length === 0) return 0;
  const client = new OciClient({ transport: opts.transport, insecureRegistries: opts.insecureRegistries, env: opts.env, log: opts.log });
  const remotes: Remote[] = opts.refs.map((raw) => {
    const ref = parseReference(raw);
    return { ref, registry: client.registry(ref), down: false };
  });
  const staging = join(tmpDir(store.dir), tempName("substitute"));
  let added = 0;
  try {
    await mkdir(staging, { recursive: true });
    await settleAll(
      missing.map((wheel, i) =>
        client.transfers.run(async () => {
          for (const remote of remotes) {
            if (remote.down) continue;
            const dir = join(staging, String(i));
            await mkdir(dir, { recursive: true });
            const path = join(dir, wheel.filename);
            const got = await fromRemote(remote, wheel, path, dir, opts.log);
            if (!got) continue;
            await store.addWheelFile(path, {
              filename: wheel.filename,
              expectedSha256: wheel.sha256,
              originUrl: wheel.originUrl,
              index: wheel.index,
            });
            added++;
            opts.log.info(`substituted ${wheel.filename} from ${formatReference(remote.ref)}`);
            return;
          }
        }),
      ),
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
    await client.close();
  }
  return added;
}

/** One remote's copy of one wheel, or false (a miss, or a failure reported as a warning). */
async function fromRemote(remote: Remote, wheel: SubstituteWanted, path: string, dir: string, log: Logger): Promise<boolean> {
  const digest = `sha256:${wheel.sha256}`;
  const where = formatReference(remote.ref);
  try {
    // A lock without sizes: the registry's size bounds the download; the sha256 still decides.
    const size = wheel.size ?? (await headBlob(remote.registry, remote.ref.repository, digest));
    if (size === undefined || !Number.isFinite(size)) return false;
    const written = await pullBlob(remote.registry, remote.ref.repository, { digest, size, label: wheel.filename }, path, { tempDir: dir });
    return written !== undefined;
  } catch (error) {
    if (!(error instanceof PystoreError)) throw error;
    if (UNAVAILABLE.has(error.code)) {
      if (!remote.down) log.warn(`remote store ${where} is unavailable (${error.message}); using the next source`);
      remote.down = true;
      return false;
    }
    if (REFUSED.has(error.code)) {
      log.warn(`remote store ${where}: ${error.message}; nothing was added, using the next source`);
      return false;
    }
    throw error;
  }
}

/**
 * The wheels a lock installs on one target (with its extras and groups), as substitutes to look for. A lock
 * that does not cover the target gives none: the bundle reports that itself, in its own words.
 */
export function lockSubstitutes(lock: Pylock, selection: DigestSelection): SubstituteWanted[] {
  let digests: Set<string>;
  try {
    digests = new Set(lockedDigests(lock, selection));
  } catch {
    return [];
  }
  const out: SubstituteWanted[] = [];
  for (const pkg of lock.packages) {
    for (const wheel of pkg.wheels ?? []) {
      const sha256 = wheel.hashes.sha256?.toLowerCase();
      if (!sha256 || !digests.has(sha256)) continue;
      out.push({
        sha256,
        filename: wheel.name,
        ...(wheel.size === undefined ? {} : { size: wheel.size }),
        ...(wheel.url ? { originUrl: wheel.url } : {}),
        ...(pkg.index ? { index: pkg.index } : {}),
      });
    }
  }
  return out;
}
