// A local project (`name @ ./libs/name`, `name @ file:///…/name`) as an sdist: its tree packed the one
// canonical way (sorted members, fixed times and owners, no VCS or build debris), so the same tree always
// gives the same bytes and its sha256 is the source's identity, like a path in Nix.

import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { isValidVersion } from "../standards/pep440.js";
import { compareStrings } from "../util/order.js";
import { tarGzOf } from "./tar-write.js";

/** Directories and files a source tree carries that are not source (VCS data, caches, earlier builds). */
const SKIPPED_DIRS = new Set([
  ".git",
  ".hg",
  ".svn",
  ".bzr",
  "__pycache__",
  ".venv",
  "venv",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  "build",
  "dist",
  "node_modules",
]);
const SKIPPED_FILE = /\.(pyc|pyo)$/;

export interface PackedSource {
  filename: string;
  bytes: Buffer;
  version: string;
}

function fail(label: string, why: string): PystoreError {
  return new PystoreError("INVALID_REQUIREMENT", `${label}: ${why}`, {
    hint: "a local project needs a pyproject.toml with a static [project] name and version (not listed in dynamic)",
  });
}

/** The project's static name and version from its pyproject.toml. */
export function localProjectIdentity(dir: string, label: string): { name: string; version: string } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(join(dir, "pyproject.toml"), "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw fail(label, `cannot read ${join(dir, "pyproject.toml")}: ${(error as Error).message.split("\n")[0]}`);
  }
  const project = doc.project as Record<string, unknown> | undefined;
  const dynamic = (project?.dynamic as string[] | undefined) ?? [];
  const name = project?.name;
  const version = project?.version;
  if (typeof name !== "string") throw fail(label, "its pyproject.toml has no [project] name");
  if (typeof version !== "string" || dynamic.includes("version") || !isValidVersion(version))
    throw fail(label, "its pyproject.toml has no static, valid [project] version");
  return { name, version };
}

/** Pack `dir` as `{name}-{version}.tar.gz`: regular files only (a symlink is refused), sorted, time 0, mode 0644/0755. */
export function packSourceTree(dir: string, expectedName: string, label: string): PackedSource {
  const { name, version } = localProjectIdentity(dir, label);
  if (canonicalizeName(name) !== canonicalizeName(expectedName)) throw fail(label, `the project there is ${name}, not ${expectedName}`);
  const top = `${canonicalizeName(name).replace(/-/g, "_")}-${version}`;
  const files: { path: string; data: Buffer; executable: boolean }[] = [];
  const walk = (rel: string) => {
    const names = readdirSync(join(dir, rel)).sort(compareStrings);
    for (const entry of names) {
      const path = rel ? `${rel}/${entry}` : entry;
      const info = lstatSync(join(dir, path));
      if (info.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry) && !entry.endsWith(".egg-info")) walk(path);
      } else if (info.isFile()) {
        if (!SKIPPED_FILE.test(entry)) files.push({ path, data: readFileSync(join(dir, path)), executable: (info.mode & 0o111) !== 0 });
      } else if (info.isSymbolicLink()) {
        throw new PystoreError("UNSAFE_SDIST", `${label}: ${path} is a symbolic link; local projects are packed from regular files only`, {
          hint: "replace the link by the file it points to, or build a wheel and require that instead",
        });
      }
    }
  };
  walk("");
  return { filename: `${top}.tar.gz`, version, bytes: tarGzOf(top, files) };
}
