// Collects a lock's inputs from the command line, requirements files and pyproject.toml, in that
// precedence: explicit flags win over file lines, which win over defaults.

import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { PystoreError } from "../errors.js";
import { DEFAULT_INDEX_URL } from "../index-client/client.js";
import { noIndexFlag, strategyFlag } from "../index-client/options.js";
import { loadTarget } from "../platform/target-loader.js";
import type { PrereleaseMode } from "../resolver/candidates.js";
import { parseRequirement, type Requirement } from "../standards/pep508.js";
import type { Target } from "../standards/targets.js";
import type { LockInputs } from "./inputs.js";
import { projectRequirements, readPyproject, type Pyproject } from "./pyproject.js";
import { emptyRequirementsFile, readRequirementsFile } from "./requirements-file.js";

export interface LockCliOptions {
  project?: string;
  requirement?: string[];
  platform?: string[];
  python?: string[];
  indexUrl?: string;
  extraIndexUrl?: string[];
  findLinks?: string[];
  /** commander's `--no-index`: false when given. */
  index?: boolean;
  indexStrategy?: string;
  prerelease?: string;
  excludeNewer?: string;
  extra?: string[];
  group?: string[];
}

export interface GatheredInputs {
  inputs: LockInputs;
  projectDir: string;
  pyproject?: Pyproject;
}

const PRERELEASE_MODES: PrereleaseMode[] = ["allow", "if-necessary-or-explicit", "disallow"];

function parseCliRequirement(text: string): Requirement {
  try {
    return parseRequirement(text);
  } catch (error) {
    throw new PystoreError("INVALID_REQUIREMENT", (error as Error).message, { cause: error });
  }
}

export function normalizeExcludeNewer(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // A bare date means the end of that day, UTC (as uv reads it).
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59Z` : text;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new PystoreError("USAGE", `--exclude-newer ${JSON.stringify(text)} is not an RFC 3339 timestamp or a YYYY-MM-DD date`, { hint: "e.g. --exclude-newer 2024-06-01T00:00:00Z" });
  }
  return new Date(ms).toISOString();
}

export async function loadTargets(pairs: { platform: string; python?: string }[], cwd: string, env: NodeJS.ProcessEnv): Promise<Target[]> {
  return Promise.all(pairs.map((p) => loadTarget(p.platform, p.python, { cwd, env })));
}

export async function gatherInputs(args: string[], options: LockCliOptions, cwd: string, env: NodeJS.ProcessEnv): Promise<GatheredInputs> {
  const projectDir = resolvePath(cwd, options.project ?? ".");
  if (options.project !== undefined && !existsSync(projectDir)) throw new PystoreError("FILE_NOT_FOUND", `project directory ${JSON.stringify(options.project)} does not exist`);
  const pyproject = await readPyproject(projectDir);
  const files = emptyRequirementsFile();
  for (const path of options.requirement ?? []) await readRequirementsFile(resolvePath(cwd, path), { env, baseDir: projectDir }, files);
  const extras = options.extra ?? [];
  const groups = options.group ?? [];
  let requirements: Requirement[];
  let rootName = "root";
  const explicit = args.length > 0 || (options.requirement ?? []).length > 0;
  if (explicit) {
    requirements = [...args.map(parseCliRequirement), ...files.requirements.map((r) => r.requirement)];
    if (pyproject?.name) rootName = pyproject.name;
    if (extras.length || groups.length) {
      if (!pyproject) throw new PystoreError("USAGE", "--extra and --group need a pyproject.toml (--project DIR)");
      requirements.push(...projectRequirements({ ...pyproject, dependencies: [] }, extras, groups));
    }
  } else if (pyproject && (pyproject.name !== undefined || Object.keys(pyproject.dependencyGroups).length > 0)) {
    requirements = projectRequirements(pyproject, extras, groups);
    rootName = pyproject.name ?? "root";
  } else {
    throw new PystoreError("USAGE", `nothing to lock: no requirements given and no pyproject.toml with a [project] table in ${projectDir}`, {
      hint: "pass requirements (pystore lock 'requests>=2'), -r requirements.in, or --project DIR",
    });
  }
  const prerelease = (options.prerelease ?? (files.prerelease ? "allow" : "if-necessary-or-explicit")) as PrereleaseMode;
  if (!PRERELEASE_MODES.includes(prerelease)) throw new PystoreError("USAGE", `--prerelease ${JSON.stringify(prerelease)}: use ${PRERELEASE_MODES.join(", ")}`);
  const config = pyproject?.index;
  const strategy = strategyFlag(options) ?? config?.indexStrategy ?? "first-index";

  let pairs: { platform: string; python?: string }[];
  const pythons: (string | undefined)[] = options.python?.length ? options.python : [undefined];
  if (options.platform?.length) pairs = options.platform.flatMap((platform) => pythons.map((python) => ({ platform, python })));
  else if (pyproject?.targets.length) pairs = options.python?.length ? pyproject.targets.flatMap((t) => pythons.map((python) => ({ platform: t.platform, python }))) : pyproject.targets;
  else pairs = pythons.map((python) => ({ platform: "host", python }));
  const targets = await loadTargets(pairs, projectDir, env);

  // pip's precedence with the command line first: flag > requirements file > environment > [tool.pystore] >
  // PyPI. Extra indexes and find-links add up (flag, or else the variable; then the files; then the config).
  const indexUrl = options.indexUrl ?? files.indexUrl ?? (env.PYSTORE_INDEX_URL?.trim() || undefined) ?? config?.indexUrl ?? DEFAULT_INDEX_URL;
  const envExtra = env.PYSTORE_EXTRA_INDEX_URL?.trim().split(/\s+/).filter(Boolean) ?? [];
  const flagExtra = options.extraIndexUrl?.length ? options.extraIndexUrl : envExtra;
  const noIndex = noIndexFlag(options, env) || files.noIndex || (config?.noIndex ?? false);
  const inputs: LockInputs = {
    rootName,
    requirements,
    constraints: files.constraints.map((c) => c.requirement),
    requiresPython: pyproject?.requiresPython,
    extras,
    groups,
    targets,
    indexUrl,
    extraIndexUrls: [...new Set([...flagExtra, ...files.extraIndexUrls, ...(config?.extraIndexUrls ?? [])])],
    findLinks: [...new Set([...(options.findLinks ?? []), ...files.findLinks, ...(config?.findLinks ?? [])])],
    indexStrategy: strategy,
    noIndex,
    indexPins: config?.indexPins ?? {},
    prerelease,
    excludeNewer: normalizeExcludeNewer(options.excludeNewer),
  };
  return { inputs, projectDir, pyproject };
}
