// The project's own code in a bundle, without building or installing it: the project's libs and scripts
// (read by src/project/pyproject.ts), and the library directories copied into app/libs/.

import { copyFile, lstat, mkdir, readdir, stat, chmod } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { PystoreError } from "../errors.js";
import { readPyproject } from "../project/pyproject.js";
import type { PyprojectService } from "../project/services.js";
import { checkRelativePath } from "../wheel/safety.js";

export interface LibDir {
  /** As written in pyproject.toml ("src", "../common-lib"), or "." for a flat layout. */
  declared: string;
  source: string;
  /** Bundle-relative directory that becomes one sys.path entry, e.g. "app/libs/src". */
  bundlePath: string;
  /** Flat layouts copy only packages and modules, not the whole project directory. */
  flat: boolean;
}

/** A [tool.pystore] data entry: a file or directory of the project, copied to app/data/<its path>. */
export interface DataEntry {
  declared: string;
  source: string;
  /** Bundle-relative, e.g. "app/data/etc/app.ini" or "app/data/templates". */
  bundlePath: string;
  directory: boolean;
}

/** Where data files go in a bundle; the launcher exports it as PYSTORE_APP_DATA. */
export const APP_DATA_DIR = "app/data";

export interface ProjectInfo {
  dir: string;
  name: string;
  libs: LibDir[];
  /** [tool.pystore] data, checked to exist inside the project. */
  data: DataEntry[];
  /** [project.scripts] */
  projectScripts: Record<string, string>;
  /** [tool.pystore.scripts] */
  toolScripts: Record<string, string>;
  /** [tool.pystore.services], when the project declares it. */
  services?: Record<string, PyprojectService>;
}

const SKIP_NAMES = new Set(["__pycache__", "node_modules", "build", "dist"]);
const FLAT_SKIP_MODULES = new Set(["setup.py", "conftest.py", "noxfile.py", "fabfile.py"]);
const FLAT_SKIP_PACKAGES = new Set(["tests", "test", "docs", "examples"]);

function invalid(source: string, message: string, hint?: string): PystoreError {
  return new PystoreError("INVALID_PYPROJECT", `${source}: ${message}`, { hint });
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A stable, path-independent directory name for a declared lib ("../common-lib" → "common-lib"). */
function libLabel(declared: string): string {
  const parts = declared.split(/[\\/]+/).filter((p) => p !== "" && p !== "." && p !== "..");
  return parts.length === 0 ? "project" : parts.join("-");
}

/** Read a project directory. A directory without pyproject.toml is a flat project named after nothing in particular. */
export async function readProject(dir: string): Promise<ProjectInfo> {
  const projectDir = resolve(dir);
  if (!(await isDir(projectDir))) throw new PystoreError("FILE_NOT_FOUND", `project directory ${JSON.stringify(dir)} does not exist`);
  const pyprojectPath = join(projectDir, "pyproject.toml");
  const pyproject = await readPyproject(projectDir);
  const declared = pyproject?.libs ?? ((await isDir(join(projectDir, "src"))) ? ["src"] : ["."]);
  const libs: LibDir[] = [];
  const labels = new Set<string>();
  for (const entry of declared) {
    const source = resolve(projectDir, entry);
    if (!(await isDir(source)))
      throw invalid(pyprojectPath, `[tool.pystore] libs entry ${JSON.stringify(entry)} is not a directory (${source})`);
    let label = libLabel(entry);
    for (let i = 2; labels.has(label); i++) label = `${libLabel(entry)}-${i}`;
    labels.add(label);
    libs.push({ declared: entry, source, bundlePath: `app/libs/${label}`, flat: pyproject?.libs === undefined && entry === "." });
  }
  const data: DataEntry[] = [];
  for (const entry of pyproject?.data ?? []) {
    const source = resolve(projectDir, entry);
    const rel = relative(projectDir, source).split(sep).join("/");
    if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel))
      throw invalid(pyprojectPath, `[tool.pystore] data entry ${JSON.stringify(entry)} is not inside the project directory`);
    const info = await stat(source).catch(() => undefined);
    if (!info || !(info.isFile() || info.isDirectory()))
      throw invalid(pyprojectPath, `[tool.pystore] data entry ${JSON.stringify(entry)} does not exist (${source})`);
    data.push({
      declared: entry,
      source,
      bundlePath: `${APP_DATA_DIR}/${checkRelativePath(pyprojectPath, rel)}`,
      directory: info.isDirectory(),
    });
  }
  return {
    dir: projectDir,
    name: pyproject?.name ?? "app",
    libs,
    data,
    projectScripts: pyproject?.scripts ?? {},
    toolScripts: pyproject?.toolScripts ?? {},
    ...(pyproject?.services ? { services: pyproject.services } : {}),
  };
}

export interface CopiedFile {
  /** Bundle-relative path. */
  path: string;
  source: string;
}

/** Files of one lib directory, sorted, skipping VCS metadata, caches, build output and `exclude`d paths. */
async function collect(lib: LibDir, exclude: string[]): Promise<CopiedFile[]> {
  const out: CopiedFile[] = [];
  const excluded = exclude.map((e) => resolve(e));
  async function walk(dir: string, rel: string, depth: number): Promise<void> {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (name.startsWith(".") || SKIP_NAMES.has(name) || name.endsWith(".pyc") || name.endsWith(".egg-info")) continue;
      const full = join(dir, name);
      if (excluded.some((e) => full === e || full.startsWith(e + sep))) continue;
      const info = await stat(full).catch(() => undefined);
      if (!info) continue;
      const relPath = rel === "" ? name : `${rel}/${name}`;
      if (info.isDirectory()) {
        if (lib.flat && depth === 0 && (FLAT_SKIP_PACKAGES.has(name) || !(await stat(join(full, "__init__.py")).catch(() => undefined))))
          continue;
        await walk(full, relPath, depth + 1);
      } else if (info.isFile()) {
        if (lib.flat && depth === 0 && (!name.endsWith(".py") || FLAT_SKIP_MODULES.has(name))) continue;
        out.push({ path: `${lib.bundlePath}/${checkRelativePath(lib.source, relPath)}`, source: full });
      }
    }
  }
  await walk(lib.source, "", 0);
  return out;
}

/** Copy a file into the staging tree with a normalised mode (0755 if any execute bit, else 0644). */
export async function copyInto(root: string, file: CopiedFile): Promise<void> {
  const destination = join(root, file.path);
  await mkdir(dirname(destination), { recursive: true });
  const info = await lstat(file.source);
  await copyFile(file.source, destination, 1 /* COPYFILE_EXCL */);
  await chmod(destination, info.mode & 0o111 ? 0o755 : 0o644);
}

/** Every file under a data directory, sorted, skipping VCS metadata and caches as libs do. */
async function collectData(entry: DataEntry, exclude: string[]): Promise<CopiedFile[]> {
  if (!entry.directory) return [{ path: entry.bundlePath, source: entry.source }];
  const out: CopiedFile[] = [];
  const excluded = exclude.map((e) => resolve(e));
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      if (name.startsWith(".") || name === "__pycache__") continue;
      const full = join(dir, name);
      if (excluded.some((e) => full === e || full.startsWith(e + sep))) continue;
      const info = await stat(full).catch(() => undefined);
      const relPath = rel === "" ? name : `${rel}/${name}`;
      if (info?.isDirectory()) await walk(full, relPath);
      else if (info?.isFile()) out.push({ path: `${entry.bundlePath}/${checkRelativePath(entry.source, relPath)}`, source: full });
    }
  }
  await walk(entry.source, "");
  return out;
}

/**
 * Every lib directory's files (and the lib directories themselves, which exist even when empty), then the
 * data files; `dataDir` is set when the project declares data.
 */
export async function appCodeFiles(
  project: ProjectInfo,
  exclude: string[],
): Promise<{ files: CopiedFile[]; dirs: string[]; dataDir?: string }> {
  const files: CopiedFile[] = [];
  for (const lib of project.libs) files.push(...(await collect(lib, exclude)));
  const data = new Map<string, CopiedFile>();
  for (const entry of project.data) for (const file of await collectData(entry, exclude)) data.set(file.path, file);
  files.push(...[...data.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  return { files, dirs: project.libs.map((lib) => lib.bundlePath), ...(project.data.length > 0 ? { dataDir: APP_DATA_DIR } : {}) };
}

/** Copy every lib directory into `root`; returns the bundle-relative sys.path entries in declaration order. */
export async function copyAppCode(project: ProjectInfo, root: string, exclude: string[]): Promise<string[]> {
  const { files, dirs } = await appCodeFiles(project, exclude);
  for (const file of files) await copyInto(root, file);
  for (const dir of dirs) await mkdir(join(root, dir), { recursive: true });
  return dirs;
}

/** Where a script file from the project lands in the bundle ("bin/thing_a.py" → "app/scripts/bin/thing_a.py"). */
export function scriptBundlePath(project: ProjectInfo, declared: string, source: string): string {
  const rel = relative(project.dir, resolve(project.dir, declared)).split(sep).join("/");
  if (rel.startsWith("../") || rel === "..") {
    throw invalid(
      join(project.dir, "pyproject.toml"),
      `script file ${JSON.stringify(declared)} is outside the project directory`,
      `move it under ${basename(project.dir)}/ or into a lib`,
    );
  }
  return `app/scripts/${checkRelativePath(source, rel)}`;
}
