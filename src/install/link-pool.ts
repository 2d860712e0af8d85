// Linking a dir bundle's wheels from the store's trees on threads, one job per wheel, while this thread
// plans the next wheel: a link or mkdir is a syscall that waits on the filesystem, and a thread per core
// overlaps them with the planning and with each other. Small bundles (and tests run from sources, where no
// compiled worker exists) link in this thread, with the same job code.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PystoreError } from "../errors.js";
import { shippedFile } from "../util/shipped.js";
import { type FileImporter, isUnsupported } from "./importer.js";
import { fromWireFs, type LinkJob, type LinkResult, runLinkJob } from "./link-job.js";
import type { TreeWriter } from "./tree-writer.js";

/**
 * tsc's output of link-worker.ts, also when the CLI runs from the esbuild bundle: the worker imports node:fs
 * and four small modules only (no bundle entry of its own needed), which load about as fast as one file.
 */
const WORKER = shippedFile("install/link-worker.js");
/**
 * One thread beside this one: this thread plans every wheel first (links only queue), then links from the
 * last job backwards while the thread links from the first; two threads' start-up (~40 ms of CPU each) buys
 * nothing on two cores that this one and one thread already keep busy.
 */
const THREADS = 1;
/**
 * Below this many files a thread costs more than it saves: jobs wait here until the queue holds this many,
 * and a smaller bundle links them itself. Measured on ext4, 2 cores: 7,800 files (29 wheels) took the same
 * wall time with the thread and 100 ms more CPU; 31,000 (103 wheels) about a third less wall time.
 */
const MIN_FILES_FOR_THREADS = 12_000;

export interface LinkPoolOptions {
  threads?: number;
  worker?: URL;
  /** Files queued before threads start (default MIN_FILES_FOR_THREADS). */
  minFiles?: number;
  /**
   * Start the threads now, not when the queue is long enough: the caller knows there will be work (a thread
   * takes tens of milliseconds to start, which then overlap with reading the first trees).
   */
  startNow?: boolean;
  /** false: finish() leaves every job sent to a thread to the threads (tests prove the threads' path). */
  helpThreads?: boolean;
}

/** What a link thread is started with: one Int32 per job, set by whichever thread claims it first. */
export interface LinkThreadData {
  claims: SharedArrayBuffer;
}

/** A job as the caller gives it: the pool adds its id, the importer's mode and the root. */
export type NewLinkJob = Omit<LinkJob, "id" | "how" | "root">;

export class LinkPool {
  private readonly jobs: LinkJob[] = [];
  private readonly results = new Map<number, LinkResult>();
  private readonly claims: Int32Array;
  private queuedFiles = 0;
  private threads: Worker[] | undefined;
  private sent = 0;
  private failure: Error | undefined;
  private awaited = new Set<number>();
  private settled: (() => void) | undefined;
  private readonly threadCount: number;
  private readonly script: URL;
  private readonly minFiles: number;
  private readonly helpThreads: boolean;
  private readonly canThread: boolean;
  private readonly dirs: { parentOf(relPath: string): void };

  /** At most `capacity` jobs, each linked under `writer`'s root (whose directory records this thread shares). */
  constructor(
    private readonly writer: TreeWriter,
    private readonly importer: FileImporter,
    capacity: number,
    opts: LinkPoolOptions = {},
  ) {
    this.claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, capacity)));
    this.threadCount = opts.threads ?? THREADS;
    this.script = opts.worker ?? WORKER;
    this.minFiles = opts.minFiles ?? MIN_FILES_FOR_THREADS;
    this.helpThreads = opts.helpThreads ?? true;
    this.canThread = this.threadCount > 0 && existsSync(fileURLToPath(this.script));
    this.dirs = {
      parentOf: (relPath) => {
        const slash = relPath.lastIndexOf("/");
        writer.mkdirs(slash < 0 ? "" : relPath.slice(0, slash));
      },
    };
    if (opts.startNow) this.startThreads();
  }

  private startThreads(): void {
    if (this.threads || !this.canThread) return;
    this.threads = Array.from({ length: this.threadCount }, () => this.spawn());
  }

  /**
   * Queue `job`'s files (its tree checked first): finish() links what no thread took and says how every job
   * ended. Until the importer knows its mode, a job runs here and now, so hardlink → clone → copy is probed
   * once, before any thread links; so does every job when no thread can start.
   */
  add(job: NewLinkJob): number {
    const id = this.jobs.length;
    if (id >= this.claims.length) throw new PystoreError("INTERNAL", `link pool: job ${id} beyond its ${this.claims.length}`);
    const full: LinkJob = { ...job, id, how: this.importer.mode ?? "hardlink", root: this.writer.root };
    this.jobs.push(full);
    // No thread can take it (none allowed, or no compiled worker): linked now, in order, as the plan goes,
    // which in a first bundle overlaps the linking with the trees still being unpacked.
    if (this.importer.mode === undefined || !this.canThread) {
      Atomics.store(this.claims, id, 1);
      this.results.set(id, this.runHere(full, 0));
      return id;
    }
    this.queuedFiles += full.executable.length;
    if (this.queuedFiles >= this.minFiles) this.startThreads();
    if (this.threads) {
      // Every job not yet sent (those queued before the threads started too), round robin.
      for (; this.sent < this.jobs.length; this.sent++) this.threads[this.sent % this.threads.length].postMessage(this.jobs[this.sent]);
    }
    return id;
  }

  /**
   * Link every job no thread has taken, from the last backwards, then wait for the threads'. A job that hit a
   * mode that stopped working (EXDEV mid-bundle) is finished here by the importer, which falls back and
   * warns. A real failure is thrown (the lowest job's, so the message does not depend on thread timing).
   * Returns the jobs whose tree was damaged, with the first damaged file: none of their files is linked.
   */
  async finish(): Promise<{ id: number; damaged: string }[]> {
    for (let id = this.jobs.length - 1; id >= 0; id--) {
      const mine = this.helpThreads || id >= this.sent;
      if (mine && Atomics.compareExchange(this.claims, id, 0, 1) === 0) this.results.set(id, this.runHere(this.jobs[id], 0));
      else if (!this.results.has(id)) this.awaited.add(id);
    }
    if (this.awaited.size > 0 && !this.failure) await new Promise<void>((resolve) => (this.settled = resolve));
    if (this.failure) throw this.failure;
    const damaged: { id: number; damaged: string }[] = [];
    for (let id = 0; id < this.jobs.length; id++) {
      let result = this.results.get(id)!;
      if ("failedAt" in result && isUnsupported(result.error)) result = this.runHere(this.jobs[id], result.failedAt);
      if ("failedAt" in result) throw fromWireFs(result.error);
      if ("damaged" in result) damaged.push({ id, damaged: result.damaged });
    }
    return damaged;
  }

  /** Link a damaged job's files here, once its tree was extracted again (not checked: it was just made). */
  relink(id: number): void {
    const result = this.runHere({ ...this.jobs[id], check: undefined }, 0);
    if ("failedAt" in result) throw fromWireFs(result.error);
  }

  /** Stop the threads (after a failure, what they linked is in the staging tree, which is removed next). */
  async close(): Promise<void> {
    // Unclaimed jobs stay unclaimed: a thread still reading its messages skips them.
    for (let id = 0; id < this.claims.length; id++) Atomics.store(this.claims, id, 1);
    const threads = this.threads ?? [];
    this.threads = undefined;
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private runHere(job: LinkJob, from: number): LinkResult {
    return runLinkJob(job, this.dirs, (source, target, mode) => this.importer.importFile(source, target, mode), from);
  }

  private spawn(): Worker {
    const data: LinkThreadData = { claims: this.claims.buffer as SharedArrayBuffer };
    const worker = new Worker(this.script, { workerData: data });
    worker.on("message", (result: LinkResult) => {
      this.results.set(result.id, result);
      this.awaited.delete(result.id);
      if (this.awaited.size === 0) this.settled?.();
    });
    const lost = (error: Error) => {
      // A thread that died may have left a job half linked: the build fails.
      this.failure ??= error;
      this.settled?.();
    };
    worker.on("error", lost);
    worker.on("exit", (code) => {
      if (this.threads?.includes(worker)) lost(new PystoreError("INTERNAL", `a thread linking the bundle's files exited (${code})`));
    });
    return worker;
  }
}
