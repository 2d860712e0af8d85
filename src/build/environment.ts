// The build environment: `[build-system] requires` resolved by pystore's own resolver for the build
// interpreter (wheels only), fetched into the store by sha256, and installed by pystore's own installer
// into a throw-away prefix that only this build sees.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import { TreeWriter } from "../install/tree-writer.js";
import { installWheel } from "../install/bundle-tree.js";
import { resolve, type ResolverProvider } from "../resolver/resolve.js";
import type { Requirement } from "../standards/pep508.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Store, StoreEntry } from "../store/store.js";
import type { Logger } from "../util/log.js";
import { byKey } from "../util/order.js";
import { stripCredentials } from "../util/redact.js";
import type { LockedBuildWheel } from "../lock/built-wheels.js";
import type { BuildInterpreter } from "./interpreter.js";

/** One wheel of a build environment, as the lock records it (`[packages.tool.pystore] build-wheels`). */
export type BuildWheel = LockedBuildWheel;

export interface InstalledEnvironment {
  wheels: BuildWheel[];
  siteDir: string;
  scriptsDir: string;
}

/** Resolve `requirements` for the build interpreter, wheels only (a build dependency is never built). */
export async function resolveBuildRequires(
  requirements: Requirement[],
  interpreter: BuildInterpreter,
  provider: ResolverProvider,
  label: string,
  log: Logger,
): Promise<ProjectFile[]> {
  if (requirements.length === 0) return [];
  try {
    const resolution = await resolve(provider, { target: interpreter.target, rootName: `${label} [build-system]`, requirements, log });
    return resolution.packages.map((p) => p.wheels[0]);
  } catch (error) {
    if (!(error instanceof PystoreError)) throw error;
    throw new PystoreError("BUILD_FAILED", `cannot set up the build environment of ${label}: ${error.message}`, {
      hint: "build requirements are installed from wheels only; make them available on the index or with --find-links",
      cause: error,
      details: { sdist: label, ...error.details },
    });
  }
}

/** Every file of the environment in the store (fetched when missing, checked against a locked sha256). */
export async function storeBuildWheels(files: ProjectFile[], store: Store, client: IndexClient): Promise<StoreEntry[]> {
  return store.fetchWheels(
    files.map((file) => ({ file, expected: file.hashes.sha256 ? { sha256: file.hashes.sha256 } : undefined })),
    client,
  );
}

export function buildWheelsOf(files: ProjectFile[], entries: StoreEntry[]): BuildWheel[] {
  return files
    .map((file, i) => {
      const w: BuildWheel = {
        name: entries[i].name,
        version: entries[i].version,
        filename: file.filename,
        url: stripCredentials(file.url),
        sha256: entries[i].sha256,
        size: entries[i].size,
      };
      if (file.index) w.index = file.index;
      return w;
    })
    .sort(byKey((w) => w.filename));
}

/** A locked environment's wheels as files to fetch, each pinned to its recorded sha256. */
export function lockedFiles(wheels: BuildWheel[]): ProjectFile[] {
  return wheels.map((w) => ({
    filename: w.filename,
    url: w.url,
    hashes: { sha256: w.sha256 },
    index: w.index ?? "",
    ...(w.size === undefined ? {} : { size: w.size }),
  }));
}

/** Install stored wheels into `prefix` (site-packages/, scripts/) with pystore's installer. */
export async function installEnvironment(
  entries: StoreEntry[],
  prefix: string,
  python: string,
  wheels: BuildWheel[],
): Promise<InstalledEnvironment> {
  await mkdir(prefix, { recursive: true });
  const writer = new TreeWriter(prefix);
  const claimed = new Map<string, string>();
  for (const entry of entries) await installWheel(entry.path, prefix, { writer, claimed, scriptInterpreter: python });
  return { wheels, siteDir: join(prefix, "site-packages"), scriptsDir: join(prefix, "scripts") };
}
