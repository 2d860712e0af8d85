// Source distributions kept in the store (store-format/store-layout.md, "sources/"): the sdists builds
// were made from, by sha256, so a rebuild needs no network. Written by the one write protocol; every read
// re-hashes the file, so a damaged one is fetched again instead of built.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { hashFile } from "../util/hash-file.js";

const SOURCES_DIR = "sources";

/** `sources/<sha256>/<filename>` */
export function sourcePath(storeDir: string, sha256: string, filename: string): string {
  return join(storeDir, SOURCES_DIR, sha256.toLowerCase(), filename);
}

/** The stored sdist's path when it is there and its bytes still have `sha256`. */
export async function storedSource(storeDir: string, sha256: string, filename: string): Promise<string | undefined> {
  const path = sourcePath(storeDir, sha256, filename);
  if (!existsSync(path)) return undefined;
  const found = await hashFile(path);
  return found.sha256 === sha256.toLowerCase() ? path : undefined;
}

/** Keep `bytes` (an sdist pystore made, e.g. from a local project) under sources/; returns its path and sha256. */
export async function writeSource(storeDir: string, filename: string, bytes: Buffer): Promise<{ path: string; sha256: string }> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const path = sourcePath(storeDir, sha256, filename);
  await mkdir(dirname(path), { recursive: true });
  // Content-addressed: a file already there holds these bytes (checked by the write protocol).
  await writeFileAtomic(path, bytes, { noOverwrite: true, expected: { sha256 }, errorCode: "STORE_IO", what: "an sdist" });
  return { path, sha256 };
}
