// What gc frees by deleting unpacked trees: trees share pool files (store-format/store-layout.md, "The file
// pool"), so a tree's bytes are freed only for the inodes nothing else links.

import { readdirSync, readFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import { lstatOrUndefined } from "../util/fs-errors.js";
import { poolPath } from "./file-pool.js";
import { TREE_FILES, TREE_INDEX, type TreeIndex, treeDir } from "./tree.js";

export interface TreesFreed {
  bytes: number;
  /** Pool inodes whose last tree link is among the doomed trees: the pool sweep must not count them again. */
  pooled: Set<number>;
}

interface Inode {
  size: number;
  nlink: number;
  /** Links to it from the doomed trees. */
  doomed: number;
  /** Whether a pool name links it (one more link that the sweep removes). */
  pooled: boolean;
}

/**
 * Bytes freed by deleting the trees of these entry directories and then sweeping the pool: an inode is
 * freed when every link to it is a doomed tree's file or its pool name. A bundle's hard link keeps it.
 */
export function treesFreed(storeDir: string, entryNames: string[]): TreesFreed {
  const inodes = new Map<number, Inode>();
  const add = (info: Stats, pool: string | undefined) => {
    const known = inodes.get(info.ino);
    if (known) {
      known.doomed++;
      return;
    }
    inodes.set(info.ino, { size: info.size, nlink: info.nlink, doomed: 1, pooled: pool !== undefined && sameInode(pool, info.ino) });
  };
  for (const name of entryNames) {
    const dir = treeDir(storeDir, name);
    const index = readIndex(dir);
    if (index) {
      for (const file of index.files) {
        const info = lstatOrUndefined(`${dir}/${TREE_FILES}/${file.path}`);
        if (info?.isFile()) add(info, file.size > 0 ? poolPath(storeDir, file.sha256, file.executable) : undefined);
      }
    } else {
      // A tree without a readable index (damaged, or a dead writer's): its files by walking them.
      for (const info of walkFiles(join(dir, TREE_FILES))) add(info, undefined);
    }
  }
  const result: TreesFreed = { bytes: 0, pooled: new Set() };
  for (const [ino, inode] of inodes) {
    if (inode.nlink !== inode.doomed + (inode.pooled ? 1 : 0)) continue;
    result.bytes += inode.size;
    if (inode.pooled) result.pooled.add(ino);
  }
  return result;
}

function readIndex(dir: string): TreeIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(join(dir, TREE_INDEX), "utf8")) as TreeIndex;
    return Array.isArray(index.files) ? index : undefined;
  } catch {
    return undefined;
  }
}

function sameInode(path: string, ino: number): boolean {
  return lstatOrUndefined(path)?.ino === ino;
}

function walkFiles(dir: string, out: Stats[] = []): Stats[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const info = lstatOrUndefined(join(dir, name));
    if (info?.isDirectory()) walkFiles(join(dir, name), out);
    else if (info?.isFile()) out.push(info);
  }
  return out;
}
