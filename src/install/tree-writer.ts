// Writing a bundle's staging tree: each directory made once, each file written with synchronous calls
// and hashed from the bytes in hand, so the manifest never reads the tree back.

import { createHash } from "node:crypto";
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from "node:fs";
import type { FileImporter } from "./importer.js";

export interface WrittenFile {
  /** Root-relative, "/"-separated (the key it is recorded under). */
  path: string;
  /** Lower-case hex. */
  sha256: string;
  size: number;
  mode: "0755" | "0644";
}

/**
 * The staging tree is private to one bundle build and published by one rename, so synchronous writes
 * block nobody, and they skip the thread-pool round trip that each asynchronous call costs (hundreds
 * of small files per wheel are the common case).
 */
export class TreeWriter {
  // Paths below are root-relative and already checked (installPath, checkRelativePath): joined by
  // concatenation, which is the same path without path.join's normalising pass per file.
  /** Root-relative "/"-separated path → what was written there. */
  readonly written = new Map<string, WrittenFile>();
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {}

  /** Create `relDir` and its missing parents, each with one mkdir the first time it is needed. */
  mkdirs(relDir: string): void {
    if (this.dirs.has(relDir)) return;
    if (relDir === "") {
      mkdirSync(this.root, { recursive: true });
      this.dirs.add(relDir);
      return;
    }
    const slash = relDir.lastIndexOf("/");
    this.mkdirs(slash < 0 ? "" : relDir.slice(0, slash));
    try {
      mkdirSync(`${this.root}/${relDir}`);
    } catch (error) {
      // Made earlier by someone else (app code copies): fine when it is a directory, which the
      // next open proves (ENOTDIR otherwise).
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    this.dirs.add(relDir);
  }

  /**
   * Write a new file (refusing to replace or follow anything already there) with exactly `mode`,
   * whatever the umask. Returns the sha256 digest of `data`; pass `sha256` when it is already known.
   */
  write(relPath: string, data: Uint8Array, mode: 0o755 | 0o644, sha256?: Buffer): Buffer {
    const slash = relPath.lastIndexOf("/");
    this.mkdirs(slash < 0 ? "" : relPath.slice(0, slash));
    const fd = openSync(`${this.root}/${relPath}`, "wx", mode);
    try {
      for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    const digest = sha256 ?? createHash("sha256").update(data).digest();
    this.written.set(relPath, { path: relPath, sha256: digest.toString("hex"), size: data.length, mode: mode & 0o111 ? "0755" : "0644" });
    return digest;
  }

  /**
   * Import a store file (hardlink, clone or copy) with hash (lower-case hex) and size already known from
   * the store's verified index: nothing is read.
   */
  importFile(relPath: string, source: string, importer: FileImporter, sha256: string, size: number, mode: 0o755 | 0o644): void {
    const slash = relPath.lastIndexOf("/");
    this.mkdirs(slash < 0 ? "" : relPath.slice(0, slash));
    importer.importFile(source, `${this.root}/${relPath}`, mode);
    this.imported(relPath, sha256, size, mode);
  }

  /** Record a store file that a LinkPool imports (on another thread): the manifest's row, no I/O here. */
  imported(relPath: string, sha256: string, size: number, mode: 0o755 | 0o644): void {
    this.written.set(relPath, { path: relPath, sha256, size, mode: mode === 0o755 ? "0755" : "0644" });
  }
}
