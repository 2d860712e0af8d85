// Where a project's packages come from: flags, requirements-file lines, PYSTORE_* variables and
// [tool.pystore] merged in one precedence (docs/indexes.md), shared by `lock` and `index show`.

import { resolve as resolvePath } from "node:path";
import { existsSync } from "node:fs";
import { PystoreError } from "../errors.js";
import { DEFAULT_INDEX_URL, type IndexStrategy } from "../index-client/client.js";
import { noIndexFlag, strategyFlag, type IndexCliOptions } from "../index-client/options.js";
import type { PyprojectIndexConfig } from "./pyproject.js";
import { readPyproject, type Pyproject } from "./pyproject.js";
import type { RecordedInputs } from "./recorded.js";

export interface IndexSettings {
  indexUrl: string;
  extraIndexUrls: string[];
  findLinks: string[];
  indexStrategy: IndexStrategy;
  noIndex: boolean;
  /** Canonical project name → the only index it may come from. */
  indexPins: Record<string, string>;
}

/** Index lines gathered from requirements files (-i, --extra-index-url, -f, --no-index). */
export interface FileIndexLines {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  noIndex: boolean;
}

export interface IndexSettingSources {
  files?: FileIndexLines;
  config?: PyprojectIndexConfig;
  /** `lock --check`: what the lock records stands in for the environment and the defaults. */
  checked?: RecordedInputs;
}

/**
 * pip's precedence with the command line first: flag > requirements file > environment > [tool.pystore] >
 * PyPI. Extra indexes and find-links add up (flag, or else the variable; then the files; then the config).
 */
export function indexSettings(flags: IndexCliOptions, env: NodeJS.ProcessEnv, sources: IndexSettingSources = {}): IndexSettings {
  const { files, config, checked } = sources;
  const indexStrategy = strategyFlag(flags) ?? config?.indexStrategy ?? checked?.indexStrategy ?? "first-index";
  const envIndex = checked ? undefined : env.PYSTORE_INDEX_URL?.trim() || undefined;
  const indexUrl = flags.indexUrl ?? files?.indexUrl ?? envIndex ?? config?.indexUrl ?? checked?.indexUrl ?? DEFAULT_INDEX_URL;
  const envExtra = checked ? [] : (env.PYSTORE_EXTRA_INDEX_URL?.trim().split(/\s+/).filter(Boolean) ?? []);
  const flagExtra = flags.extraIndexUrl?.length ? flags.extraIndexUrl : envExtra;
  let extraIndexUrls = [...new Set([...flagExtra, ...(files?.extraIndexUrls ?? []), ...(config?.extraIndexUrls ?? [])])];
  if (checked && extraIndexUrls.length === 0) extraIndexUrls = checked.extraIndexUrls ?? [];
  let findLinks = [...new Set([...(flags.findLinks ?? []), ...(files?.findLinks ?? []), ...(config?.findLinks ?? [])])];
  if (checked && findLinks.length === 0) findLinks = checked.findLinks ?? [];
  // An index flag given to --check means "compare with these indexes", so the recorded --no-index yields to it.
  const recordedNoIndex = checked?.noIndex === true && flags.indexUrl === undefined && !flags.extraIndexUrl?.length;
  const noIndex =
    (checked ? flags.index === false || recordedNoIndex : noIndexFlag(flags, env)) ||
    (files?.noIndex ?? false) ||
    (config?.noIndex ?? false);
  return { indexUrl, extraIndexUrls, findLinks, indexStrategy, noIndex, indexPins: config?.indexPins ?? {} };
}

/** The project directory (--project, else cwd) and its pyproject.toml, if it has one. */
export async function readProject(project: string | undefined, cwd: string): Promise<{ projectDir: string; pyproject?: Pyproject }> {
  const projectDir = resolvePath(cwd, project ?? ".");
  if (project !== undefined && !existsSync(projectDir))
    throw new PystoreError("FILE_NOT_FOUND", `project directory ${JSON.stringify(project)} does not exist`);
  return { projectDir, pyproject: await readPyproject(projectDir) };
}
