// Entry rows: the SQLite index that maps a wheel's sha256 to its stored file and recorded facts.

import { compareVersions } from "../standards/pep440.js";
import type Database from "better-sqlite3";
import type { Db } from "./db.js";
import { entryFilePath, entryName, integrityOf } from "./layout.js";
import type { WheelInfo } from "./wheel-info.js";
import { compareStrings } from "../util/order.js";

export interface StoreEntry {
  sha256: string;
  /** ssri integrity string. */
  integrity: string;
  size: number;
  filename: string;
  /** Canonical (PEP 503) name. */
  name: string;
  version: string;
  tags: string[];
  requiresPython?: string;
  /** The wheel's METADATA text, exactly as in the archive. */
  metadata: string;
  /** Requires-Dist, formatted. */
  dependencies: string[];
  /** Where the wheel was fetched from, credentials redacted. */
  originUrl?: string;
  index?: string;
  /** `<digest>-<name>-<version>-<tag>` */
  entryName: string;
  /** Absolute path of the wheel file. */
  path: string;
  /** Milliseconds since the epoch when the row was last committed (gc's grace period counts from it). */
  addedAt: number;
}

export interface EntryRow {
  sha256: string;
  integrity: string;
  size: number;
  filename: string;
  name: string;
  version: string;
  tags: string;
  requires_python: string | null;
  metadata: string;
  origin_url: string | null;
  index_url: string | null;
  entry_name: string;
  added_at: number;
}

export type NewEntry = Omit<StoreEntry, "path" | "addedAt">;

/** A row's facts from the wheel's bytes and metadata (origin and index are the caller's). */
export function newEntryRow(source: { sha256: string; size: number }, info: WheelInfo): NewEntry {
  return {
    sha256: source.sha256,
    integrity: integrityOf(source.sha256),
    size: source.size,
    filename: info.filename,
    name: info.name,
    version: info.version,
    tags: info.tags,
    requiresPython: info.requiresPython,
    metadata: info.metadata,
    dependencies: info.dependencies,
    entryName: entryName(source.sha256, info.name, info.version, info.tag),
  };
}

/** What a row will read back as once committed (a fetch links a wheel before its batch of rows commits). */
export function provisionalEntry(storeDir: string, row: NewEntry, addedAt: number): StoreEntry {
  return { ...row, path: entryFilePath(storeDir, row.entryName, row.filename), addedAt };
}

function rowToEntry(storeDir: string, row: EntryRow, dependencies: string[]): StoreEntry {
  const entry: StoreEntry = {
    sha256: row.sha256,
    integrity: row.integrity,
    size: row.size,
    filename: row.filename,
    name: row.name,
    version: row.version,
    tags: JSON.parse(row.tags) as string[],
    metadata: row.metadata,
    dependencies,
    entryName: row.entry_name,
    path: entryFilePath(storeDir, row.entry_name, row.filename),
    addedAt: row.added_at,
  };
  if (row.requires_python !== null) entry.requiresPython = row.requires_python;
  if (row.origin_url !== null) entry.originUrl = row.origin_url;
  if (row.index_url !== null) entry.index = row.index_url;
  return entry;
}

/**
 * A connection's statements, each prepared on first use and kept: preparing costs more than running the
 * small queries a fetch or an add makes several times per wheel.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const prepared = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
}

export class EntryIndex {
  private readonly sql: (sql: string) => Database.Statement;

  constructor(
    db: Db,
    private readonly storeDir: string,
  ) {
    this.sql = statementCache(db);
  }

  private deps(sha256: string): string[] {
    const rows = this.sql("SELECT requirement FROM dependencies WHERE sha256 = ? ORDER BY position").all(sha256) as {
      requirement: string;
    }[];
    return rows.map((r) => r.requirement);
  }

  private toEntries(rows: EntryRow[]): StoreEntry[] {
    return sortEntries(rows.map((row) => rowToEntry(this.storeDir, row, this.deps(row.sha256))));
  }

  /** Whether a row exists, without reading it. */
  has(sha256: string): boolean {
    return this.sql("SELECT 1 FROM entries WHERE sha256 = ?").get(sha256.toLowerCase()) !== undefined;
  }

  get(sha256: string): StoreEntry | undefined {
    const row = this.sql("SELECT * FROM entries WHERE sha256 = ?").get(sha256.toLowerCase()) as EntryRow | undefined;
    return row ? rowToEntry(this.storeDir, row, this.deps(row.sha256)) : undefined;
  }

  /** By canonical name, filename, hex sha256 prefix, or entry-name prefix (the base32 digest). */
  find(query: string, canonicalName: string): StoreEntry[] {
    const q = query.toLowerCase();
    const rows = this.sql(
      `SELECT * FROM entries WHERE name = ? OR filename = ?
           OR (length(?) >= 4 AND (substr(sha256, 1, length(?)) = ? OR substr(entry_name, 1, length(?)) = ?))`,
    ).all(canonicalName, query, q, q, q, q, q) as EntryRow[];
    return this.toEntries(rows);
  }

  /** Every entry; dependencies come from one query, not one per entry (serve lists on every request). */
  list(): StoreEntry[] {
    const rows = this.sql("SELECT * FROM entries").all() as EntryRow[];
    const deps = new Map<string, string[]>();
    for (const d of this.sql("SELECT sha256, requirement FROM dependencies ORDER BY sha256, position").all() as {
      sha256: string;
      requirement: string;
    }[]) {
      const list = deps.get(d.sha256);
      if (list) list.push(d.requirement);
      else deps.set(d.sha256, [d.requirement]);
    }
    return sortEntries(rows.map((row) => rowToEntry(this.storeDir, row, deps.get(row.sha256) ?? [])));
  }

  /**
   * Commit a row (or refresh an existing one). Refreshing `added_at` is what keeps a just-re-added wheel
   * out of a concurrent gc's reach (the grace period); origin and index are kept when already known.
   */
  upsert(entry: NewEntry, now: number): void {
    this.sql(
      `INSERT INTO entries (sha256, integrity, size, filename, name, version, tags, requires_python, metadata, origin_url, index_url, entry_name, added_at)
         VALUES (@sha256, @integrity, @size, @filename, @name, @version, @tags, @requires_python, @metadata, @origin_url, @index_url, @entry_name, @added_at)
         ON CONFLICT (sha256) DO UPDATE SET
           added_at = max(entries.added_at, excluded.added_at),
           origin_url = coalesce(entries.origin_url, excluded.origin_url),
           index_url = coalesce(entries.index_url, excluded.index_url)`,
    ).run({
      sha256: entry.sha256,
      integrity: entry.integrity,
      size: entry.size,
      filename: entry.filename,
      name: entry.name,
      version: entry.version,
      tags: JSON.stringify(entry.tags),
      requires_python: entry.requiresPython ?? null,
      metadata: entry.metadata,
      origin_url: entry.originUrl ?? null,
      index_url: entry.index ?? null,
      entry_name: entry.entryName,
      added_at: now,
    });
    const insert = this.sql("INSERT OR IGNORE INTO dependencies (sha256, position, requirement) VALUES (?, ?, ?)");
    for (const [i, req] of entry.dependencies.entries()) insert.run(entry.sha256, i, req);
  }

  delete(sha256: string): void {
    this.sql("DELETE FROM entries WHERE sha256 = ?").run(sha256);
  }

  setOrigin(sha256: string, originUrl: string | undefined, index: string | undefined): void {
    this.sql("UPDATE entries SET origin_url = coalesce(?, origin_url), index_url = coalesce(?, index_url) WHERE sha256 = ?").run(
      originUrl ?? null,
      index ?? null,
      sha256,
    );
  }
}

/** Deterministic order: name, then PEP 440 version, then filename, then digest. */
function sortEntries(entries: StoreEntry[]): StoreEntry[] {
  return entries.sort((a, b) => {
    if (a.name !== b.name) return compareStrings(a.name, b.name);
    if (a.version !== b.version) {
      let c: number;
      try {
        c = compareVersions(a.version, b.version);
      } catch {
        c = compareStrings(a.version, b.version);
      }
      if (c !== 0) return c;
    }
    return compareStrings(a.filename, b.filename) || compareStrings(a.sha256, b.sha256);
  });
}
