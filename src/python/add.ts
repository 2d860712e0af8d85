// `python add`: a relocatable CPython (python-build-standalone's install_only layout, as a directory or a
// .tar.gz) copied into the store's tmp/, probed by running it there, then placed by its tree's digest.

import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { extract as extractTar } from "tar";
import * as zlib from "node:zlib";
import { PystoreError } from "../errors.js";
import { placePythonTree, type PythonEntry, type PythonFacts } from "../store/pythons.js";
import { PYTHON_ROOT } from "../store/python-tree.js";
import { removeReadOnly } from "../store/content.js";
import { tmpDir } from "../store/layout.js";
import type { Store } from "../store/store.js";
import { tempName } from "../util/atomic-write.js";
import { probePython } from "./probe.js";

export interface AddPythonResult {
  entry: PythonEntry;
  status: "added" | "present";
}

const HINT = "give a python-build-standalone install_only archive (.tar.gz) or a directory holding python/bin/python3";
/** A writer loses its entry to a concurrent gc at most this often before giving up. */
const COMMIT_ATTEMPTS = 3;

function invalid(path: string, message: string, cause?: unknown): PystoreError {
  return new PystoreError("INVALID_PYTHON", `${path}: ${message}`, { hint: HINT, cause, details: { path } });
}

/** Unpack or copy `source` to `<staging>/python`, keeping file times and symlinks as they are. */
async function stage(source: string, staging: string): Promise<void> {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(source);
  } catch (cause) {
    throw new PystoreError("FILE_NOT_FOUND", `no interpreter at ${JSON.stringify(source)}`, { hint: HINT, cause });
  }
  if (info.isDirectory()) {
    // The directory that holds python/, or python/ itself.
    const root = existsSync(join(source, PYTHON_ROOT, "bin")) ? join(source, PYTHON_ROOT) : source;
    if (!existsSync(join(root, "bin"))) throw invalid(source, "has no python/bin/ directory");
    cpSync(root, join(staging, PYTHON_ROOT), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return;
  }
  if (/\.(tar\.zst|tzst)$/.test(source)) {
    // Node reads zstd only from 22.15 on; a native module for it is not worth an optional format.
    if (typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress !== "function")
      throw invalid(source, `.tar.zst needs Node 22.15 or newer to read (this is Node ${process.versions.node})`);
    throw invalid(source, ".tar.zst is python-build-standalone's `full` layout; use its install_only .tar.gz");
  }
  if (!/\.(tar\.gz|tgz)$/.test(source)) throw invalid(source, "is neither a directory nor a .tar.gz");
  const outside: string[] = [];
  try {
    await extractTar({
      file: source,
      cwd: staging,
      strict: true,
      preserveOwner: false,
      // install_only archives hold one top-level directory, python/: anything else is not this layout.
      filter: (path) => {
        const top = path.replace(/^\.\//, "").split("/")[0];
        if (top !== PYTHON_ROOT) outside.push(path);
        return top === PYTHON_ROOT;
      },
    });
  } catch (cause) {
    throw invalid(source, `is not a readable .tar.gz: ${(cause as Error).message}`, cause);
  }
  if (outside.length > 0) throw invalid(source, `holds ${outside[0]} outside python/ (not the install_only layout)`);
}

/** python/PYTHON.json, python-build-standalone's description of the build, when there is one. */
function readBuildInfo(root: string): Record<string, unknown> | undefined {
  const path = join(root, "PYTHON.json");
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw invalid(path, "is not a JSON object");
}

/** The interpreter to run: python/bin/python3, else the only python3.X beside it. */
function findExecutable(root: string, source: string): string {
  if (existsSync(join(root, "bin", "python3"))) return `${PYTHON_ROOT}/bin/python3`;
  const versioned = readdirSync(join(root, "bin")).filter((n) => /^python3\.\d+$/.test(n));
  if (versioned.length === 1) return `${PYTHON_ROOT}/bin/${versioned[0]}`;
  throw invalid(source, "has no python/bin/python3");
}

export async function addPython(store: Store, source: string): Promise<AddPythonResult> {
  const path = resolve(source);
  const staging = join(tmpDir(store.dir), tempName("python"));
  mkdirSync(staging, { recursive: true });
  try {
    await stage(path, staging);
    const root = join(staging, PYTHON_ROOT);
    const executable = findExecutable(root, path);
    const answer = await probePython(join(staging, executable));
    // A relocatable interpreter finds its standard library relative to itself: here, in tmp/.
    if (answer.prefix !== realpathSync(root))
      throw invalid(path, `is not relocatable: run from ${root}, it uses the standard library under ${answer.prefix}`);
    if (answer.implementation !== "cpython") throw invalid(path, `is ${answer.implementation}; only CPython is supported`);
    const build = readBuildInfo(root);
    const facts: PythonFacts = {
      implementation: answer.implementation,
      version: answer.version,
      python: answer.python,
      os: answer.os,
      machine: answer.machine,
      libc: answer.libc,
      abiflags: answer.abiflags,
      cacheTag: answer.cacheTag,
      executable,
      ...(build ? { build } : {}),
    };
    const before = new Set(store.pythons.list().map((e) => e.sha256));
    for (let attempt = 1; ; attempt++) {
      const { file, entryName } = placePythonTree(store.dir, staging, facts, path);
      const entry = store.pythons.commit(file, entryName);
      if (entry) return { entry, status: before.has(entry.sha256) ? "present" : "added" };
      // A concurrent gc moved the entry away between the rename and the commit: stage it again.
      if (attempt >= COMMIT_ATTEMPTS)
        throw new PystoreError("STORE_IO", `cannot store the interpreter ${path}: its entry kept disappearing before its row committed`);
      mkdirSync(staging, { recursive: true });
      await stage(path, staging);
    }
  } finally {
    removeReadOnly(staging);
  }
}
