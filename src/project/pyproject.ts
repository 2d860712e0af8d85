// The one pyproject.toml reader, for lock and bundle alike: [project] (name, dependencies, optional-dependencies,
// requires-python, scripts), PEP 735 [dependency-groups] (with include-group) and pystore's [tool.pystore] table.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { PystoreError } from "../errors.js";
import { canonicalizeName, isValidProjectName } from "../standards/normalize.js";
import { parseSpecifierSet } from "../standards/pep440.js";
import { formatRequirement, markerAnd, parseMarker, parseRequirement, type Requirement } from "../standards/pep508.js";
import { byKey } from "../util/order.js";
import { takeParsed } from "../util/parsed-once.js";
import { type PyprojectService, parseServices } from "./services.js";

export interface PyprojectTarget {
  platform: string;
  python?: string;
}

/** [tool.pystore] index settings (docs/indexes.md); command-line flags override them. */
export interface PyprojectIndexConfig {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  indexStrategy?: "first-index" | "unsafe-best-match";
  noIndex: boolean;
  /** Canonical project name → index URL (or index directory, relative to the project). */
  indexPins: Record<string, string>;
}

export interface Pyproject {
  path: string;
  name?: string;
  requiresPython?: string;
  dependencies: string[];
  optionalDependencies: Record<string, string[]>;
  /** Group name (normalized) → entries: requirement strings or { "include-group": name }. */
  dependencyGroups: Record<string, (string | { "include-group": string })[]>;
  /** [tool.pystore] targets. */
  targets: PyprojectTarget[];
  /** [project] dynamic: fields a build backend computes (lock refuses dynamic dependencies). */
  dynamic: string[];
  /** [project.scripts]: console script name → "module:function". */
  scripts: Record<string, string>;
  /** [tool.pystore] index-url, extra-index-urls, find-links, index-strategy, no-index, index-pins. */
  index: PyprojectIndexConfig;
  /** [tool.pystore] libs: directories of the project's own code, relative to the project (absent: by layout). */
  libs?: string[];
  /** [tool.pystore] data: files and directories the app reads at run time, copied to app/data/ in a bundle. */
  data?: string[];
  /** [tool.pystore.scripts]: executable name → script file or "module:function". */
  toolScripts: Record<string, string>;
  /** [tool.pystore] remote-stores: `oci://` references `fetch` and `bundle` consult before any index. */
  remoteStores?: string[];
  /** [tool.pystore.services]: executable name → how its systemd unit runs; undefined without the table. */
  services?: Record<string, PyprojectService>;
  /** The rest of [tool.pystore], for keys a later version understands. */
  tool: Record<string, unknown>;
}

function invalid(path: string, message: string): PystoreError {
  return new PystoreError("INVALID_PYPROJECT", `${path}: ${message}`);
}

function stringList(value: unknown, where: string, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw invalid(path, `${where} must be an array of strings`);
  return value as string[];
}

function stringTable(value: unknown, path: string, key: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(path, `${key} must be a table of strings`);
  const result: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalid(path, `${key}.${k} must be a string, got ${JSON.stringify(v)}`);
    result[k] = v;
  }
  return result;
}

/** Dynamic dependencies exist only after running the build backend, which pystore does not do. */
export function assertStaticDependencies(project: Pyproject): void {
  const dynamic = project.dynamic.filter((d) => d === "dependencies" || d === "optional-dependencies");
  if (dynamic.length > 0) {
    throw invalid(
      project.path,
      `project.dynamic lists ${project.dynamic.filter((d) => d.includes("dependencies")).join(" and ")}; pystore reads static dependencies only`,
    );
  }
}

/** The pyproject.toml in `dir`, or undefined when there is none. */
export async function readPyproject(dir: string): Promise<Pyproject | undefined> {
  const path = join(dir, "pyproject.toml");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PystoreError("FILE_NOT_FOUND", `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parsePyproject(text, path);
}

export function parsePyproject(text: string, path = "pyproject.toml"): Pyproject {
  // The settings (src/config/load.ts) usually parsed this very text first.
  let doc = takeParsed(path, text) as Record<string, unknown> | undefined;
  try {
    doc ??= parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw invalid(path, `not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
  const project = (doc.project ?? {}) as Record<string, unknown>;
  if (typeof project !== "object" || Array.isArray(project)) throw invalid(path, "[project] must be a table");
  const name = project.name;
  if (name !== undefined && (typeof name !== "string" || !isValidProjectName(name)))
    throw invalid(path, `project.name ${JSON.stringify(name)} is not a valid project name`);
  const requiresPython = project["requires-python"];
  if (requiresPython !== undefined) {
    if (typeof requiresPython !== "string") throw invalid(path, "project.requires-python must be a string");
    parseSpecifierSet(requiresPython);
  }
  const dynamic = stringList(project.dynamic, "project.dynamic", path);
  const dependencies = stringList(project.dependencies, "project.dependencies", path);
  const optionalDependencies: Record<string, string[]> = {};
  const optional = project["optional-dependencies"] ?? {};
  if (typeof optional !== "object" || Array.isArray(optional)) throw invalid(path, "project.optional-dependencies must be a table");
  for (const [extra, reqs] of Object.entries(optional as Record<string, unknown>)) {
    optionalDependencies[canonicalizeName(extra)] = stringList(reqs, `project.optional-dependencies.${extra}`, path);
  }
  const dependencyGroups: Pyproject["dependencyGroups"] = {};
  const groups = doc["dependency-groups"] ?? {};
  if (typeof groups !== "object" || Array.isArray(groups)) throw invalid(path, "[dependency-groups] must be a table");
  for (const [group, entries] of Object.entries(groups as Record<string, unknown>)) {
    const key = canonicalizeName(group);
    if (dependencyGroups[key])
      throw invalid(path, `dependency group ${JSON.stringify(group)} is defined twice (names are compared normalized)`);
    if (!Array.isArray(entries)) throw invalid(path, `dependency-groups.${group} must be an array`);
    dependencyGroups[key] = entries.map((entry, i) => {
      if (typeof entry === "string") return entry;
      if (
        entry &&
        typeof entry === "object" &&
        typeof (entry as Record<string, unknown>)["include-group"] === "string" &&
        Object.keys(entry).length === 1
      ) {
        return { "include-group": (entry as Record<string, string>)["include-group"] };
      }
      throw invalid(path, `dependency-groups.${group}[${i}] must be a requirement string or {include-group = "name"}`);
    });
  }
  const toolTable = ((doc.tool as Record<string, unknown> | undefined)?.pystore ?? {}) as Record<string, unknown>;
  const targets: PyprojectTarget[] = [];
  const rawTargets = toolTable.targets;
  if (rawTargets !== undefined) {
    if (!Array.isArray(rawTargets)) throw invalid(path, "tool.pystore.targets must be an array of {platform, python} tables");
    rawTargets.forEach((t, i) => {
      const where = `tool.pystore.targets[${i}]`;
      if (!t || typeof t !== "object" || typeof (t as Record<string, unknown>).platform !== "string")
        throw invalid(path, `${where} needs a platform string`);
      const { platform, python } = t as Record<string, unknown>;
      const pythons = python === undefined ? [undefined] : Array.isArray(python) ? python : [python];
      for (const p of pythons) {
        if (p !== undefined && typeof p !== "string") throw invalid(path, `${where}.python must be a string or an array of strings`);
        targets.push({ platform: platform as string, python: p as string | undefined });
      }
    });
  }
  const index = parseIndexConfig(toolTable, path);
  const libs = toolTable.libs;
  if (libs !== undefined && (!Array.isArray(libs) || libs.some((v) => typeof v !== "string")))
    throw invalid(path, "[tool.pystore] libs must be an array of directory paths");
  const data = toolTable.data;
  if (data !== undefined && (!Array.isArray(data) || data.some((v) => typeof v !== "string" || v.trim() === "")))
    throw invalid(path, '[tool.pystore] data must be an array of file or directory paths (e.g. data = ["etc/app.ini", "templates/"])');
  const services = parseServices(toolTable.services, path);
  const remoteStores = stringList(toolTable["remote-stores"], "tool.pystore.remote-stores", path);
  const {
    targets: _t,
    "index-url": _i,
    "extra-index-urls": _e,
    "find-links": _f,
    "index-strategy": _s,
    "no-index": _n,
    "index-pins": _p,
    libs: _l,
    data: _d,
    scripts: _c,
    services: _v,
    "remote-stores": _r,
    ...tool
  } = toolTable;
  return {
    path,
    name: name as string | undefined,
    requiresPython: requiresPython as string | undefined,
    dependencies,
    optionalDependencies,
    dependencyGroups,
    targets,
    dynamic,
    scripts: stringTable(project.scripts, path, "[project.scripts]"),
    index,
    libs: libs as string[] | undefined,
    ...(data !== undefined ? { data: data as string[] } : {}),
    toolScripts: stringTable(toolTable.scripts, path, "[tool.pystore.scripts]"),
    ...(services ? { services } : {}),
    ...(remoteStores.length > 0 ? { remoteStores } : {}),
    tool,
  };
}

function parseIndexConfig(table: Record<string, unknown>, path: string): PyprojectIndexConfig {
  const indexUrl = table["index-url"];
  if (indexUrl !== undefined && (typeof indexUrl !== "string" || indexUrl.trim() === ""))
    throw invalid(path, "tool.pystore.index-url must be a non-empty string");
  const strategy = table["index-strategy"];
  if (strategy !== undefined && strategy !== "first-index" && strategy !== "unsafe-best-match") {
    throw invalid(path, `tool.pystore.index-strategy ${JSON.stringify(strategy)} must be "first-index" or "unsafe-best-match"`);
  }
  const noIndex = table["no-index"] ?? false;
  if (typeof noIndex !== "boolean") throw invalid(path, "tool.pystore.no-index must be true or false");
  const rawPins = table["index-pins"] ?? {};
  if (typeof rawPins !== "object" || rawPins === null || Array.isArray(rawPins)) {
    throw invalid(
      path,
      'tool.pystore.index-pins must be a table of project = "index URL" (e.g. index-pins = { internal-lib = "https://nexus.example/simple/" })',
    );
  }
  const indexPins: Record<string, string> = {};
  for (const [project, url] of Object.entries(rawPins as Record<string, unknown>)) {
    if (!isValidProjectName(project))
      throw invalid(path, `tool.pystore.index-pins: ${JSON.stringify(project)} is not a valid project name`);
    if (typeof url !== "string" || url.trim() === "") throw invalid(path, `tool.pystore.index-pins.${project} must be an index URL string`);
    const key = canonicalizeName(project);
    if (indexPins[key] !== undefined && indexPins[key] !== url)
      throw invalid(path, `tool.pystore.index-pins pins ${JSON.stringify(key)} twice (names are compared normalized)`);
    indexPins[key] = url;
  }
  return {
    indexUrl: indexUrl as string | undefined,
    extraIndexUrls: stringList(table["extra-index-urls"], "tool.pystore.extra-index-urls", path),
    findLinks: stringList(table["find-links"], "tool.pystore.find-links", path),
    indexStrategy: strategy as PyprojectIndexConfig["indexStrategy"],
    noIndex,
    indexPins,
  };
}

function parseAt(text: string, where: string, path: string): Requirement {
  try {
    return parseRequirement(text);
  } catch (error) {
    throw new PystoreError("INVALID_PYPROJECT", `${path}: ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** PEP 735: a group's requirements with include-group expanded; cycles and unknown groups are errors. */
export function groupRequirements(project: Pyproject, group: string, stack: string[] = []): string[] {
  const key = canonicalizeName(group);
  const entries = project.dependencyGroups[key];
  if (!entries)
    throw invalid(
      project.path,
      `unknown dependency group ${JSON.stringify(group)} (defined: ${Object.keys(project.dependencyGroups).sort().join(", ") || "none"})`,
    );
  if (stack.includes(key)) throw invalid(project.path, `dependency group cycle: ${[...stack, key].join(" -> ")}`);
  return entries.flatMap((e) => (typeof e === "string" ? [e] : groupRequirements(project, e["include-group"], [...stack, key])));
}

/**
 * The root requirements for a lock: dependencies, the chosen extras and groups. A requirement on the
 * project itself (`app[extra]`, e.g. an "all" extra) is expanded into that extra's requirements.
 */
export function projectRequirements(project: Pyproject, extras: string[], groups: string[]): Requirement[] {
  const own = project.name ? canonicalizeName(project.name) : undefined;
  const out = new Map<string, Requirement>();
  const seenExtras = new Set<string>();
  const add = (text: string, where: string) => {
    const req = parseAt(text, where, project.path);
    if (own !== undefined && canonicalizeName(req.name) === own) {
      for (const extra of req.extras) addExtra(extra, where);
      return;
    }
    out.set(formatRequirement(req), req);
  };
  const addExtra = (extra: string, where: string) => {
    const key = canonicalizeName(extra);
    if (seenExtras.has(key)) return;
    seenExtras.add(key);
    const reqs = project.optionalDependencies[key];
    if (!reqs)
      throw invalid(
        project.path,
        `${where}: unknown extra ${JSON.stringify(extra)} (defined: ${Object.keys(project.optionalDependencies).sort().join(", ") || "none"})`,
      );
    for (const [i, r] of reqs.entries()) add(r, `project.optional-dependencies.${key}[${i}]`);
  };
  for (const [i, r] of project.dependencies.entries()) add(r, `project.dependencies[${i}]`);
  for (const extra of extras) addExtra(extra, "--extra");
  for (const group of groups) {
    for (const [i, r] of groupRequirements(project, group).entries()) add(r, `dependency-groups.${canonicalizeName(group)}[${i}]`);
  }
  return [...out.entries()].sort(byKey(([key]) => key)).map(([, r]) => r);
}

/**
 * The root requirements of a lock that keeps extras and groups selectable (PEP 751): the dependencies as
 * they are, and every requirement of `extras` and `groups` behind a marker naming what brings it in
 * (`"web" in extras or "dev" in dependency_groups`), so an installer chooses them later.
 */
export function selectableRequirements(project: Pyproject, extras: string[], groups: string[]): Requirement[] {
  const entries = new Map<string, { req: Requirement; always: boolean; selections: Set<string> }>();
  const add = (reqs: Requirement[], selection?: string) => {
    for (const req of reqs) {
      const key = formatRequirement(req);
      const entry = entries.get(key) ?? { req, always: false, selections: new Set<string>() };
      if (selection === undefined) entry.always = true;
      else entry.selections.add(selection);
      entries.set(key, entry);
    }
  };
  add(projectRequirements(project, [], []));
  const withoutBase = { ...project, dependencies: [] };
  for (const extra of extras) add(projectRequirements(withoutBase, [extra], []), `${JSON.stringify(canonicalizeName(extra))} in extras`);
  for (const group of groups)
    add(projectRequirements(withoutBase, [], [group]), `${JSON.stringify(canonicalizeName(group))} in dependency_groups`);
  return [...entries.entries()].sort(byKey(([key]) => key)).map(([, { req, always, selections }]) => {
    if (always) return req;
    const chosen = parseMarker([...selections].sort().join(" or "));
    return { ...req, marker: markerAnd(chosen, req.marker) };
  });
}
