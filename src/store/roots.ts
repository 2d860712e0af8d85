// GC roots: locks, bundles and fetches that keep entries alive, and whether each still does.

import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Db } from "./db.js";

export type RootKind = "lock" | "bundle" | "fetch";

export interface Root {
  id: number;
  kind: RootKind;
  path: string;
  createdAt: number;
  sha256s: string[];
}

export interface RootStatus extends Root {
  stale: boolean;
  /** Why it is stale (absent when live). */
  reason?: string;
}

/** Bundles carry this manifest (store-format/bundle-manifest.md); it lists every wheel's sha256. */
const BUNDLE_MANIFEST = "pystore-bundle.json";

export class RootIndex {
  constructor(private readonly db: Db) {}

  /** Register (or re-register, replacing its members) the root at `path`. */
  add(kind: RootKind, path: string, sha256s: string[], now: number): void {
    const absolute = resolve(path);
    const members = [...new Set(sha256s.map((s) => s.toLowerCase()))].sort();
    this.db
      .transaction(() => {
        this.db
          .prepare(
            "INSERT INTO roots (kind, path, created_at) VALUES (?, ?, ?) ON CONFLICT (kind, path) DO UPDATE SET created_at = excluded.created_at",
          )
          .run(kind, absolute, now);
        const { id } = this.db.prepare("SELECT id FROM roots WHERE kind = ? AND path = ?").get(kind, absolute) as { id: number };
        this.db.prepare("DELETE FROM root_members WHERE root_id = ?").run(id);
        const insert = this.db.prepare("INSERT INTO root_members (root_id, sha256) VALUES (?, ?)");
        for (const sha of members) insert.run(id, sha);
      })
      .immediate();
  }

  remove(id: number): void {
    this.db.prepare("DELETE FROM roots WHERE id = ?").run(id);
  }

  list(): Root[] {
    const roots = this.db.prepare("SELECT id, kind, path, created_at FROM roots ORDER BY kind, path").all() as {
      id: number;
      kind: RootKind;
      path: string;
      created_at: number;
    }[];
    const members = this.db.prepare("SELECT sha256 FROM root_members WHERE root_id = ? ORDER BY sha256");
    return roots.map((r) => ({
      id: r.id,
      kind: r.kind,
      path: r.path,
      createdAt: r.created_at,
      sha256s: (members.all(r.id) as { sha256: string }[]).map((m) => m.sha256),
    }));
  }

  listWithStatus(): RootStatus[] {
    return this.list().map((root) => ({ ...root, ...staleness(root) }));
  }
}

/**
 * A root is stale when its file is gone, or (for locks and bundle directories, whose text lists hashes)
 * no longer mentions every hash it registered: the lock was re-resolved or the bundle rebuilt.
 * Archive bundles (tar.gz, pyz) are live while they exist.
 */
export function staleness(root: Root): { stale: boolean; reason?: string } {
  if (!existsSync(root.path)) return { stale: true, reason: "path no longer exists" };
  let text: string | undefined;
  try {
    // `fetch` roots point at the lock they fetched for, so they go stale with it.
    if ((root.kind === "lock" || root.kind === "fetch") && statSync(root.path).isFile()) text = readFileSync(root.path, "utf8");
    if (root.kind === "bundle") {
      const manifest = statSync(root.path).isDirectory() ? join(root.path, BUNDLE_MANIFEST) : undefined;
      if (manifest && existsSync(manifest)) text = readFileSync(manifest, "utf8");
    }
  } catch (error) {
    return { stale: true, reason: `unreadable: ${(error as Error).message}` };
  }
  if (text === undefined) return { stale: false };
  const lower = text.toLowerCase();
  const gone = root.sha256s.filter((sha) => !lower.includes(sha));
  if (gone.length > 0) return { stale: true, reason: `no longer references ${gone.length} of its ${root.sha256s.length} wheels` };
  return { stale: false };
}
