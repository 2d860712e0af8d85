// gc's pass over sources/ and build-logs/ (store-format/store-layout.md, "Garbage collection"): an sdist is
// kept while a stored wheel was built from it (its `builds` row lives exactly as long as that wheel), while
// a live root names it, or while it is younger than the grace period; a build log lives as long as its sdist.

import { lstatSync, readdirSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { tempName } from "../util/atomic-write.js";
import { removeReadOnly } from "./content.js";
import type { Db } from "./db.js";
import { tmpDir } from "./layout.js";

const SOURCES_DIR = "sources";
const BUILD_LOGS_DIR = "build-logs";
/** Build logs (and a non-reproducible build's kept wheel) start with the first 16 hex of a sha256. */
const LOG_PREFIX = /^([0-9a-f]{16})-/;

export interface SourcesGcResult {
  /** sources/<sha256> directories removed (or, dry, that would be). */
  removed: string[];
  /** build-logs/ files removed (or, dry, that would be). */
  logsRemoved: string[];
  kept: number;
  freedBytes: number;
}

/** Collect sdists and logs nothing keeps; `live` holds the sha256s of live roots. */
export function collectSources(storeDir: string, db: Db, opts: { live: Set<string>; cutoff: number; dryRun: boolean }): SourcesGcResult {
  // Read after gc's step 1 committed: the builds rows of wheels it removed are gone (ON DELETE CASCADE).
  const built = new Set(db.prepare("SELECT DISTINCT sdist_sha256 FROM builds").pluck().all() as string[]);
  const result: SourcesGcResult = { removed: [], logsRemoved: [], kept: 0, freedBytes: 0 };
  // A log stays with its sdist, and with a stored wheel's build even if that sdist is gone.
  const keptPrefixes = new Set([...built].map((sha) => sha.slice(0, 16)));
  const sourcesDir = join(storeDir, SOURCES_DIR);
  for (const sha256 of listNames(sourcesDir)) {
    const dir = join(sourcesDir, sha256);
    const mtime = mtimeOf(dir);
    if (mtime === undefined) continue;
    if (built.has(sha256) || opts.live.has(sha256) || mtime > opts.cutoff) {
      result.kept++;
      keptPrefixes.add(sha256.slice(0, 16));
      continue;
    }
    result.freedBytes += usage(dir);
    result.removed.push(dir);
    // One rename takes the directory out of sources/ at once: a reader sees the sdist whole or not at all.
    if (!opts.dryRun) moveAsideAndRemove(storeDir, dir);
  }
  const logsDir = join(storeDir, BUILD_LOGS_DIR);
  for (const name of listNames(logsDir)) {
    const path = join(logsDir, name);
    const mtime = mtimeOf(path);
    if (mtime === undefined || mtime > opts.cutoff) continue;
    const prefix = LOG_PREFIX.exec(name)?.[1];
    if (prefix !== undefined && keptPrefixes.has(prefix)) continue;
    result.freedBytes += usage(path);
    result.logsRemoved.push(path);
    if (!opts.dryRun) unlinkIfThere(path);
  }
  return result;
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function mtimeOf(path: string): number | undefined {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function usage(path: string): number {
  try {
    const info = statSync(path);
    if (!info.isDirectory()) return info.size;
    return readdirSync(path).reduce((sum, name) => sum + usage(join(path, name)), 0);
  } catch {
    return 0;
  }
}

function moveAsideAndRemove(storeDir: string, dir: string): void {
  const aside = join(tmpDir(storeDir), tempName("gc"));
  try {
    renameSync(dir, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  removeReadOnly(aside);
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
