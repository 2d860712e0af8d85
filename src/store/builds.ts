// Builds in the store's index (store-format/sqlite-schema.md, "builds"): which derivation produced which
// stored wheel, and the core metadata read from sdists. A build row goes with its wheel's entry (ON DELETE
// CASCADE), so gc's protocol needs no step of its own: no wheel, no provenance.

import type { Db } from "./db.js";

export interface BuildRecord {
  buildKey: string;
  /** The built wheel (an entries row). */
  sha256: string;
  sdistSha256: string;
  /** The derivation as stable JSON (src/build/derivation.ts). */
  derivation: string;
  /** The target the build was first made for. */
  target: string;
  builtAt: number;
}

export type MetadataSource = "pkg-info" | "prepare_metadata_for_build_wheel" | "build_wheel";

interface BuildRow {
  build_key: string;
  sha256: string;
  sdist_sha256: string;
  derivation: string;
  target: string;
  built_at: number;
}

const fromRow = (r: BuildRow): BuildRecord => ({
  buildKey: r.build_key,
  sha256: r.sha256,
  sdistSha256: r.sdist_sha256,
  derivation: r.derivation,
  target: r.target,
  builtAt: r.built_at,
});

export class BuildIndex {
  constructor(private readonly db: Db) {}

  /** The stored build of this derivation, if its wheel is still stored. */
  get(buildKey: string): BuildRecord | undefined {
    const row = this.db.prepare("SELECT * FROM builds WHERE build_key = ?").get(buildKey) as BuildRow | undefined;
    return row && fromRow(row);
  }

  /** Every build that produced the wheel `sha256` (a reproducible wheel may have several). */
  forWheel(sha256: string): BuildRecord[] {
    return (this.db.prepare("SELECT * FROM builds WHERE sha256 = ? ORDER BY build_key").all(sha256) as BuildRow[]).map(fromRow);
  }

  /** Record a build; the wheel's entry row must exist (it is committed first). */
  record(r: Omit<BuildRecord, "builtAt">, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO builds (build_key, sha256, sdist_sha256, derivation, target, built_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (build_key) DO UPDATE SET sha256 = excluded.sha256, derivation = excluded.derivation, target = excluded.target, built_at = excluded.built_at`,
      )
      .run(r.buildKey, r.sha256, r.sdistSha256, r.derivation, r.target, now);
  }

  /** Core metadata cached for an sdist: `environment` is "pkg-info" for static PKG-INFO, else the build environment's key. */
  metadata(sdistSha256: string, environment: string): { source: MetadataSource; metadata: string } | undefined {
    return this.db
      .prepare("SELECT source, metadata FROM sdist_metadata WHERE sdist_sha256 = ? AND environment = ?")
      .get(sdistSha256, environment) as { source: MetadataSource; metadata: string } | undefined;
  }

  recordMetadata(sdistSha256: string, environment: string, source: MetadataSource, metadata: string): void {
    this.db
      .prepare(
        `INSERT INTO sdist_metadata (sdist_sha256, environment, source, metadata) VALUES (?, ?, ?, ?)
         ON CONFLICT (sdist_sha256, environment) DO UPDATE SET source = excluded.source, metadata = excluded.metadata`,
      )
      .run(sdistSha256, environment, source, metadata);
  }
}
