// An interpreter from the store carried inside a bundle as OUT/python/: its files linked (or copied) from
// pythons/<entry-name>/python/, its symlinks as plain copies of what they point at (bundles hold no
// symlinks), each file keeping its mtime so the standard library's timestamp-checked bytecode stays valid.

import { lstatSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { resolveLink } from "../store/python-tree.js";
import { type PythonEntry, readEntryFile } from "../store/pythons.js";

export interface EmbeddedFile {
  /** Bundle-relative: "python/…". */
  path: string;
  /** The store's file. */
  source: string;
  sha256: string;
  size: number;
  mode: 0o644 | 0o755;
  /** Seconds since the epoch, as stored. */
  mtime: number;
}

/** Where the launchers look for an embedded interpreter (src/bundle/launch/launcher.sh). */
export const EMBEDDED_EXECUTABLE = "python/bin/python3";

/**
 * The files an embedded interpreter adds to a bundle, sorted by path. Each store file is checked against
 * entry.json with one lstat (size and mtime): an interpreter edited through an earlier bundle's hardlink
 * is refused here rather than copied into a new bundle.
 */
export function embeddedFiles(storeDir: string, entry: PythonEntry): EmbeddedFile[] {
  const recorded = readEntryFile(storeDir, entry.entryName);
  const damaged = (why: string) =>
    new PystoreError("STORE_CORRUPTED", `the stored interpreter ${entry.entryName} ${why}`, {
      hint: "run `pystore store verify`, then add the interpreter again with `pystore python add`",
      details: { entryName: entry.entryName },
    });
  if (!recorded || recorded.sha256 !== entry.sha256) throw damaged("has no entry.json matching its row");
  const byPath = new Map(recorded.files.map((f) => [f.path, f]));
  const out: EmbeddedFile[] = [];
  for (const file of recorded.files) {
    const source = join(entry.dir, file.path);
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(source);
    } catch {
      throw damaged(`is missing ${file.path}`);
    }
    if (!info.isFile() || info.size !== file.size || Math.floor(info.mtimeMs / 1000) !== file.mtime)
      throw damaged(`has a changed ${file.path}`);
    out.push({ path: file.path, source, sha256: file.sha256, size: file.size, mode: file.executable ? 0o755 : 0o644, mtime: file.mtime });
  }
  const links = new Map(recorded.symlinks.map((l) => [l.path, l.target]));
  for (const link of recorded.symlinks) {
    const target = resolveLink(link, new Set(byPath.keys()), links);
    const file = target === undefined ? undefined : byPath.get(target);
    if (!file) throw damaged(`has a symlink ${link.path} that leads nowhere inside it`);
    out.push({
      path: link.path,
      source: join(entry.dir, file.path),
      sha256: file.sha256,
      size: file.size,
      mode: file.executable ? 0o755 : 0o644,
      mtime: file.mtime,
    });
  }
  if (!out.some((f) => f.path === EMBEDDED_EXECUTABLE))
    throw new PystoreError("PYTHON_MISMATCH", `the interpreter ${entry.entryName} has no ${EMBEDDED_EXECUTABLE}, which the launchers run`, {
      hint: "embed a python-build-standalone install_only build (they all have bin/python3)",
    });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
