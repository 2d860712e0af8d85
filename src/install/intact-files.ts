// The intact check of an unpacked tree (damagedTreeFile's test, src/store/tree.ts) over a packed copy of
// its index, so that a thread linking the tree into a bundle can run it just before it links.

import { createHash } from "node:crypto";
import { lstatSync, readFileSync, type Stats } from "node:fs";

/** What the check needs of an unpacked tree (src/store/tree.ts `Tree`): where its files are, and its index. */
export interface IndexedFiles {
  filesDir: string;
  index: { files: readonly { path: string; sha256: string; size: number; executable: boolean; ino: number; mtimeMs: number }[] };
}

/**
 * A tree's index as a few strings and typed arrays: posting thousands of small objects to a thread costs
 * a structured clone of each, these cost one copy per array.
 */
export interface PackedTreeFiles {
  filesDir: string;
  /** Archive paths joined by "\0" (the wheel reader refuses a NUL in a member name). */
  paths: string;
  sizes: Float64Array;
  inos: Float64Array;
  mtimes: Float64Array;
  /** 1 where the member is executable (mode 0555), else 0. */
  executable: Uint8Array;
  /** Lower-case hex digests, 64 characters each, one after another in the order of `paths`. */
  sha256s: string;
}

export function packTreeFiles(tree: IndexedFiles): PackedTreeFiles {
  const files = tree.index.files;
  const sizes = new Float64Array(files.length);
  const inos = new Float64Array(files.length);
  const mtimes = new Float64Array(files.length);
  const executable = new Uint8Array(files.length);
  const paths: string[] = new Array(files.length);
  const digests: string[] = new Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    paths[i] = file.path;
    digests[i] = file.sha256;
    sizes[i] = file.size;
    inos[i] = file.ino;
    mtimes[i] = file.mtimeMs;
    executable[i] = file.executable ? 1 : 0;
  }
  return { filesDir: tree.filesDir, paths: paths.join("\0"), sizes, inos, mtimes, sha256s: digests.join(""), executable };
}

/**
 * The first file of the tree that is not what extraction wrote, or undefined: the same test as
 * damagedTreeFile (size, inode and mtime first, one lstat per file; the bytes hashed when those differ,
 * so a touch or a same-bytes copy is not damage).
 */
export function firstDamaged(packed: PackedTreeFiles): string | undefined {
  const { filesDir, sizes, inos, mtimes, sha256s } = packed;
  if (sizes.length === 0) return undefined;
  let start = 0;
  for (let i = 0; i < sizes.length; i++) {
    const end = packed.paths.indexOf("\0", start);
    const path = end < 0 ? packed.paths.slice(start) : packed.paths.slice(start, end);
    start = end + 1;
    const expected = {
      size: sizes[i],
      ino: inos[i],
      mtimeMs: mtimes[i],
      sha256: sha256s.slice(64 * i, 64 * i + 64),
      executable: packed.executable[i] === 1,
    };
    if (fileChanged(`${filesDir}/${path}`, expected)) return path;
  }
  return undefined;
}

/**
 * Whether the tree file at `location` is no longer what extraction wrote: missing, not a file, another
 * size or execute bit (a chmod through a bundle's hard link needs no root), or another inode or mtime and
 * bytes that no longer hash to `sha256`.
 */
export function fileChanged(
  location: string,
  { size, ino, mtimeMs, sha256, executable }: { size: number; ino: number; mtimeMs: number; sha256: string; executable: boolean },
): boolean {
  let info: Stats | undefined;
  try {
    info = lstatSync(location, { throwIfNoEntry: false });
  } catch {
    return true;
  }
  if (info === undefined || !info.isFile() || info.size !== size || ((info.mode & 0o111) !== 0) !== executable) return true;
  if (info.ino === ino && info.mtimeMs === mtimeMs) return false;
  let bytes: Buffer;
  try {
    bytes = readFileSync(location);
  } catch {
    return true;
  }
  return createHash("sha256").update(bytes).digest("hex") !== sha256;
}
