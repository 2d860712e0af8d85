// Helpers shared by the store commands: open the configured store, format sizes and entries.

import type { CommandContext } from "./context.js";
import type { StoreEntry } from "../store/entries.js";
import { openStore, type Store } from "../store/store.js";
import { storeSettings } from "./settings.js";

export function storeDirFor(ctx: CommandContext): string {
  return storeSettings(ctx).dir;
}

export async function withStore<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>, opts: { readonly?: boolean } = {}): Promise<T> {
  const store = await openStore({ dir: storeDirFor(ctx), log: ctx.log, readonly: opts.readonly });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

export function humanSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** An entry as `--json` shows it: everything but the (long) METADATA text unless asked for. */
export function entryJson(entry: StoreEntry, withMetadata = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    dependencies: entry.dependencies,
    entryName: entry.entryName,
    filename: entry.filename,
    index: entry.index ?? null,
    integrity: entry.integrity,
    name: entry.name,
    originUrl: entry.originUrl ?? null,
    path: entry.path,
    requiresPython: entry.requiresPython ?? null,
    sha256: entry.sha256,
    size: entry.size,
    tags: entry.tags,
    version: entry.version,
  };
  if (withMetadata) out.metadata = entry.metadata;
  return out;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Left-aligned columns, for human tables. */
export function columns(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}
