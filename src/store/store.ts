// The store's public API: open a store directory, add and fetch wheels, look entries up, register roots.

import { rmdirSync, rmSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { refusedWrite, tempName } from "../util/atomic-write.js";
import { silentLogger, type Logger } from "../util/log.js";
import { stripCredentials } from "../util/redact.js";
import { hashFile } from "../util/hash-file.js";
import { cleanTempDebris, type ContentWritten, crashIfRequested, readVerifiedSync, writeContent } from "./content.js";
import { openDb, type Db } from "./db.js";
import { ensureDirectory } from "../util/dirs.js";
import { EntryIndex, type NewEntry, type StoreEntry } from "./entries.js";
import { sqliteHttpCache, type HttpCache } from "./http-cache.js";
import { dbPath, entryFilePath, entryName, integrityOf, tmpDir, wheelsDir } from "./layout.js";
import { RootIndex, type RootKind } from "./roots.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";

export type { StoreEntry } from "./entries.js";
export type { HttpCache, CachedResponse } from "./http-cache.js";

export interface OpenStoreOptions {
  dir: string;
  log?: Logger;
  /** Skip start-up housekeeping (temp-debris cleanup); the database is still created if missing. */
  readonly?: boolean;
}

export interface AddOptions {
  originUrl?: string;
  index?: string;
  expectedSha256?: string;
  /** The wheel's real filename when `path` is named otherwise (downloads, archive members). */
  filename?: string;
}

export interface AddResult {
  entry: StoreEntry;
  status: "added" | "present" | "repaired";
}

export interface FetchRequest {
  file: ProjectFile;
  /** Overrides the index's sha256/size (a lock's values win over what the index says now). */
  expected?: { sha256?: string; size?: number };
}

/**
 * How often a writer goes back to step 3 when a concurrent gc removed its file between link and commit
 * (store-layout.md, step 8). Each round takes the directory only at its link, so losing this many in a
 * row takes a gc with --grace 0 running back to back, on every round, at exactly the wrong moment.
 */
const COMMIT_ATTEMPTS = 8;

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const log = opts.log ?? silentLogger;
  // The database (and its version gate) first: a refused store gets no new directories.
  await ensureStoreDir(opts.dir, opts.dir);
  const db = openDb(dbPath(opts.dir));
  try {
    for (const dir of [wheelsDir(opts.dir), tmpDir(opts.dir)]) await ensureStoreDir(dir, opts.dir);
  } catch (error) {
    db.close();
    throw error;
  }
  const store = new Store(opts.dir, db, log);
  if (!opts.readonly) await cleanTempDebris(opts.dir, log);
  return store;
}

const STORE_DIR_HINT = "point --store or $PYSTORE_STORE at a writable directory on a regular filesystem";

/** Create `dir` (part of the store at `storeDir`) safely; STORE_IO naming the store when it cannot be used. */
function ensureStoreDir(dir: string, storeDir: string): Promise<void> {
  return ensureDirectory(
    dir,
    (problem, cause) =>
      new PystoreError("STORE_IO", `cannot use ${JSON.stringify(storeDir)} as the store: ${problem}`, {
        hint: STORE_DIR_HINT,
        cause,
        details: { path: storeDir },
      }),
  );
}

export class Store {
  readonly entries: EntryIndex;
  readonly roots: RootIndex;

  constructor(
    readonly dir: string,
    readonly db: Db,
    readonly log: Logger,
  ) {
    this.entries = new EntryIndex(db, dir);
    this.roots = new RootIndex(db);
  }

  httpCache(): HttpCache {
    return sqliteHttpCache(this.db);
  }

  /**
   * Every check addWheelFile makes (readable, expected sha256, archive safety, metadata), without writing:
   * lets a caller vet a whole batch before the first wheel is added. The result is kept until addWheel
   * takes the same unchanged file, so a batch vets and hashes each wheel once before writing it.
   */
  async checkWheelFile(
    path: string,
    opts: Pick<AddOptions, "expectedSha256" | "filename"> = {},
  ): Promise<{ source: { sha256: string; size: number }; info: WheelInfo }> {
    const filename = opts.filename ?? basename(path);
    const stamp = fileStamp(path);
    const vetted = await this.vet(path, filename, opts.expectedSha256);
    if (stamp !== undefined) this.vetted.set(resolve(path), { stamp, filename, ...vetted });
    return vetted;
  }

  /** Vetting results by absolute path, until addWheel uses them (see checkWheelFile). */
  private readonly vetted = new Map<
    string,
    { stamp: string; filename: string; source: { sha256: string; size: number }; info: WheelInfo }
  >();

  /** What checkWheelFile found for this very file, if it is unchanged since (same inode, size and times). */
  private takeVetted(path: string, filename: string, expectedSha256?: string) {
    const key = resolve(path);
    const found = this.vetted.get(key);
    if (!found) return undefined;
    this.vetted.delete(key);
    if (found.filename !== filename || found.stamp !== fileStamp(path)) return undefined;
    if (expectedSha256 !== undefined && expectedSha256.toLowerCase() !== found.source.sha256) return undefined;
    // Still safe if the bytes changed behind an unchanged stamp: the copy is checked against this sha256.
    return { source: found.source, info: found.info };
  }

  /** Hash (unless `known` already did) and read the wheel's archive and metadata. */
  private async vet(
    path: string,
    filename: string,
    expectedSha256?: string,
    known?: { sha256: string; size: number },
  ): Promise<{ source: { sha256: string; size: number }; info: WheelInfo }> {
    let source: { sha256: string; size: number };
    try {
      source = known ?? (await hashFile(path));
    } catch (error) {
      throw new PystoreError("FILE_NOT_FOUND", `cannot read the wheel ${JSON.stringify(path)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (expectedSha256 && expectedSha256.toLowerCase() !== source.sha256) {
      throw new PystoreError(
        "HASH_MISMATCH",
        `${filename}: sha256 mismatch: expected ${expectedSha256.toLowerCase()}, got ${source.sha256}`,
        {
          hint: "the bytes differ from what the lock or index promised; nothing was stored",
          details: { expected: expectedSha256, found: source.sha256 },
        },
      );
    }
    return { source, info: await readWheelInfo(path, filename) };
  }

  /** Import a local wheel file (copied; the source is left alone). Idempotent and safe to run concurrently. */
  async addWheelFile(path: string, opts: AddOptions = {}): Promise<StoreEntry> {
    return (await this.addWheel(path, opts)).entry;
  }

  /**
   * addWheelFile, also saying what happened: `added` (new entry), `present` (row and intact file already
   * here), or `repaired` (the row was here but its file was missing or damaged, and is now rewritten).
   */
  async addWheel(path: string, opts: AddOptions = {}): Promise<AddResult> {
    const filename = opts.filename ?? basename(path);
    // Metadata is read from the source before anything is written: a broken wheel never enters the store.
    const { source, info } = this.takeVetted(path, filename, opts.expectedSha256) ?? (await this.vet(path, filename, opts.expectedSha256));
    const name = entryName(source.sha256, info.name, info.version, info.tag);
    const destination = entryFilePath(this.dir, name, filename);
    const row = {
      sha256: source.sha256,
      integrity: integrityOf(source.sha256),
      size: source.size,
      filename,
      name: info.name,
      version: info.version,
      tags: info.tags,
      requiresPython: info.requiresPython,
      metadata: info.metadata,
      dependencies: info.dependencies,
      originUrl: opts.originUrl ? stripCredentials(opts.originUrl) : undefined,
      index: opts.index ? stripCredentials(opts.index) : undefined,
      entryName: name,
    };
    const before = this.entries.get(source.sha256);
    let rewrote = false;
    let entry: StoreEntry | undefined;
    for (let attempt = 1; entry === undefined; attempt++) {
      // Steps 3–7: temp file, verify, fsync, no-overwrite link (its directory recreated if gc took it).
      let written: ContentWritten;
      try {
        written = await writeContent(this.dir, path, destination, { sha256: source.sha256, size: source.size, label: filename });
      } catch (error) {
        if (error instanceof PystoreError) throw error;
        throw new PystoreError("STORE_IO", `cannot store ${filename} at ${destination}: ${(error as Error).message}`, {
          cause: error,
          details: { path: destination },
        });
      }
      rewrote ||= written.created || written.replaced;
      crashIfRequested("after-rename");
      // Step 8: the row commits under the database write lock, and only if the file is still there: gc
      // moves entry directories away under the same lock, so a committed row always has its file. The
      // entry is read back inside the transaction: a gc right after the commit may delete the row again.
      entry = this.commitRow(row, destination, written.created);
      if (entry) break;
      if (attempt >= COMMIT_ATTEMPTS)
        throw new PystoreError(
          "STORE_IO",
          `cannot store ${filename}: its file at ${destination} kept disappearing before its row committed`,
          {
            hint: "a `store gc` with a short --grace is running; run the command again once it finishes",
            details: { path: destination, attempts: attempt },
          },
        );
      this.log.debug(`${filename}: a concurrent gc removed ${destination} before its row committed; writing it again`);
    }
    crashIfRequested("after-commit");
    this.log.debug(`stored ${filename} as ${name}`);
    const status = !before ? "added" : rewrote ? "repaired" : "present";
    return { entry, status };
  }

  /**
   * Step 8 of the write protocol: in one IMMEDIATE transaction, check the file still has its size and
   * commit the row; the committed entry, or undefined when a concurrent gc took the file (write again).
   * A database that cannot take the row (full disk, read-only) is STORE_IO, and a file this writer
   * created is removed again, under the same lock, unless another writer's row now claims it.
   */
  private commitRow(row: NewEntry, destination: string, created: boolean): StoreEntry | undefined {
    try {
      return this.db
        .transaction(() => {
          if (!fileHasSize(destination, row.size)) return undefined;
          this.entries.upsert(row, Date.now());
          return this.entries.get(row.sha256);
        })
        .immediate();
    } catch (error) {
      if (created) this.unlinkUnclaimed(row.sha256, destination);
      throw new PystoreError(
        "STORE_IO",
        `cannot record ${row.filename} in the store database ${dbPath(this.dir)}: ${(error as Error).message}`,
        {
          hint: "free some space on the store's filesystem (or make it writable) and run the command again; the wheel was not stored",
          cause: error,
          details: { path: dbPath(this.dir), code: (error as { code?: string }).code },
        },
      );
    }
  }

  /** Remove a file whose row could not be committed, if still no row claims it (best effort: else an orphan gc removes). */
  private unlinkUnclaimed(sha256: string, destination: string): void {
    try {
      this.db
        .transaction(() => {
          if (this.entries.get(sha256)) return;
          rmSync(destination, { force: true });
          // The entry directory goes too when nothing else is in it (rmdir refuses a non-empty one).
          rmdirSync(dirname(destination));
        })
        .immediate();
    } catch {
      /* left as an orphan: never used, listed by verify, removed by gc */
    }
  }

  /** Download a project file into the store unless already stored. Registers no root by itself. */
  async fetchWheel(
    file: ProjectFile,
    client: IndexClient,
    opts: { expected?: { sha256?: string; size?: number } } = {},
  ): Promise<StoreEntry> {
    return (await this.fetchWheels([{ file, expected: opts.expected }], client))[0];
  }

  /**
   * Download several project files and check every one (hash, size, archive safety, metadata) before the
   * first is added: one bad wheel leaves the store exactly as it was. Already-stored files are not fetched.
   */
  async fetchWheels(requests: FetchRequest[], client: IndexClient): Promise<StoreEntry[]> {
    const results: (StoreEntry | undefined)[] = requests.map((r) => this.storedFor(r));
    if (results.every((r) => r !== undefined)) return results as StoreEntry[];
    const staging = join(tmpDir(this.dir), tempName("fetch"));
    try {
      await inStore(staging, "a download staging directory", () => mkdir(staging, { recursive: true }));
      const downloaded: { index: number; path: string; sha256?: string }[] = [];
      for (const [index, { file, expected: wanted }] of requests.entries()) {
        if (results[index]) continue;
        const sha256 = (wanted?.sha256 ?? file.hashes.sha256)?.toLowerCase();
        const size = wanted?.size ?? file.size;
        // One directory per request: two locked wheels may share a filename (different indexes).
        const dir = join(staging, String(index));
        await inStore(dir, "a download staging directory", () => mkdir(dir));
        const path = join(dir, file.filename);
        const expected: { sha256?: string; size?: number } = {};
        if (sha256) expected.sha256 = sha256;
        if (size !== undefined) expected.size = size;
        await inStore(path, `the download of ${file.filename}`, () => client.downloadToFile(file, path, { tempDir: dir, expected }));
        // The download was hashed against `sha256` as it was written: vet it without hashing again.
        const known = sha256 ? { sha256, size: statSync(path).size } : undefined;
        const vetted = await this.vet(path, file.filename, sha256, known);
        this.vetted.set(resolve(path), { stamp: fileStamp(path)!, filename: file.filename, ...vetted });
        downloaded.push({ index, path, sha256 });
      }
      for (const { index, path, sha256 } of downloaded) {
        const { file } = requests[index];
        results[index] = await this.addWheelFile(path, {
          filename: file.filename,
          originUrl: file.url,
          index: file.index,
          expectedSha256: sha256,
        });
      }
      return results as StoreEntry[];
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The stored entry a fetch would produce, when its bytes are already here (its grace period refreshed). */
  private storedFor({ file, expected }: FetchRequest): StoreEntry | undefined {
    const sha256 = (expected?.sha256 ?? file.hashes.sha256)?.toLowerCase();
    const size = expected?.size ?? file.size;
    if (!sha256) return undefined;
    const existing = this.entries.get(sha256);
    if (!existing || (size !== undefined && size !== existing.size) || !fileHasSize(existing.path, existing.size)) return undefined;
    this.touch(sha256);
    return this.entries.get(sha256)!;
  }

  /** Refresh an entry's commit time so a concurrent gc's grace period covers it. */
  touch(sha256: string): void {
    this.db.prepare("UPDATE entries SET added_at = max(added_at, ?) WHERE sha256 = ?").run(Date.now(), sha256);
  }

  get(sha256: string): StoreEntry | undefined {
    return this.entries.get(sha256);
  }

  /** By project name (any spelling), filename, sha256 hex prefix or entry-digest prefix (4+ characters). */
  find(nameOrDigestPrefix: string): StoreEntry[] {
    return this.entries.find(nameOrDigestPrefix, canonicalizeName(nameOrDigestPrefix));
  }

  list(): StoreEntry[] {
    return this.entries.list();
  }

  /** A stored wheel's bytes, only if they still match the recorded hash (STORE_CORRUPTED otherwise). */
  readVerified(entry: StoreEntry): Buffer {
    return readVerifiedSync(entry.path, entry.sha256, entry.size, entry.filename);
  }

  addRoot(kind: RootKind, path: string, sha256s: string[]): void {
    this.roots.add(kind, path, sha256s, Date.now());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Run a write into the store's tmp/ and report a refused one (full disk, read-only, permissions) as
 * STORE_IO naming `path`: the writer below (the index client's download) reports it as IO, which is for
 * paths the user chose, while this path is the store's.
 */
async function inStore<T>(path: string, what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof PystoreError && error.code === "IO" && error.cause !== undefined) {
      throw refusedWrite(error.cause, path, what, "STORE_IO") ?? error;
    }
    if (error instanceof PystoreError) throw error;
    throw refusedWrite(error, path, what, "STORE_IO") ?? error;
  }
}

/** Identity and times of a file: a vetting result is reused only while this stays the same. */
function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

function fileHasSize(path: string, size: number): boolean {
  try {
    return statSync(path).size === size;
  } catch {
    return false;
  }
}
