// Filesystem failures as typed errors: a NodeJS.ErrnoException from any write path becomes a PystoreError
// that names the path, what was being written and the cause in words, so a full or read-only disk is
// reported as the machine's state (IO for paths the user chose, STORE_IO for the store), never as a bug.

import { lstatSync, type Stats } from "node:fs";
import { PystoreError } from "../errors.js";

/**
 * errno codes that mean the filesystem or the system refused a write: the machine's state, not a bug in
 * pystore and not a bad input. Running the command again after fixing the machine succeeds.
 */
const REFUSED: Record<string, string> = {
  ENOSPC: "no space left on the filesystem",
  EDQUOT: "the disk quota is exhausted",
  EFBIG: "the file is too large for the filesystem",
  EROFS: "the filesystem is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "an I/O error from the device",
  EMFILE: "this process has too many open files (raise `ulimit -n`)",
  ENFILE: "the system has too many open files",
  EMLINK: "too many links to one file or directory on this filesystem",
};

/** Words for other errno codes a write path can meet: the path itself is wrong, or something raced. */
const OTHER: Record<string, string> = {
  ENOENT: "a directory on the way does not exist (or was removed meanwhile)",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "the path is a directory",
  EEXIST: "the path already exists",
  ENOTEMPTY: "the directory is not empty",
  ENAMETOOLONG: "the path or one of its names is too long for the filesystem",
  ELOOP: "too many symbolic links on the way",
  EXDEV: "the source and the destination are on different filesystems",
  EBUSY: "the path is busy (a mount point, or in use)",
  ETXTBSY: "the file is a running program",
  EINVAL: "the filesystem does not support this operation",
};

/** The errno code of a thrown value, when it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The cause of a filesystem failure in words: "no space left on the filesystem (ENOSPC)". */
export function fsCauseInWords(error: unknown): string {
  const errno = errnoOf(error);
  const words = errno === undefined ? undefined : (REFUSED[errno] ?? OTHER[errno]);
  if (errno !== undefined && words !== undefined) return `${words} (${errno})`;
  return error instanceof Error ? error.message : String(error);
}

/** The path a Node fs error carries (the destination of a copy or link first), if any. */
export function errorPath(error: unknown): string | undefined {
  const e = error as (NodeJS.ErrnoException & { dest?: unknown }) | undefined;
  if (typeof e?.dest === "string") return e.dest;
  return typeof e?.path === "string" ? e.path : undefined;
}

/**
 * A typed error for a write the filesystem refused (ENOSPC, EDQUOT, EROFS, EACCES, EMFILE, …), naming
 * the path and what was being written; undefined for any other failure, which callers report as they did.
 */
export function refusedWrite(error: unknown, path: string, what: string, code: "IO" | "STORE_IO" = "IO"): PystoreError | undefined {
  const errno = errnoOf(error);
  if (errno === undefined || !Object.hasOwn(REFUSED, errno)) return undefined;
  const space = errno === "ENOSPC" || errno === "EDQUOT" || errno === "EFBIG";
  const files = errno === "EMFILE" || errno === "ENFILE";
  const elsewhere = code === "STORE_IO" ? " (or point --store elsewhere)" : "";
  const fix = space
    ? "free some space on that filesystem"
    : files
      ? "close other programs or raise the open-file limit"
      : "make that path writable";
  return new PystoreError(code, `cannot write ${what} to ${path}: ${REFUSED[errno]} (${errno})`, {
    hint: `${fix}${elsewhere} and run the command again; nothing was left half-written`,
    cause: error,
    details: { path, errno },
  });
}

/**
 * Any failure while writing `what` as a typed error: a refused write as above; another fs error naming
 * the path it carries (else `path`) and its cause in words; a PystoreError unchanged.
 */
export function writeFailure(error: unknown, path: string, what: string, code: "IO" | "STORE_IO" = "IO"): PystoreError {
  if (error instanceof PystoreError) return error;
  const where = errorPath(error) ?? path;
  const refused = refusedWrite(error, where, what, code);
  if (refused) return refused;
  return new PystoreError(code, `cannot write ${what} to ${where}: ${fsCauseInWords(error)}`, {
    hint: code === "STORE_IO" ? "run `pystore store verify` and then the command again" : "check that path and run the command again",
    cause: error,
    details: { path: where, ...(errnoOf(error) ? { errno: errnoOf(error) } : {}) },
  });
}

/**
 * `path`'s own metadata, or undefined when it cannot be had: gone (a concurrent gc moved it), or unreadable.
 * For walks that count or compare what is there, where a vanished path is simply not there.
 */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
