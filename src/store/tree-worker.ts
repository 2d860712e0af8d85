// A worker thread that unpacks store trees (tree-pool.ts sends it one entry at a time): ensureTree, as the
// main thread would run it, and its failure sent back as data (errors do not cross threads intact).

import { parentPort } from "node:worker_threads";
import type { StoreEntry } from "./entries.js";
import { ensureTree } from "./tree.js";
import { type TreeJobResult, toWire } from "./tree-pool.js";

parentPort?.on("message", async (job: { id: number; storeDir: string; entry: StoreEntry }) => {
  let result: TreeJobResult;
  try {
    result = { id: job.id, created: (await ensureTree(job.storeDir, job.entry)).created };
  } catch (error) {
    result = { id: job.id, error: toWire(error) };
  }
  parentPort?.postMessage(result);
});
