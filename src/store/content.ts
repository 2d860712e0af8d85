// Wheel bytes by sha256: the store's write protocol, verified reads, and temp-debris cleanup
// (store-format/store-layout.md, "Write protocol").

import { createHash } from "node:crypto";
import { chmodSync, createReadStream, lstatSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { TEMP_PREFIX, writeStreamAtomic, type Written } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { integrityOf, tmpDir } from "./layout.js";
import { hashFile } from "../util/hash-file.js";

/** Stored wheels are read-only: nothing should ever edit them in place. */
export const WHEEL_MODE = 0o444;
/** Temp files younger than this may belong to a live writer on another machine sharing the store. */
const TEMP_GRACE_MS = 60_000;

/**
 * Test-only crash points (PYSTORE_TEST_CRASH_AT), so reliability tests can SIGKILL a writer at an exact
 * step of the protocol: `during-write` (partial temp file), `before-rename` (temp file complete, not yet
 * verified, fsynced or linked into place), `after-rename` (file in place, no row), `after-commit` (row
 * committed, before the command finishes), `during-tree` (an unpacked tree half-extracted in tmp/), and gc's `gc-after-commit`, `gc-after-move`,
 * `gc-during-delete` (src/store/gc.ts). Never set it outside tests (store-format/store-layout.md).
 */
export type CrashPoint =
  | "during-write"
  | "before-rename"
  | "after-rename"
  | "after-commit"
  | "during-tree"
  | "gc-after-commit"
  | "gc-after-move"
  | "gc-during-delete";

/** Read once at start-up: when unset (always, outside tests) every hook below is one comparison. */
const CRASH_AT = process.env.PYSTORE_TEST_CRASH_AT;

export function crashIfRequested(point: CrashPoint): void {
  if (CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

export interface FileCheck {
  status: "ok" | "missing" | "corrupted";
  size?: number;
  sha256?: string;
}

/** Re-hash a stored file against its row. */
export async function checkFile(path: string, sha256: string, size: number): Promise<FileCheck> {
  let found: { sha256: string; size: number };
  try {
    const info = await stat(path);
    // A size mismatch is corruption already; skip hashing a truncated multi-gigabyte file.
    if (info.size !== size) return { status: "corrupted", size: info.size };
    found = await hashFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { status: "missing" };
    throw new PystoreError("STORE_IO", `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return found.sha256 === sha256 && found.size === size ? { status: "ok", ...found } : { status: "corrupted", ...found };
}

/** The source's bytes for writeStreamAtomic; the plain stream unless a write-time crash point is set. */
function chunksOf(path: string, tempDirectory: string): AsyncIterable<Buffer> {
  if (CRASH_AT !== "during-write" && CRASH_AT !== "before-rename") return createReadStream(path);
  return crashingChunks(path, tempDirectory);
}

async function* crashingChunks(path: string, tempDirectory: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path)) {
    yield chunk as Buffer;
    if (CRASH_AT === "during-write") {
      waitForOwnTempFile(tempDirectory, 1);
      crashIfRequested("during-write");
    }
  }
  // The writer asks for more only after writing the last chunk: the temp file now holds every byte.
  if (CRASH_AT === "before-rename") {
    waitForOwnTempFile(tempDirectory, (await stat(path)).size);
    crashIfRequested("before-rename");
  }
}

/** For the write-time crash points: block until our temp file holds `minSize` bytes, so the crash is real. */
function waitForOwnTempFile(dir: string, minSize: number): void {
  const marker = `.${process.pid}.`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(TEMP_PREFIX) || !name.includes(marker)) continue;
      try {
        if (statSync(join(dir, name)).size >= minSize) return;
      } catch {
        /* raced with its removal */
      }
    }
  }
}

/**
 * Copy a local file into the store at `destination` by the one write protocol: temp file in the store's
 * tmp/ while hashing → compare with `expected` → fsync → no-overwrite link → fsync the directory.
 * An existing destination (another writer won, or a crash left it without a row) is re-verified and
 * replaced atomically if it is not byte-identical.
 */
export async function writeContent(
  storeDir: string,
  source: string,
  destination: string,
  expected: { sha256: string; size: number; label: string },
): Promise<ContentWritten> {
  // The entry directory is made at the link, not before the copy: an empty directory is an orphan to a
  // concurrent gc, and the link step recreates it if gc took it anyway (store-layout.md, step 6).
  const options = {
    expected,
    noOverwrite: true,
    mode: WHEEL_MODE,
    tempDir: tmpDir(storeDir),
    directoryAtLink: true,
    errorCode: "STORE_IO" as const,
    what: expected.label,
  };
  const written = await writeStreamAtomic(chunksOf(source, options.tempDir), destination, options);
  if (written.created) return { ...written, replaced: false };
  const existing = await checkFile(destination, expected.sha256, expected.size);
  if (existing.status === "ok") return { ...written, replaced: false };
  return {
    ...(await writeStreamAtomic(chunksOf(source, options.tempDir), destination, { ...options, noOverwrite: false })),
    replaced: true,
  };
}

export interface ContentWritten extends Written {
  /** An existing, damaged file at the destination was replaced by the verified bytes. */
  replaced: boolean;
}

/** Read a stored wheel fully, returning its bytes only if they still match the row. */
export function readVerifiedSync(path: string, sha256: string, size: number, label: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new PystoreError(
      missing ? "STORE_CORRUPTED" : "STORE_IO",
      `${label}: ${missing ? "the stored file is missing" : (error as Error).message} (${path})`,
      {
        hint: "run `pystore store verify --repair`",
        cause: error,
      },
    );
  }
  const found = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== size || found !== sha256) {
    throw new PystoreError(
      "STORE_CORRUPTED",
      `${label}: the stored file no longer matches its recorded sha256 ${sha256} (found ${found}, ${bytes.length} bytes)`,
      {
        hint: "run `pystore store verify --repair` to re-fetch it from its origin",
        details: { expected: sha256, found, path },
      },
    );
  }
  return bytes;
}

/**
 * Check a stored wheel against its row by streaming it through ssri (no whole-file buffer): for readers
 * that only need to know the bytes are right, such as `store export` before it links them into an archive.
 */
export async function verifyStored(path: string, sha256: string, size: number, label: string): Promise<void> {
  // ssri (and its minipass) loads here, not with the module: bundles and fetches never verify by stream.
  const { default: ssri } = await import("ssri");
  try {
    await ssri.checkStream(createReadStream(path), integrityOf(sha256), sha256Only(size));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { found?: unknown };
    if (e.code === "EINTEGRITY" || e.code === "EBADSIZE") {
      const found = e.code === "EBADSIZE" ? `${String(e.found)} bytes` : sriHex(String(e.found));
      throw new PystoreError(
        "STORE_CORRUPTED",
        `${label}: the stored file no longer matches its recorded sha256 ${sha256} (found ${found})`,
        {
          hint: "run `pystore store verify --repair` to re-fetch it from its origin",
          details: { expected: sha256, found, path },
        },
      );
    }
    const missing = e.code === "ENOENT";
    throw new PystoreError(
      missing ? "STORE_CORRUPTED" : "STORE_IO",
      `${label}: ${missing ? "the stored file is missing" : e.message} (${path})`,
      {
        hint: "run `pystore store verify --repair`",
        cause: error,
      },
    );
  }
}

/**
 * ssri's stream options hashing sha256 alone: by default it hashes sha512 as well, doubling the work for a
 * digest nothing compares. (`algorithms` is honoured by ssri 13 but missing from @types/ssri 7.)
 */
function sha256Only(size: number): Parameters<typeof import("ssri").checkStream>[2] {
  return { size, algorithms: ["sha256"] } as Parameters<typeof import("ssri").checkStream>[2];
}

/** The `sha256-<base64>` hash among what ssri reports (space-separated `algo-base64` hashes) as lower-case hex. */
function sriHex(sri: string): string {
  const hash = sri.split(/\s+/).find((h) => h.startsWith("sha256-")) ?? sri;
  return Buffer.from(hash.replace(/^sha256-/, "").replace(/\?.*$/, ""), "base64").toString("hex");
}

/** A staging directory is busy while anything inside it is being written, not only its own entry list. */
async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of await readdir(path, { recursive: true })) {
    try {
      newest = Math.max(newest, (await stat(join(path, name))).mtimeMs);
    } catch {
      /* removed meanwhile */
    }
  }
  return newest;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove `.tmp-*` debris from crashed writers: only files whose writer pid is dead, or that nothing has
 * written to for a minute (concurrent writers are normal, and a pid may be another machine's).
 */
export async function cleanTempDebris(storeDir: string, log: Logger, now = Date.now()): Promise<number> {
  const dir = tmpDir(storeDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    let stale = false;
    const pidMatch = /\.(\d+)\.[0-9a-f]+$/.exec(name);
    try {
      const old = now - (await newestMtime(path)) > TEMP_GRACE_MS;
      const deadWriter =
        name.startsWith(TEMP_PREFIX) && pidMatch !== null && Number(pidMatch[1]) !== process.pid && !pidAlive(Number(pidMatch[1]));
      stale = old || deadWriter;
    } catch {
      continue;
    }
    if (!stale) continue;
    // Staging trees are read-only (store-format/store-layout.md, "Unpacked trees").
    removeReadOnly(path);
    removed++;
    log.debug(`removed temp debris ${path}`);
  }
  return removed;
}

/** Remove a read-only tree (or staging debris): its directories are made writable first so unlink works. */
export function removeReadOnly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw error;
  }
  makeWritable(path);
  rmSync(path, { recursive: true, force: true });
}

function makeWritable(path: string): void {
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch {
    return;
  }
  if (!info.isDirectory()) return;
  chmodSync(path, 0o755);
  for (const name of readdirSync(path)) makeWritable(join(path, name));
}
