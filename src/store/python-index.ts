// The `pythons` table's rows and each interpreter entry's entry.json: what opening a store and looking an
// interpreter up need, without the tree hashing and placing in ./pythons.ts (store-format/store-layout.md,
// "Interpreters").

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STORE_FORMAT_VERSION } from "../format-versions.js";
import { compareStrings } from "../util/order.js";
import { stableJson } from "../util/stable-json.js";
import type { Db } from "./db.js";
import type { PythonEntry, PythonEntryFile, PythonFacts } from "./pythons.js";

const PYTHONS_DIR = "pythons";
/** Written last into the staging directory: an entry directory that has it was renamed into place complete. */
export const PYTHON_ENTRY_FILE = "entry.json";

export function pythonsDir(storeDir: string): string {
  return join(storeDir, PYTHONS_DIR);
}

export function pythonEntryDir(storeDir: string, entryName: string): string {
  return join(storeDir, PYTHONS_DIR, entryName);
}

interface PythonRow {
  sha256: string;
  size: number;
  entry_name: string;
  facts: string;
  files: number;
  added_at: number;
}

export class PythonIndex {
  constructor(
    private readonly db: Db,
    private readonly storeDir: string,
  ) {}

  private toEntry(row: PythonRow): PythonEntry {
    return {
      ...(JSON.parse(row.facts) as PythonFacts),
      sha256: row.sha256,
      size: row.size,
      entryName: row.entry_name,
      dir: pythonEntryDir(this.storeDir, row.entry_name),
      files: row.files,
      addedAt: row.added_at,
    };
  }

  list(): PythonEntry[] {
    const rows = this.db.prepare("SELECT * FROM pythons").all() as PythonRow[];
    return rows.map((r) => this.toEntry(r)).sort((a, b) => compareStrings(a.entryName, b.entryName));
  }

  get(sha256: string): PythonEntry | undefined {
    const row = this.db.prepare("SELECT * FROM pythons WHERE sha256 = ?").get(sha256) as PythonRow | undefined;
    return row && this.toEntry(row);
  }

  /** By sha256 hex prefix or entry-name digest prefix (4+ characters). */
  find(prefix: string): PythonEntry[] {
    const p = prefix.toLowerCase();
    if (p.length < 4) return [];
    return this.list().filter((e) => e.sha256.startsWith(p) || e.entryName.startsWith(p));
  }

  delete(sha256: string): void {
    this.db.prepare("DELETE FROM pythons WHERE sha256 = ?").run(sha256);
  }

  /** Commit the row of an entry directory in place (its file checked inside the transaction); undefined when it vanished. */
  commit(file: PythonEntryFile, entryName: string): PythonEntry | undefined {
    return this.db
      .transaction(() => {
        if (readEntryFile(this.storeDir, entryName)?.sha256 !== file.sha256) return undefined;
        this.db
          .prepare(
            `INSERT INTO pythons (sha256, size, entry_name, implementation, version, python, os, machine, libc, facts, files, added_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (sha256) DO UPDATE SET added_at = excluded.added_at`,
          )
          .run(
            file.sha256,
            file.size,
            entryName,
            file.facts.implementation,
            file.facts.version,
            file.facts.python,
            file.facts.os,
            file.facts.machine,
            file.facts.libc,
            stableJson(file.facts),
            file.files.length,
            Date.now(),
          );
        // Claimed again: a gc that doomed this directory and was killed before moving it must not take it.
        this.db.prepare("DELETE FROM gc_pending WHERE entry_name = ?").run(entryName);
        return this.get(file.sha256);
      })
      .immediate();
  }

  /** Refresh the commit time so a concurrent gc's grace period covers it. */
  touch(sha256: string): void {
    this.db.prepare("UPDATE pythons SET added_at = max(added_at, ?) WHERE sha256 = ?").run(Date.now(), sha256);
  }
}

export function readEntryFile(storeDir: string, entryName: string): PythonEntryFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(pythonEntryDir(storeDir, entryName), PYTHON_ENTRY_FILE), "utf8")) as PythonEntryFile;
    return parsed?.formatVersion === STORE_FORMAT_VERSION && typeof parsed.sha256 === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether any pythons/ directory is a finished entry (has its entry.json): a store whose index must not be made up afresh. */
export function holdsStoredPythons(storeDir: string): boolean {
  return listPythonDirs(storeDir).some((name) => readEntryFile(storeDir, name) !== undefined);
}

/** Every name under pythons/, sorted (rows or not). */
export function listPythonDirs(storeDir: string): string[] {
  try {
    return readdirSync(pythonsDir(storeDir)).sort(compareStrings);
  } catch {
    return [];
  }
}
