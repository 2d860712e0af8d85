// A worker thread that unpacks store trees (tree-pool.ts starts it with every job): it claims jobs in its
// order until none is left, runs ensureTree for each, as the main thread would, into the staging directory
// the pool named, and sends back each result, a failure as data (errors do not cross threads intact).

import { parentPort, workerData } from "node:worker_threads";
import { ensureTree } from "./tree.js";
import { JobClaims, type TreeJobResult, type TreeThreadData, toWire } from "./tree-pool.js";

const data = workerData as TreeThreadData;
const claims = new JobClaims(data.claims, data.order);
const current = new Int32Array(data.current);

for (let job = claims.next(); job !== undefined; job = claims.next()) {
  // Read by the pool if this thread dies: which staging directory to remove, which job to settle.
  Atomics.store(current, data.thread, job + 1);
  const { entry, staging } = data.jobs[job];
  let result: TreeJobResult;
  try {
    result = { index: job, created: (await ensureTree(data.storeDir, entry, staging)).created };
  } catch (error) {
    result = { index: job, error: toWire(error) };
  }
  parentPort?.postMessage(result);
  Atomics.store(current, data.thread, 0);
}
