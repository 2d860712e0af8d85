// Wheels a caller staged in the store's tmp/ (a `store pull`'s blobs), admitted by the same steps as a
// fetch's downloads (./fetch-batch.ts): each admitted as soon as it is added, while the transfers still
// running go on; none linked into place before every one passed (one refused wheel adds none); then
// linked, not copied, and their rows committed in one transaction.

import { chmodSync } from "node:fs";
import { relative, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { WHEEL_MODE } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { type Downloaded, FetchBatch } from "./fetch-batch.js";
import { tmpDir } from "./layout.js";
import type { Store } from "./store.js";

/** A wheel staged in the store's tmp/ by its caller. */
export interface StagedWheel {
  path: string;
  filename: string;
  /** What the caller checked the bytes against as it wrote them (and fsynced them). */
  sha256: string;
  size: number;
  originUrl?: string;
  index?: string;
}

export class StagedAdmission {
  private readonly batch: FetchBatch;
  /** By the position the caller gave each wheel: the refusal reported is the first in that order. */
  private readonly admitted: { position: number; admitted: Promise<Downloaded> }[] = [];

  constructor(private readonly store: Store) {
    this.batch = new FetchBatch(store);
  }

  /**
   * Admit `item` (its file becomes read-only: the stored link shares its inode). `position`: its place in
   * the caller's own order (default: the order added), which decides which refusal is reported.
   */
  add(item: StagedWheel, position = this.admitted.length): void {
    const tmp = tmpDir(this.store.dir);
    const rel = relative(resolve(tmp), resolve(item.path));
    if (rel === "" || rel.startsWith("..") || rel.startsWith("/"))
      throw new PystoreError("INTERNAL", `${item.path} is not staged in the store's ${tmp}`);
    chmodSync(item.path, WHEEL_MODE);
    const staged = { path: item.path, sha256: item.sha256, size: item.size, created: true, synced: Promise.resolve() };
    const admitted = this.batch.admit(staged, item.filename, item);
    // Awaited by finish(); marked handled now, so a refusal while others are still added is not "unhandled".
    admitted.catch(() => {});
    this.admitted.push({ position, admitted });
  }

  /** Every added wheel admitted (the first refused by position is thrown), then linked and committed. */
  async finish(): Promise<StoreEntry[]> {
    const ordered = [...this.admitted].sort((a, b) => a.position - b.position);
    const results = await Promise.allSettled(ordered.map((a) => a.admitted));
    const refused = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (refused) throw refused.reason;
    for (const result of results) await this.batch.link((result as PromiseFulfilledResult<Downloaded>).value);
    return this.batch.commit();
  }

  /** Close the batch; staged files of a batch that did not finish are the caller's to remove. */
  close(): Promise<void> {
    return this.batch.close();
  }
}
