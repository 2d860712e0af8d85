// One fetch's downloads into the store (store-format/store-layout.md, "The write protocol"): each wheel is
// written once into a staging directory while it is hashed, admitted from memory (or from that one file)
// while its fsync runs, hard-linked into its entry directory, and its row committed with the others in one
// transaction.

import { rmSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import { refusedWrite, tempName } from "../util/atomic-write.js";
import { stripCredentials } from "../util/redact.js";
import { crashIfRequested } from "./content.js";
import { type NewEntry, newEntryRow, provisionalEntry, type StoreEntry } from "./entries.js";
import { entryFilePath, tmpDir, wheelsDir } from "./layout.js";
import { fsyncDirectory, linkStaged, type StagedFile, stageBody } from "./staged.js";
import type { FetchRequest, Store } from "./store.js";
import { readWheelInfo } from "./wheel-info.js";

/**
 * Rows wait at most this long (or for this many wheels) before they commit: long enough that a fast
 * fetch commits once, short enough that a staged file is never old enough to pass for another
 * process's debris (cleanTempDebris leaves files alone for a minute).
 */
const COMMIT_AFTER_MS = 2_000;
const COMMIT_AFTER_WHEELS = 64;
/** A gc with --grace 0 taking a linked file before its row commits, this many times in a row, is an error. */
const COMMIT_ATTEMPTS = 8;

/** A wheel downloaded, verified and vetted, not yet in its entry directory. */
export interface Downloaded {
  staged: StagedFile;
  row: NewEntry;
  destination: string;
}

interface Linked extends Downloaded {
  created: boolean;
  since: number;
}

export class FetchBatch {
  private staging: Promise<string> | undefined;
  private seq = 0;
  private pending: Linked[] = [];
  private readonly committedStaged: string[] = [];

  constructor(
    private readonly store: Store,
    /** Absent for a batch that only admits files staged by its caller (admit). */
    private readonly client?: IndexClient,
  ) {}

  /** Download, verify, vet and link one wheel (or find it stored); its row commits with the batch. */
  async fetch(request: FetchRequest): Promise<StoreEntry> {
    const stored = this.store.storedFor(request);
    if (stored) return stored;
    const downloaded = await this.download(request);
    const entry = await this.link(downloaded);
    if (this.pending.length >= COMMIT_AFTER_WHEELS || Date.now() - this.pending[0].since >= COMMIT_AFTER_MS) await this.commit();
    return entry;
  }

  /** Steps 1–5: the body written once into staging, hashed on the way, compared; then fsynced and vetted at once. */
  async download({ file, expected: wanted }: FetchRequest): Promise<Downloaded> {
    const staging = await this.stagingDir();
    const sha256 = (wanted?.sha256 ?? file.hashes.sha256)?.toLowerCase();
    const size = wanted?.size ?? file.size;
    // One name per request: two locked wheels may share a filename (different indexes).
    const path = join(staging, `${++this.seq}-${file.filename}`);
    let staged: StagedFile | undefined;
    const expected = { ...(sha256 ? { sha256 } : {}), ...(size === undefined ? {} : { size }) };
    if (!this.client) throw new PystoreError("INTERNAL", `${file.filename}: this batch has no index client to download with`);
    try {
      await this.client.downloadToFile(file, path, {
        expected,
        write: async (body, checked) => {
          staged = await stageBody(body, path, checked);
          return staged;
        },
      });
    } catch (error) {
      throw inStoreError(error, path, `the download of ${file.filename}`);
    }
    if (!staged) throw new PystoreError("INTERNAL", `${file.filename}: the download wrote nothing`);
    return this.admit(staged, file.filename, { originUrl: file.url, index: file.index || undefined });
  }

  /**
   * Step 5 for a file staged in the store's tmp/ (written, hashed and compared as it was written: its
   * sha256 and size are trusted): admitted (src/wheel/vet.ts) while its fsync finishes, then its row made.
   * The staged file is removed when it is refused.
   */
  async admit(staged: StagedFile, filename: string, origin: { originUrl?: string; index?: string } = {}): Promise<Downloaded> {
    try {
      // The admission checks read the central directory and a few members: from the bytes kept in memory,
      // which are dropped here once they are done.
      const kept: StagedFile = { ...staged, bytes: undefined };
      // Admitted while its fsync runs on the thread pool: it is linked only once both are done.
      const [info] = await Promise.all([readWheelInfo(staged.path, filename, staged.bytes), staged.synced]);
      const row: NewEntry = {
        ...newEntryRow(kept, { ...info, filename }),
        originUrl: origin.originUrl ? stripCredentials(origin.originUrl) : undefined,
        index: origin.index ? stripCredentials(origin.index) : undefined,
      };
      return { staged: kept, row, destination: entryFilePath(this.store.dir, row.entryName, filename) };
    } catch (error) {
      rmSync(staged.path, { force: true });
      throw error;
    }
  }

  /** Steps 6–7: linked into its entry directory (never over good bytes), the directory fsynced. */
  async link(downloaded: Downloaded): Promise<StoreEntry> {
    const { staged, row, destination } = downloaded;
    let created: boolean;
    try {
      ({ created } = await linkStaged(staged.path, destination, { sha256: row.sha256, size: row.size }));
    } catch (error) {
      throw inStoreError(error, destination, row.filename);
    }
    crashIfRequested("after-rename");
    const now = Date.now();
    this.pending.push({ ...downloaded, created, since: now });
    return provisionalEntry(this.store.dir, row, now);
  }

  /**
   * Step 8 for every linked wheel at once: their entry directories' names made durable (one fsync of
   * wheels/), then one IMMEDIATE transaction that commits each row whose file is still there. A file a
   * concurrent gc took meanwhile is linked again from its staged copy and committed in the next round.
   */
  async commit(): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    let round = this.pending;
    this.pending = [];
    for (let attempt = 1; round.length > 0; attempt++) {
      await fsyncDirectory(wheelsDir(this.store.dir));
      const committed = this.store.commitRows(round);
      const lost = round.filter((_, i) => committed[i] === undefined);
      for (const [i, item] of round.entries()) {
        const entry = committed[i];
        if (!entry) continue;
        out.push(entry);
        this.committedStaged.push(item.staged.path);
      }
      if (lost.length === 0) break;
      if (attempt >= COMMIT_ATTEMPTS)
        throw new PystoreError(
          "STORE_IO",
          `cannot store ${lost[0].row.filename}: its file at ${lost[0].destination} kept disappearing before its row committed`,
          {
            hint: "a `store gc` with a short --grace is running; run the command again once it finishes",
            details: { path: lost[0].destination, attempts: attempt },
          },
        );
      this.store.log.debug(`${lost.length} file(s) removed by a concurrent gc before their rows committed; linking them again`);
      round = [];
      for (const item of lost) {
        const { created } = await linkStaged(item.staged.path, item.destination, { sha256: item.row.sha256, size: item.row.size });
        round.push({ ...item, created });
      }
    }
    if (out.length > 0) crashIfRequested("after-commit");
    // Committed wheels no longer need their staged names.
    for (const path of this.committedStaged.splice(0)) rmSync(path, { force: true });
    return out;
  }

  /** Remove the staging directory (staged files of uncommitted wheels with it: their links stay as orphans). */
  async close(): Promise<void> {
    const staging = await this.staging?.catch(() => undefined);
    if (staging) await rm(staging, { recursive: true, force: true });
    this.staging = undefined;
  }

  /** One staging directory per batch, made once even when several downloads start together. */
  private stagingDir(): Promise<string> {
    this.staging ??= (async () => {
      const dir = join(tmpDir(this.store.dir), tempName("fetch"));
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        throw inStoreError(error, dir, "a download staging directory");
      }
      return dir;
    })();
    return this.staging;
  }
}

/**
 * A refused write into the store (full disk, read-only, permissions) as STORE_IO naming `path`: the index
 * client reports its own writes as IO, which is for paths the user chose, while this path is the store's.
 */
function inStoreError(error: unknown, path: string, what: string): unknown {
  if (error instanceof PystoreError && error.code === "IO" && error.cause !== undefined)
    return refusedWrite(error.cause, path, what, "STORE_IO") ?? error;
  if (error instanceof PystoreError) return error;
  return refusedWrite(error, path, what, "STORE_IO") ?? error;
}
