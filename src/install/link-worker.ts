// A thread that links wheels' store files into a bundle's staging tree (link-pool.ts sends it one job per
// wheel): each job it claims has its tree checked, then its files linked, and the result posted back as data.
// It imports node:fs and four small modules only: link-pool.ts starts it from tsc's output (dist/install/).

import { parentPort, workerData } from "node:worker_threads";
import { importWith } from "./importer.js";
import { DirMaker, type LinkJob, runLinkJob } from "./link-job.js";
import type { LinkThreadData } from "./link-pool.js";

const makers = new Map<string, DirMaker>();

const claims = new Int32Array((workerData as LinkThreadData).claims);

parentPort?.on("message", (job: LinkJob) => {
  // The pool's thread links from the last job backwards: a job it took first is not this thread's.
  if (Atomics.compareExchange(claims, job.id, 0, 1) !== 0) return;
  let dirs = makers.get(job.root);
  if (!dirs) {
    dirs = new DirMaker(job.root);
    makers.set(job.root, dirs);
  }
  parentPort?.postMessage(runLinkJob(job, dirs, (source, target, mode) => importWith(job.how, source, target, mode)));
});
