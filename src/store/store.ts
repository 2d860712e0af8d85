// The store's public API: open a store directory, add and fetch wheels, look entries up, register roots.

import { rmdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { silentLogger, type Logger } from "../util/log.js";
import { stripCredentials } from "../util/redact.js";
import { hashFile } from "../util/hash-file.js";
import { cleanTempDebris, type ContentWritten, crashIfRequested, readVerifiedSync, writeContent } from "./content.js";
import { damagedDb, dbFileExists, openDb, type Db } from "./db.js";
import { holdsStoredWheels } from "./entry-dirs.js";
import { ensureDirectory } from "../util/dirs.js";
import { EntryIndex, type NewEntry, newEntryRow, type StoreEntry, statementCache } from "./entries.js";
import { type Downloaded, FetchBatch } from "./fetch-batch.js";
import { StagedAdmission } from "./admit-staged.js";
import { sqliteHttpCache, type HttpCache } from "./http-cache.js";
import { dbPath, entryFilePath, entryName, tmpDir, wheelsDir } from "./layout.js";
import { RootIndex, type RootKind } from "./roots.js";
import { BuildIndex } from "./builds.js";
import { holdsStoredPythons, PythonIndex, pythonsDir } from "./python-index.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";

export type { StoreEntry } from "./entries.js";
export type { HttpCache, CachedResponse } from "./http-cache.js";
export type { StagedWheel } from "./admit-staged.js";

export interface OpenStoreOptions {
  dir: string;
  log?: Logger;
  /** Skip start-up housekeeping (temp-debris cleanup); the database is still created if missing. */
  readonly?: boolean;
  /**
   * Create the database even though wheels are stored: only `store reindex`, which then rebuilds every
   * row from the wheel files. Everything else refuses such a store (STORE_INDEX_DAMAGED).
   */
  rebuild?: boolean;
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
  const path = dbPath(opts.dir);
  // A new, empty database beside stored wheels would list an empty store and let gc call every wheel
  // garbage: the wheel files are the truth, so a missing index is rebuilt from them, never made up.
  if (!opts.rebuild && !dbFileExists(path) && holdsStoredWheels(opts.dir)) {
    throw damagedDb(path, "missing", `is missing, but ${wheelsDir(opts.dir)} holds stored wheels`);
  }
  // Interpreters likewise: their rows come back from each entry.json, never from nothing.
  if (!opts.rebuild && !dbFileExists(path) && holdsStoredPythons(opts.dir)) {
    throw damagedDb(path, "missing", `is missing, but ${pythonsDir(opts.dir)} holds stored interpreters`);
  }
  const db = openDb(path);
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
  /** Interpreters (pythons/<entry-name>/), store-format/store-layout.md "Interpreters". */
  readonly pythons: PythonIndex;
  /** Provenance of built wheels and metadata read from sdists (src/build/). */
  readonly builds: BuildIndex;

  private readonly sql: ReturnType<typeof statementCache>;

  constructor(
    readonly dir: string,
    readonly db: Db,
    readonly log: Logger,
  ) {
    this.sql = statementCache(db);
    this.entries = new EntryIndex(db, dir);
    this.roots = new RootIndex(db);
    this.pythons = new PythonIndex(db, dir);
    this.builds = new BuildIndex(db);
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
    const row: NewEntry = {
      ...newEntryRow(source, { ...info, filename }),
      originUrl: opts.originUrl ? stripCredentials(opts.originUrl) : undefined,
      index: opts.index ? stripCredentials(opts.index) : undefined,
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
    return this.commitRows([{ row, destination, created }])[0];
  }

  /**
   * commitRow for several rows in one transaction (a fetch's batch): each row commits only if its file is
   * still there; undefined in its place otherwise (a concurrent gc took it: link it again and retry).
   */
  commitRows(items: readonly { row: NewEntry; destination: string; created: boolean }[]): (StoreEntry | undefined)[] {
    try {
      return this.db
        .transaction(() => {
          const now = Date.now();
          return items.map(({ row, destination }) => {
            if (!fileHasSize(destination, row.size)) return undefined;
            this.entries.upsert(row, now);
            // The directory is claimed again: a gc that doomed it (and was killed before moving it) must not take it.
            this.sql("DELETE FROM gc_pending WHERE entry_name = ?").run(row.entryName);
            return this.entries.get(row.sha256);
          });
        })
        .immediate();
    } catch (error) {
      for (const { row, destination, created } of items) if (created) this.unlinkUnclaimed(row.sha256, destination);
      const names = items.map((i) => i.row.filename);
      const what = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
      throw new PystoreError("STORE_IO", `cannot record ${what} in the store database ${dbPath(this.dir)}: ${(error as Error).message}`, {
        hint: "free some space on the store's filesystem (or make it writable) and run the command again; the wheel was not stored",
        cause: error,
        details: { path: dbPath(this.dir), code: (error as { code?: string }).code },
      });
    }
  }

  /**
   * Commit the row of a wheel already in its entry directory (`store reindex`): the file was hashed and
   * its metadata read by the caller, and is not copied again. Undefined when it vanished meanwhile (a gc).
   */
  indexStoredFile(path: string, source: { sha256: string; size: number }, info: WheelInfo): StoreEntry | undefined {
    return this.commitRow(newEntryRow(source, info), path, false);
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
   * first is added: one bad wheel among them adds none of them. Already-stored files are not fetched.
   */
  async fetchWheels(requests: FetchRequest[], client: IndexClient): Promise<StoreEntry[]> {
    const results: (StoreEntry | undefined)[] = requests.map((r) => this.storedFor(r));
    if (results.every((r) => r !== undefined)) return results as StoreEntry[];
    const batch = this.fetchBatch(client);
    try {
      const downloaded: { index: number; item: Downloaded }[] = [];
      for (const [index, request] of requests.entries())
        if (!results[index]) downloaded.push({ index, item: await batch.download(request) });
      for (const { index, item } of downloaded) results[index] = await batch.link(item);
      const committed = new Map((await batch.commit()).map((e) => [e.sha256, e]));
      return results.map((r) => committed.get(r!.sha256) ?? r!);
    } finally {
      await batch.close();
    }
  }

  /**
   * Wheels the caller staged in this store's tmp/, each vetted as soon as it is added, all linked into
   * place and committed together by finish() (./admit-staged.ts). Always close() it.
   */
  admitStaged(): StagedAdmission {
    return new StagedAdmission(this);
  }

  /**
   * A fetch's downloads, each stored as it arrives and their rows committed together (commit() at the
   * end, and along the way every couple of seconds). Always close() it, after commit().
   */
  fetchBatch(client: IndexClient): FetchBatch {
    return new FetchBatch(this, client);
  }

  /** The stored entry a fetch would produce, when its bytes are already here (its grace period refreshed). */
  storedFor({ file, expected }: FetchRequest): StoreEntry | undefined {
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
    this.sql("UPDATE entries SET added_at = max(added_at, ?) WHERE sha256 = ?").run(Date.now(), sha256);
  }

  /**
   * The entry, claimed for a build: read and touched in one IMMEDIATE transaction, the kind gc's first step
   * takes, so a gc either deleted the row before (undefined) or sees it young and keeps it.
   */
  claim(sha256: string): StoreEntry | undefined {
    return this.claimAll([sha256])[0];
  }

  /**
   * claim for several entries in one IMMEDIATE transaction (a bundle's wheels): one write lock and one
   * commit instead of one per wheel, with the same guarantee for each. Undefined in place of a missing entry.
   */
  claimAll(sha256s: readonly string[]): (StoreEntry | undefined)[] {
    return this.db
      .transaction(() =>
        sha256s.map((sha256) => {
          this.touch(sha256);
          return this.entries.get(sha256);
        }),
      )
      .immediate();
  }

  get(sha256: string): StoreEntry | undefined {
    return this.entries.get(sha256);
  }

  /** Whether the store has a row for this sha256 (get without reading the row). */
  has(sha256: string): boolean {
    return this.entries.has(sha256);
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
