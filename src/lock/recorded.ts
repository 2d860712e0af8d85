// The inputs an existing lock records in [tool.pystore], read back as defaults: `lock --check` with no
// flags checks against them, and a bare `pystore lock` keeps the lock's targets.

import type { Pylock } from "../standards/pylock.js";

export interface RecordedInputs {
  targets: { platform: string; python: string }[];
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  indexStrategy?: "first-index" | "unsafe-best-match";
  noIndex?: boolean;
  prerelease?: string;
  excludeNewer?: string;
  extras?: string[];
  groups?: string[];
  /** Requirements files, relative to the project directory ("/"-separated). */
  requirementFiles?: string[];
  /** The requirement strings themselves (what a lock of command-line requirements has no other source for). */
  requirements?: string[];
  /** Which projects may be built from sdists (--no-build, --no-build-package, --no-binary-package). */
  building?: LockBuilding;
}

/** The building flags a lock was made with; absent keys are the defaults (build when no wheel fits). */
export interface LockBuilding {
  noBuild?: boolean;
  noBuildPackages?: string[];
  noBinaryPackages?: string[];
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
const string = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** What the lock's [tool.pystore] table says; undefined when the lock was not written by pystore. Malformed keys are skipped. */
export function recordedInputs(lock: Pylock): RecordedInputs | undefined {
  const table = lock.tool?.pystore as Record<string, unknown> | undefined;
  if (!table || typeof table !== "object") return undefined;
  const targets: RecordedInputs["targets"] = [];
  for (const t of Array.isArray(table.targets) ? table.targets : []) {
    const platform = string((t as Record<string, unknown>)?.platform);
    const python = string((t as Record<string, unknown>)?.python);
    if (platform && python) targets.push({ platform, python });
  }
  const strategy = string(table["index-strategy"]);
  return {
    targets,
    indexUrl: string(table["index-url"]),
    extraIndexUrls: strings(table["extra-index-urls"]),
    findLinks: strings(table["find-links"]),
    indexStrategy: strategy === "first-index" || strategy === "unsafe-best-match" ? strategy : undefined,
    noIndex: table["no-index"] === true,
    prerelease: string(table.prerelease),
    excludeNewer: string(table["exclude-newer"]),
    extras: strings(table.extras),
    groups: strings(table.groups),
    requirementFiles: strings(table["requirement-files"]),
    requirements: strings(table.requirements),
    ...recordedBuilding(table),
  };
}

function recordedBuilding(table: Record<string, unknown>): { building?: LockBuilding } {
  const building: LockBuilding = {};
  if (table["no-build"] === true) building.noBuild = true;
  const noBuild = strings(table["no-build-packages"]);
  if (noBuild?.length) building.noBuildPackages = noBuild;
  const noBinary = strings(table["no-binary-packages"]);
  if (noBinary?.length) building.noBinaryPackages = noBinary;
  return Object.keys(building).length > 0 ? { building } : {};
}
