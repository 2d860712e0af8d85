// Where a project's packages come from: flags, requirements-file lines, PYSTORE_* variables and
// [tool.pystore] merged in one precedence (docs/indexes.md), shared by `lock` and `index show`.

import { resolve as resolvePath } from "node:path";
import { existsSync } from "node:fs";
import { PystoreError } from "../errors.js";
import { DEFAULT_INDEX_URL, type IndexRequest, type IndexSettings } from "../index-client/settings.js";
import { type PyprojectIndexConfig, assertStaticDependencies, readPyproject, type Pyproject } from "../project/pyproject.js";
import type { RecordedInputs } from "./recorded.js";

export type { IndexSettings } from "../index-client/settings.js";

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
  /** `lock --check` and a re-lock: what the lock records stands in for the defaults. */
  checked?: RecordedInputs;
  /** False (`lock --check`): the record stands in for the environment too. Default: consulted unless `checked`. */
  environment?: boolean;
}

/**
 * pip's precedence with the command line first: flag > requirements file > environment > [tool.pystore] >
 * PyPI. Extra indexes and find-links add up (flag, or else the variable; then the files; then the config).
 */
export function indexSettings(request: IndexRequest, sources: IndexSettingSources = {}): IndexSettings {
  const { files, config, checked } = sources;
  // `lock --check` compares with what the lock records, never with this machine's variables.
  const useEnv = sources.environment ?? !checked;
  const env = useEnv ? request.env : { extraIndexUrls: [], noIndex: false, indexUrl: undefined };
  const indexStrategy = request.strategy ?? config?.indexStrategy ?? checked?.indexStrategy ?? "first-index";
  const indexUrl = request.indexUrl ?? files?.indexUrl ?? env.indexUrl ?? config?.indexUrl ?? checked?.indexUrl ?? DEFAULT_INDEX_URL;
  const flagExtra = request.extraIndexUrls.length ? request.extraIndexUrls : env.extraIndexUrls;
  let extraIndexUrls = [...new Set([...flagExtra, ...(files?.extraIndexUrls ?? []), ...(config?.extraIndexUrls ?? [])])];
  if (checked && extraIndexUrls.length === 0) extraIndexUrls = checked.extraIndexUrls ?? [];
  let findLinks = [...new Set([...request.findLinks, ...(files?.findLinks ?? []), ...(config?.findLinks ?? [])])];
  if (checked && findLinks.length === 0) findLinks = checked.findLinks ?? [];
  // An index flag given to --check means "compare with these indexes", so the recorded --no-index yields to it.
  const recordedNoIndex =
    checked?.noIndex === true && request.indexUrl === undefined && !request.extraIndexUrls.length && env.indexUrl === undefined;
  const noIndex = request.noIndex || env.noIndex || recordedNoIndex || (files?.noIndex ?? false) || (config?.noIndex ?? false);
  return { indexUrl, extraIndexUrls, findLinks, indexStrategy, noIndex, indexPins: config?.indexPins ?? {} };
}

/** The project directory (--project, else cwd) and its pyproject.toml, if it has one. */
export async function readProject(project: string | undefined, cwd: string): Promise<{ projectDir: string; pyproject?: Pyproject }> {
  const projectDir = resolvePath(cwd, project ?? ".");
  if (project !== undefined && !existsSync(projectDir))
    throw new PystoreError("FILE_NOT_FOUND", `project directory ${JSON.stringify(project)} does not exist`);
  const pyproject = await readPyproject(projectDir);
  if (pyproject) assertStaticDependencies(pyproject);
  return { projectDir, pyproject };
}
