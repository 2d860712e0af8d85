// What a lock was made from, and the [tool.pystore] table that records it
// (store-format/pylock-tool-pystore.md): `lock --check` compares this table, no network needed.

import { PYLOCK_TOOL_VERSION } from "../format-versions.js";
import type { PrereleaseMode } from "../resolver/candidates.js";
import { formatRequirement, type Requirement } from "../standards/pep508.js";
import type { Target } from "../standards/targets.js";
import { stripCredentials } from "../util/redact.js";
import { byKey, sortedUnique } from "../util/order.js";
import type { LockBuilding } from "./recorded.js";
import { canonicalizeName } from "../standards/normalize.js";

export interface LockInputs {
  /** The project's name, or "requirements" when locking loose requirements. */
  rootName: string;
  requirements: Requirement[];
  constraints: Requirement[];
  requiresPython?: string;
  extras: string[];
  groups: string[];
  targets: Target[];
  indexUrl: string;
  extraIndexUrls: string[];
  findLinks: string[];
  indexStrategy: "first-index" | "unsafe-best-match";
  /** --no-index (flag, PYSTORE_NO_INDEX, a requirements-file line or [tool.pystore]): find-links only. */
  noIndex?: boolean;
  /** Canonical project name → the only index it may come from ([tool.pystore] index-pins). */
  indexPins?: Record<string, string>;
  prerelease: PrereleaseMode;
  excludeNewer?: string;
  /** The -r files the requirements came from, relative to the project directory, "/"-separated. */
  requirementFiles?: string[];
  /** Building flags other than the defaults (which projects may be built from sdists). */
  building?: LockBuilding;
}

function requirementText(req: Requirement): string {
  return formatRequirement(req.url ? { ...req, url: stripCredentials(req.url) } : req);
}

/** The [tool.pystore] table for these inputs; key order fixed, arrays sorted, no credentials. */
export function inputsTable(inputs: LockInputs): Record<string, unknown> {
  const table: Record<string, unknown> = {
    "format-version": PYLOCK_TOOL_VERSION,
    project: inputs.rootName,
    requirements: sortedUnique(inputs.requirements.map(requirementText)),
    constraints: sortedUnique(inputs.constraints.map(requirementText)),
  };
  // Written only when used, so locks of pyproject.toml stay byte-identical; `lock --check` re-reads these files.
  if (inputs.requirementFiles?.length) table["requirement-files"] = sortedUnique(inputs.requirementFiles);
  if (inputs.requiresPython !== undefined) table["requires-python"] = inputs.requiresPython;
  table.extras = sortedUnique(inputs.extras);
  table.groups = sortedUnique(inputs.groups);
  table.targets = sortTargets(inputs.targets).map((t) => ({ id: t.id, platform: t.platform, python: t.python }));
  // With --no-index the index URLs are not consulted, so they are not inputs (changing them keeps the lock fresh).
  if (inputs.noIndex) table["no-index"] = true;
  else {
    table["index-url"] = stripCredentials(inputs.indexUrl);
    table["extra-index-urls"] = inputs.extraIndexUrls.map(stripCredentials);
  }
  table["find-links"] = inputs.findLinks.map(stripCredentials);
  table["index-strategy"] = inputs.indexStrategy;
  const pins = Object.entries(inputs.indexPins ?? {});
  // Written only when used, so locks made before index pins existed stay fresh.
  if (pins.length > 0 && !inputs.noIndex) {
    table["index-pins"] = Object.fromEntries(
      pins.map(([name, url]) => [name, stripCredentials(url)] as const).sort(byKey(([name]) => name)),
    );
  }
  table.prerelease = inputs.prerelease;
  if (inputs.excludeNewer !== undefined) table["exclude-newer"] = inputs.excludeNewer;
  // Written only when not the default, so locks made before sdists were built stay byte-identical.
  if (inputs.building?.noBuild) table["no-build"] = true;
  if (inputs.building?.noBuildPackages?.length)
    table["no-build-packages"] = sortedUnique(inputs.building.noBuildPackages.map(canonicalizeName));
  if (inputs.building?.noBinaryPackages?.length)
    table["no-binary-packages"] = sortedUnique(inputs.building.noBinaryPackages.map(canonicalizeName));
  return table;
}

export function sortTargets(targets: Target[]): Target[] {
  const seen = new Map<string, Target>();
  for (const t of targets) if (!seen.has(t.id)) seen.set(t.id, t);
  return [...seen.values()].sort(byKey((t) => t.id));
}

/**
 * One PEP 508 marker per target from the variables that tell targets apart in practice. libc
 * (manylinux vs musllinux) has no marker variable, so two such targets share an environment.
 */
export function environmentMarker(target: Target): string {
  const m = target.markers;
  return [
    `sys_platform == ${JSON.stringify(m.sys_platform)}`,
    `platform_machine == ${JSON.stringify(m.platform_machine)}`,
    `implementation_name == ${JSON.stringify(m.implementation_name)}`,
    `python_version == ${JSON.stringify(m.python_version)}`,
  ].join(" and ");
}
