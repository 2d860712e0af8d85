// Interpreters in closure archives (store-format/closure-archive.md): each one travels as its canonical
// tar, `pythons/<sha256>.tar`, whose bytes are its identity; import unpacks it, hashes the unpacked tree
// the same way, and places it only when that reproduces the member byte for byte.

import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { extract as extractTar } from "tar";
import { PystoreError } from "../errors.js";
import { canonicalTar, listPythonTree, PYTHON_ROOT, pythonTreeDigest } from "./python-tree.js";
import { placePythonTree, type PythonEntry, type PythonFacts, readEntryFile } from "./pythons.js";
import type { Store } from "./store.js";

/** A stored interpreter as a closure manifest lists it. */
export interface ClosurePython {
  sha256: string;
  size: number;
  entryName: string;
  facts: PythonFacts;
}

export const PYTHON_MEMBER_PATH = /^pythons\/([0-9a-f]{64})\.tar$/;

export function pythonMemberPath(sha256: string): string {
  return `pythons/${sha256}.tar`;
}

export function toClosurePython(entry: PythonEntry): ClosurePython {
  const { sha256, size, entryName, dir: _dir, files: _files, addedAt: _addedAt, ...facts } = entry;
  return { sha256, size, entryName, facts };
}

/**
 * Write an interpreter's canonical tar to `path`, hashing as it goes: a tree that no longer hashes to its
 * row is refused (STORE_CORRUPTED), so an export never carries an edited interpreter.
 */
export function writePythonMember(storeDir: string, entry: PythonEntry, path: string): void {
  const recorded = readEntryFile(storeDir, entry.entryName);
  const listing = listPythonTree(entry.dir);
  const hash = createHash("sha256");
  let size = 0;
  const fd = openSync(path, "wx", 0o444);
  try {
    for (const chunk of canonicalTar(listing, (p) => readFileSync(join(entry.dir, p)))) {
      hash.update(chunk);
      size += chunk.length;
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest("hex");
  if (sha256 !== entry.sha256 || size !== entry.size || recorded?.sha256 !== entry.sha256)
    throw new PystoreError("STORE_CORRUPTED", `the stored interpreter ${entry.entryName} no longer hashes to its row (${sha256})`, {
      hint: "run `pystore store verify`, then add the interpreter again with `pystore python add`",
    });
}

/**
 * Unpack a verified closure member (its bytes already matched the manifest's sha256) into `staging`:
 * files, directories and symlinks under python/ only, and the unpacked tree must hash back to the same
 * sha256, so a tar that is not canonical is refused. Nothing reaches pythons/ here.
 */
export async function stagePythonMember(
  member: string,
  staging: string,
  python: ClosurePython,
  tampered: (why: string) => PystoreError,
): Promise<void> {
  mkdirSync(staging, { recursive: true });
  const refused: string[] = [];
  await extractTar({
    file: member,
    cwd: staging,
    strict: true,
    preserveOwner: false,
    filter: (path, entry) => {
      const type = "type" in entry ? entry.type : "File";
      const inside = path === `${PYTHON_ROOT}/` || path.startsWith(`${PYTHON_ROOT}/`);
      const ok = inside && (type === "File" || type === "Directory" || type === "SymbolicLink");
      if (!ok) refused.push(path);
      return ok;
    },
  });
  if (refused.length > 0) throw tampered(`holds ${JSON.stringify(refused[0])}, which an interpreter's tar never has`);
  const found = pythonTreeDigest(staging, listPythonTree(staging, member)).sha256;
  if (found !== python.sha256)
    throw tampered(`unpacks to a tree hashing to ${found}, not its own sha256 (not a canonical interpreter tar)`);
}

/** Place a staged interpreter (stagePythonMember) and commit its row; one the store holds is left alone. */
export function placeStagedPython(
  store: Store,
  staging: string,
  python: ClosurePython,
): { entry: PythonEntry; status: "added" | "present" } {
  const before = store.pythons.get(python.sha256);
  if (before) return { entry: before, status: "present" };
  const { file, entryName } = placePythonTree(store.dir, staging, python.facts);
  const entry = store.pythons.commit(file, entryName);
  if (!entry) throw new PystoreError("STORE_IO", `cannot store the interpreter ${entryName}: its entry vanished before its row committed`);
  return { entry, status: "added" };
}
