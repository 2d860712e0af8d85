// Collects a lock's inputs from the command line, requirements files and pyproject.toml, in that
// precedence: explicit flags win over file lines, which win over defaults.

import { isAbsolute, relative, resolve as resolvePath, sep } from "node:path";
import { PystoreError } from "../errors.js";
import { loadTarget } from "../platform/target-loader.js";
import type { PrereleaseMode } from "../resolver/candidates.js";
import { parseRequirement, type Requirement } from "../standards/pep508.js";
import type { Target } from "../standards/targets.js";
import type { IndexRequest } from "../index-client/settings.js";
import type { LockInputs } from "./inputs.js";
import type { LockBuilding, RecordedInputs } from "./recorded.js";
import { type IndexSettings, indexSettings, readProject } from "./index-config.js";
import { stripCredentials } from "../util/redact.js";
import { type Pyproject, selectableRequirements } from "../project/pyproject.js";
import { emptyRequirementsFile, readRequirementsFile } from "./requirements-file.js";

/** What to lock, as typed settings (src/commands/settings.ts builds it from flags). */
export interface LockRequest {
  /** Requirement strings given on the command line. */
  requirements: string[];
  /** --project DIR (default: the working directory). */
  project?: string;
  /** -r files, relative to the working directory. */
  requirementFiles: string[];
  /** --platform values (default: [tool.pystore] targets, else the lock's, else host). */
  platforms: string[];
  /** --python values, combined with every platform. */
  pythons: string[];
  /** --add-target PLATFORM:PYTHON: added to the targets the rest chose (flags, [tool.pystore], the lock's, host). */
  addTargets?: { platform: string; python: string }[];
  extras?: string[];
  groups?: string[];
  /** Building flags given (flags or environment); absent or all default: the lock's record, on a check or re-lock. */
  building?: LockBuilding;
  prerelease?: PrereleaseMode;
  excludeNewer?: string;
  index: IndexRequest;
}

/**
 * What an existing lock contributes. `recorded` targets are kept when neither flags nor [tool.pystore] name
 * any; with `check` or `relock`, every other recorded input (indexes, strategy, prerelease, exclude-newer,
 * extras, groups, requirements files, command-line requirements) is the default too, below the flags and the
 * project's files. `check` also ranks it above the environment, so a CI machine's variables or host do not
 * make a lock look stale; `relock` ranks it below, since credentials for a recorded index may come from there.
 */
export interface GatherDefaults {
  recorded?: RecordedInputs;
  check?: boolean;
  relock?: boolean;
}

export interface GatheredInputs {
  inputs: LockInputs;
  projectDir: string;
  pyproject?: Pyproject;
  /** The inputs taken from the existing lock's record ("requirement files reqs/a.in", "targets …"), for the log. */
  fromRecord: string[];
}

const PRERELEASE_MODES: PrereleaseMode[] = ["allow", "if-necessary-or-explicit", "disallow"];

function parseCliRequirement(text: string): Requirement {
  try {
    return parseRequirement(text);
  } catch (error) {
    throw new PystoreError("INVALID_REQUIREMENT", (error as Error).message, { cause: error });
  }
}

function normalizeExcludeNewer(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // A bare date means the end of that day, UTC (as uv reads it).
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59Z` : text;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new PystoreError("USAGE", `--exclude-newer ${JSON.stringify(text)} is not an RFC 3339 timestamp or a YYYY-MM-DD date`, {
      hint: "e.g. --exclude-newer 2024-06-01T00:00:00Z",
    });
  }
  return new Date(ms).toISOString();
}

async function loadTargets(pairs: { platform: string; python?: string }[], cwd: string, env: NodeJS.ProcessEnv): Promise<Target[]> {
  return Promise.all(pairs.map((p) => loadTarget(p.platform, p.python, { cwd, env })));
}

function projectRelative(projectDir: string, path: string): string {
  const rel = relative(projectDir, path);
  return (rel === "" || isAbsolute(rel) ? path : rel).split(sep).join("/");
}

/** Whether the merged index list is the recorded one (nothing else named an index). */
function usesRecordedIndexes(where: IndexSettings, recorded: RecordedInputs): boolean {
  if (where.noIndex) return recorded.noIndex === true;
  return (
    recorded.indexUrl !== undefined &&
    stripCredentials(where.indexUrl) === recorded.indexUrl &&
    where.extraIndexUrls.map(stripCredentials).join(" ") === (recorded.extraIndexUrls ?? []).join(" ")
  );
}

export async function gatherInputs(
  request: LockRequest,
  cwd: string,
  env: NodeJS.ProcessEnv,
  defaults: GatherDefaults = {},
): Promise<GatheredInputs> {
  let args = request.requirements;
  const { projectDir, pyproject } = await readProject(request.project, cwd);
  const checked = defaults.check || defaults.relock ? defaults.recorded : undefined;
  const fromRecord: string[] = [];
  const files = emptyRequirementsFile();
  let requirementPaths = request.requirementFiles.map((p) => resolvePath(cwd, p));
  if (args.length === 0 && requirementPaths.length === 0 && checked?.requirementFiles?.length) {
    requirementPaths = checked.requirementFiles.map((p) => resolvePath(projectDir, p));
    fromRecord.push(`requirement files ${checked.requirementFiles.join(", ")}`);
  }
  for (const path of requirementPaths) await readRequirementsFile(path, { env, baseDir: projectDir }, files);
  let extras: string[];
  let groups: string[];
  let requirements: Requirement[];
  let rootName = "root";
  const explicit = args.length > 0 || requirementPaths.length > 0;
  const hasProject = pyproject && (pyproject.name !== undefined || Object.keys(pyproject.dependencyGroups).length > 0);
  // A lock of command-line requirements has no file to re-read: check it against what it records.
  if (!explicit && !hasProject && checked?.requirements?.length) {
    args = checked.requirements;
    fromRecord.push(`requirements ${args.join(", ")}`);
  }
  if (args.length > 0 || explicit) {
    // Requirements named outside pyproject.toml take the project's extras and groups only when asked.
    extras = request.extras ?? checked?.extras ?? [];
    groups = request.groups ?? checked?.groups ?? [];
    if (!request.extras && checked?.extras?.length) fromRecord.push(`extras ${checked.extras.join(", ")}`);
    if (!request.groups && checked?.groups?.length) fromRecord.push(`groups ${checked.groups.join(", ")}`);
    requirements = [...args.map(parseCliRequirement), ...files.requirements.map((r) => r.requirement)];
    if (pyproject?.name) rootName = pyproject.name;
    if (extras.length || groups.length) {
      if (!pyproject) throw new PystoreError("USAGE", "--extra and --group need a pyproject.toml (--project DIR)");
      requirements.push(...selectableRequirements({ ...pyproject, dependencies: [] }, extras, groups));
    }
  } else if (pyproject && hasProject) {
    if (request.extras?.length || request.groups?.length) {
      throw new PystoreError(
        "USAGE",
        `--extra/--group on lock: every extra and dependency group of ${pyproject.path} is locked, and chosen at install time`,
        { hint: "drop them here and pass them to bundle, fetch or export (e.g. pystore bundle --extra web --group dev)" },
      );
    }
    extras = Object.keys(pyproject.optionalDependencies).sort();
    groups = Object.keys(pyproject.dependencyGroups).sort();
    requirements = selectableRequirements(pyproject, extras, groups);
    rootName = pyproject.name ?? "root";
  } else {
    throw new PystoreError(
      "USAGE",
      `nothing to lock: no requirements given and no pyproject.toml with a [project] table in ${projectDir}`,
      {
        hint: "pass requirements (pystore lock 'requests>=2'), -r requirements.in, or --project DIR",
      },
    );
  }
  // The flag was checked where it was parsed; a lock's recorded mode is checked here.
  const prerelease = (request.prerelease ??
    (files.prerelease ? "allow" : (checked?.prerelease ?? "if-necessary-or-explicit"))) as PrereleaseMode;
  if (request.prerelease === undefined && !files.prerelease && checked?.prerelease) fromRecord.push(`prerelease ${checked.prerelease}`);
  if (!PRERELEASE_MODES.includes(prerelease))
    throw new PystoreError("USAGE", `--prerelease ${JSON.stringify(prerelease)}: use ${PRERELEASE_MODES.join(", ")}`);
  const where = indexSettings(request.index, { files, config: pyproject?.index, checked, environment: !defaults.check });
  if (checked && usesRecordedIndexes(where, checked)) fromRecord.push(where.noIndex ? "--no-index" : `index ${where.indexUrl}`);

  let pairs: { platform: string; python?: string }[];
  const pythons: (string | undefined)[] = request.pythons.length ? request.pythons : [undefined];
  if (request.platforms.length) pairs = request.platforms.flatMap((platform) => pythons.map((python) => ({ platform, python })));
  else if (pyproject?.targets.length)
    pairs = request.pythons.length
      ? pyproject.targets.flatMap((t) => pythons.map((python) => ({ platform: t.platform, python })))
      : pyproject.targets;
  else if (!request.pythons.length && defaults.recorded?.targets.length) {
    pairs = defaults.recorded.targets;
    fromRecord.push(`targets ${pairs.map((t) => `${t.platform}:${t.python}`).join(", ")}`);
  } else pairs = pythons.map((python) => ({ platform: "host", python }));
  for (const added of request.addTargets ?? [])
    if (!pairs.some((p) => p.platform === added.platform && p.python === added.python)) pairs = [...pairs, added];
  const targets = await loadTargets(pairs, projectDir, env);

  const building = isDefaultBuilding(request.building) ? checked?.building : request.building;
  if (isDefaultBuilding(request.building) && checked?.building) fromRecord.push("building flags");
  const excludeNewer = normalizeExcludeNewer(request.excludeNewer) ?? checked?.excludeNewer;
  if (request.excludeNewer === undefined && checked?.excludeNewer) fromRecord.push(`exclude-newer ${checked.excludeNewer}`);
  const inputs: LockInputs = {
    rootName,
    requirements,
    constraints: files.constraints.map((c) => c.requirement),
    requiresPython: pyproject?.requiresPython,
    extras,
    groups,
    targets,
    ...where,
    prerelease,
    excludeNewer,
    requirementFiles: requirementPaths.map((p) => projectRelative(projectDir, p)),
    ...(building && !isDefaultBuilding(building) ? { building } : {}),
  };
  return { inputs, projectDir, pyproject, fromRecord };
}

function isDefaultBuilding(b: LockBuilding | undefined): boolean {
  return !b || (!b.noBuild && !b.noBuildPackages?.length && !b.noBinaryPackages?.length);
}
