// One wheel's store files linked into a staging tree, as data a thread can be sent: the tree is checked
// intact first (when it was already in the store), then each file imported under its parent directories.
// Run by link-worker.ts on a thread, and by link-pool.ts in this one.

import { mkdirSync } from "node:fs";
import { firstDamaged, type PackedTreeFiles } from "./intact-files.js";
import type { LinkMode } from "./importer.js";

export interface LinkJob {
  id: number;
  /** How every file goes in (the importer's mode, probed before any job is sent). */
  how: LinkMode;
  /** The staging tree's root (exists). */
  root: string;
  /** Absolute store paths, joined by "\0". */
  sources: string;
  /** Root-relative "/"-separated targets, joined by "\0", in the order of `sources`. */
  targets: string;
  /** 1 where the target's mode is 0o755 (copies get the mode; links share the store's). */
  executable: Uint8Array;
  /** The tree to check before the first link: absent for a tree this build unpacked (checked as written). */
  check?: PackedTreeFiles;
}

/** A failure as plain data (errors do not cross threads intact), with the fields fs errors carry. */
export interface WireFsError {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
}

export type LinkResult =
  | { id: number; done: true }
  /** The tree was damaged: nothing of this job was linked. */
  | { id: number; damaged: string }
  /** Files before `failedAt` are in; that one failed with `error`. */
  | { id: number; failedAt: number; error: WireFsError };

export function toWireFs(error: unknown): WireFsError {
  const e = error as NodeJS.ErrnoException & { dest?: string };
  return { message: e?.message ?? String(error), code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path, dest: e?.dest };
}

export function fromWireFs(wire: WireFsError): Error {
  const error = new Error(wire.message) as NodeJS.ErrnoException;
  const { message: _, ...fields } = wire;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) Object.assign(error, { [key]: value });
  return error;
}

/** Every "\0"-separated part of `joined` (none for ""). */
export function splitJoined(joined: string): string[] {
  return joined === "" ? [] : joined.split("\0");
}

/** Directories made (or found made) under one root, each parent once; EEXIST is another thread's mkdir. */
export class DirMaker {
  private readonly made = new Set<string>([""]);

  constructor(private readonly root: string) {}

  parentOf(relPath: string): void {
    const slash = relPath.lastIndexOf("/");
    if (slash > 0) this.make(relPath.slice(0, slash));
  }

  private make(relDir: string): void {
    if (this.made.has(relDir)) return;
    const slash = relDir.lastIndexOf("/");
    if (slash > 0) this.make(relDir.slice(0, slash));
    try {
      mkdirSync(`${this.root}/${relDir}`);
    } catch (error) {
      // Made by another thread, or by the main thread's writer: fine when it is a directory, which the
      // link into it proves (ENOTDIR otherwise).
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    this.made.add(relDir);
  }
}

/**
 * Run `job` from file `from`: the check (only from the start), then each file's directories and the file
 * itself through `put`. A failing file is reported with its position, not thrown, so the caller can go on
 * from there another way (a mode that stopped working mid-bundle).
 */
export function runLinkJob(
  job: LinkJob,
  dirs: { parentOf(relPath: string): void },
  put: (source: string, target: string, mode: 0o644 | 0o755) => void,
  from = 0,
): LinkResult {
  if (from === 0 && job.check) {
    const damaged = firstDamaged(job.check);
    if (damaged !== undefined) return { id: job.id, damaged };
  }
  const sources = splitJoined(job.sources);
  const targets = splitJoined(job.targets);
  for (let i = from; i < sources.length; i++) {
    try {
      dirs.parentOf(targets[i]);
      put(sources[i], `${job.root}/${targets[i]}`, job.executable[i] ? 0o755 : 0o644);
    } catch (error) {
      return { id: job.id, failedAt: i, error: toWireFs(error) };
    }
  }
  return { id: job.id, done: true };
}
