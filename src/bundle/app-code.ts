// The project's own code in a bundle, without building or installing it: pyproject.toml's
// [project] and [tool.pystore] (libs, scripts) read, and the library directories copied into app/libs/.

import { copyFile, lstat, mkdir, readFile, readdir, stat, chmod } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { parse as parseToml } from "smol-toml";
import { PystoreError } from "../errors.js";
import { checkRelativePath } from "./safety.js";

export interface LibDir {
  /** As written in pyproject.toml ("src", "../common-lib"), or "." for a flat layout. */
  declared: string;
  source: string;
  /** Bundle-relative directory that becomes one sys.path entry, e.g. "app/libs/src". */
  bundlePath: string;
  /** Flat layouts copy only packages and modules, not the whole project directory. */
  flat: boolean;
}

export interface ProjectInfo {
  dir: string;
  name: string;
  libs: LibDir[];
  /** [project.scripts] */
  projectScripts: Record<string, string>;
  /** [tool.pystore.scripts] */
  toolScripts: Record<string, string>;
}

const SKIP_NAMES = new Set(["__pycache__", "node_modules", "build", "dist"]);
const FLAT_SKIP_MODULES = new Set(["setup.py", "conftest.py", "noxfile.py", "fabfile.py"]);
const FLAT_SKIP_PACKAGES = new Set(["tests", "test", "docs", "examples"]);

function invalid(source: string, message: string, hint?: string): PystoreError {
  return new PystoreError("INVALID_PYPROJECT", `${source}: ${message}`, { hint });
}

function stringTable(value: unknown, source: string, key: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(source, `${key} must be a table of strings`);
  const result: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalid(source, `${key}.${k} must be a string, got ${JSON.stringify(v)}`);
    result[k] = v;
  }
  return result;
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
  let doc: Record<string, any> = {};
  try {
    const text = await readFile(pyprojectPath, "utf8");
    try {
      doc = parseToml(text) as Record<string, any>;
    } catch (cause) {
      throw invalid(pyprojectPath, `not valid TOML: ${(cause as Error).message}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const project = (doc.project ?? {}) as Record<string, unknown>;
  const tool = ((doc.tool ?? {}) as Record<string, any>).pystore ?? {};
  const name = typeof project.name === "string" ? project.name : "app";
  const libsValue = tool.libs;
  let declared: string[];
  if (libsValue !== undefined) {
    if (!Array.isArray(libsValue) || libsValue.some((v) => typeof v !== "string"))
      throw invalid(pyprojectPath, "[tool.pystore] libs must be an array of directory paths");
    declared = libsValue as string[];
  } else {
    declared = (await isDir(join(projectDir, "src"))) ? ["src"] : ["."];
  }
  const libs: LibDir[] = [];
  const labels = new Set<string>();
  for (const entry of declared) {
    const source = resolve(projectDir, entry);
    if (!(await isDir(source)))
      throw invalid(pyprojectPath, `[tool.pystore] libs entry ${JSON.stringify(entry)} is not a directory (${source})`);
    let label = libLabel(entry);
    for (let i = 2; labels.has(label); i++) label = `${libLabel(entry)}-${i}`;
    labels.add(label);
    libs.push({ declared: entry, source, bundlePath: `app/libs/${label}`, flat: libsValue === undefined && entry === "." });
  }
  return {
    dir: projectDir,
    name,
    libs,
    projectScripts: stringTable(project.scripts, pyprojectPath, "[project.scripts]"),
    toolScripts: stringTable(tool.scripts, pyprojectPath, "[tool.pystore.scripts]"),
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

/** Copy every lib directory into `root`; returns the bundle-relative sys.path entries in declaration order. */
export async function copyAppCode(project: ProjectInfo, root: string, exclude: string[]): Promise<string[]> {
  for (const lib of project.libs) {
    for (const file of await collect(lib, exclude)) await copyInto(root, file);
    await mkdir(join(root, lib.bundlePath), { recursive: true });
  }
  return project.libs.map((lib) => lib.bundlePath);
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
