// Many entries' trees for one bundle: the missing ones unpacked in parallel on worker threads, each handed
// out in the caller's order as soon as it is in place. A tree that was already there goes through
// ensureIntactTree's check as before; one this pool made was checked as it was written.

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PystoreError } from "../errors.js";
import { tempName } from "../util/atomic-write.js";
import { workerScript } from "../util/shipped.js";
import { removeReadOnly } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { tmpDir } from "./layout.js";
import { ensureIntactTree, ensureTree, readTree, TREE_INDEX, type Tree, type TreeEntry, treeDir, treeEntry } from "./tree.js";

/**
 * Each thread costs 12–15 MB at its peak (its heap, a held wheel, the member reader's buffers): two keep a
 * first bundle's peak RSS under 200 MB, and beyond two the unpack is mostly waiting on the disk anyway.
 */
const MAX_WORKERS = 2;

export interface IntactTree {
  tree: Tree;
  created: boolean;
  damaged?: string;
}

export interface TreePool {
  /** The entry's tree, intact: made by the pool, or an existing one checked. */
  intact(entry: StoreEntry): Promise<IntactTree>;
  /**
   * The entry's tree, leaving the check to the caller: one this pool made (`created`) was checked as it was
   * written; an existing one (`created` false) must be checked before its files are used (src/install/intact-files.ts).
   */
  ready(entry: StoreEntry): Promise<{ tree: Tree; created: boolean }>;
  /** Stop: unstarted unpacks are dropped, running ones finish (none is left half-made in tmp/). */
  close(): Promise<void>;
  /** How many of the entries had no tree when the pool was made. */
  readonly missing: number;
}

/** A failure as plain data, for postMessage. */
export interface WireError {
  pystore?: { code: string; hint?: string; details?: Record<string, unknown> };
  message: string;
  errno?: { code?: string; errno?: number; syscall?: string; path?: string };
}

export function toWire(error: unknown): WireError {
  if (error instanceof PystoreError) {
    return { message: error.message, pystore: { code: error.code, hint: error.hint, details: error.details } };
  }
  const e = error as NodeJS.ErrnoException;
  return { message: e?.message ?? String(error), errno: { code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path } };
}

export function fromWire(wire: WireError): Error {
  if (wire.pystore) {
    const { code, hint, details } = wire.pystore;
    return new PystoreError(code as PystoreError["code"], wire.message, { hint, details });
  }
  const error = new Error(wire.message) as NodeJS.ErrnoException;
  for (const [key, value] of Object.entries(wire.errno ?? {})) if (value !== undefined) Object.assign(error, { [key]: value });
  return error;
}

/** How a missing tree gets made: on a worker thread, or (tests, one tree) in this thread. */
export type TreeMaker = (storeDir: string, entry: StoreEntry) => Promise<{ created: boolean }>;

/**
 * What a thread is started with (its workerData): every job, and the order it claims them in. Threads claim
 * jobs themselves, so one never waits for this thread, busy installing a tree, to hand it the next.
 */
export interface TreeThreadData {
  storeDir: string;
  /** Each with the staging directory the pool named, so the pool can remove it if the thread dies. */
  jobs: { entry: TreeEntry; staging: string }[];
  order: number[];
  /** JobClaims' flags. */
  claims: SharedArrayBuffer;
  /** One Int32 per thread: 1 + the job it is unpacking, 0 between jobs. */
  current: SharedArrayBuffer;
  thread: number;
}

export type TreeJobResult = { index: number; created: boolean } | { index: number; error: WireError };

/**
 * Which job a lane takes next: the first in its order that no lane has claimed. The flags are shared by
 * every thread (one Int32 per job, then one that closes the pool), so a claim is one compare-and-swap.
 */
export class JobClaims {
  private cursor = 0;
  private readonly flags: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly order: readonly number[],
  ) {
    this.flags = new Int32Array(buffer);
  }

  static buffer(jobs: number): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * (jobs + 1));
  }

  next(): number | undefined {
    while (this.cursor < this.order.length && Atomics.load(this.flags, this.flags.length - 1) === 0) {
      const job = this.order[this.cursor++];
      if (Atomics.compareExchange(this.flags, job, 0, 1) === 0) return job;
    }
    return undefined;
  }

  close(): void {
    Atomics.store(this.flags, this.flags.length - 1, 1);
  }

  claimed(job: number): boolean {
    return Atomics.load(this.flags, job) !== 0;
  }
}

const WORKER = workerScript("tree-worker");
const YOUNG_GENERATION_MB = 2;
/**
 * A worker's heap is capped low so that V8 collects early instead of growing (on a 103-wheel set, two
 * threads added ~80 MB to the peak RSS uncapped, ~30 MB capped). A wheel whose index does not fit runs
 * the thread out of memory: that wheel is then unpacked in this thread, which has no such cap.
 */
const OLD_GENERATION_MB = 32;

/**
 * A pool for `entries`. Workers start only when two or more trees are missing and the compiled worker
 * module exists (running from sources, as in-process tests do, unpacks in this thread). `threads`
 * overrides the thread count (default: the cores, at most MAX_WORKERS).
 */
export function treePool(
  storeDir: string,
  entries: StoreEntry[],
  opts: { threads?: number; maker?: TreeMaker; worker?: URL; oldGenerationMb?: number } = {},
): TreePool {
  const script = opts.worker ?? WORKER;
  const missing = entries.filter((e) => !existsSync(join(treeDir(storeDir, e.entryName), TREE_INDEX)));
  const threads = Math.min(opts.threads ?? Math.min(availableParallelism(), MAX_WORKERS), missing.length);
  if (!opts.maker && (threads < 2 || !existsSync(fileURLToPath(script)))) {
    return {
      intact: (entry) => ensureIntactTree(storeDir, entry),
      ready: (entry) => readyTree(storeDir, entry),
      close: async () => {},
      missing: missing.length,
    };
  }
  const jobs = [...new Map(missing.map((e) => [e.sha256, e])).values()];
  const index = new Map(jobs.map((e, i) => [e.sha256, i]));
  const claims = JobClaims.buffer(jobs.length);
  // One lane follows the caller's order, so the caller installs trees while the rest are unpacked; the others
  // take the largest wheel left, so the longest unpack starts at once instead of last (the makespan is what
  // the user waits for). One thread: the caller's order alone.
  const inOrder = jobs.map((_, i) => i);
  const bySize = [...inOrder].sort((a, b) => jobs[b].size - jobs[a].size);
  const laneCount = Math.max(1, threads);
  const orders = Array.from({ length: laneCount }, (_, lane) => (lane === laneCount - 1 ? inOrder : bySize));
  const settled: boolean[] = jobs.map(() => false);
  const settle: { resolve: (v: { created: boolean }) => void; reject: (e: unknown) => void }[] = [];
  const made = jobs.map(
    (_, i) =>
      new Promise<{ created: boolean }>((resolve, reject) => {
        settle[i] = {
          resolve: (value) => {
            settled[i] = true;
            resolve(value);
          },
          reject: (error) => {
            settled[i] = true;
            reject(error);
          },
        };
      }),
  );
  // Awaited by intact() when the caller gets there; a failure before that is not "unhandled".
  for (const promise of made) promise.catch(() => {});
  const makeHere = opts.maker ?? ensureTree;
  /** This thread as a lane: with a maker (tests), or when every thread is gone with jobs unclaimed. */
  const lane = async (order: readonly number[]) => {
    const mine = new JobClaims(claims, order);
    for (let job = mine.next(); job !== undefined; job = mine.next()) {
      await makeHere(storeDir, jobs[job]).then(settle[job].resolve, settle[job].reject);
    }
  };
  const lanes: Promise<void>[] = [];
  const threadSet = opts.maker
    ? undefined
    : new TreeThreads(script, opts.oldGenerationMb ?? OLD_GENERATION_MB, {
        storeDir,
        jobs: jobs.map((entry) => ({ entry: treeEntry(entry), staging: join(tmpDir(storeDir), tempName("tree")) })),
        claims,
        orders,
        result(message) {
          if (settled[message.index]) return;
          if ("error" in message) settle[message.index].reject(fromWire(message.error));
          else settle[message.index].resolve({ created: message.created });
        },
        died(job, error) {
          if (settled[job]) return;
          // Out of memory on this wheel: unpacked here, where the heap is not capped.
          if ((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY")
            lanes.push(makeHere(storeDir, jobs[job]).then(settle[job].resolve, settle[job].reject));
          else settle[job].reject(error);
        },
        allGone() {
          lanes.push(lane(inOrder));
        },
      });
  if (!threadSet) for (const order of orders) lanes.push(lane(order));
  return {
    missing: missing.length,
    async intact(entry) {
      const job = index.get(entry.sha256);
      if (job === undefined) return ensureIntactTree(storeDir, entry);
      const { created } = await made[job];
      // Made by another process meanwhile: checked like any tree that was already there.
      if (!created) return ensureIntactTree(storeDir, entry);
      const tree = readTree(storeDir, entry);
      if (!tree) return ensureTree(storeDir, entry);
      return { tree, created: true };
    },
    async ready(entry) {
      const job = index.get(entry.sha256);
      if (job === undefined) return readyTree(storeDir, entry);
      const { created } = await made[job];
      const tree = created ? readTree(storeDir, entry) : undefined;
      return tree ? { tree, created: true } : readyTree(storeDir, entry);
    },
    async close() {
      const control = new JobClaims(claims, []);
      control.close();
      const closed = new PystoreError("INTERNAL", "tree pool closed");
      for (const [job, { reject }] of settle.entries()) if (!control.claimed(job)) reject(closed);
      await threadSet?.finished();
      await Promise.allSettled(lanes);
      // Every claimed job has been settled by its thread or by died(); this only keeps a caller from hanging.
      for (const { reject } of settle) reject(closed);
    },
  };
}

interface ThreadEvents {
  storeDir: string;
  jobs: TreeThreadData["jobs"];
  claims: SharedArrayBuffer;
  orders: number[][];
  result(message: TreeJobResult): void;
  /** The thread unpacking `job` died (out of memory, a crash); what it had staged is already removed. */
  died(job: number, error: unknown): void;
  /** Every thread has exited, and no new one will be started. */
  allGone(): void;
}

/**
 * One worker thread per order, each claiming jobs until none is left. A thread that dies in the middle of
 * a job is replaced (the job was that wheel's failure, not the thread's); one that dies between jobs (out
 * of memory as it loads) is not, and when none is left the jobs nobody claimed are made in this thread.
 */
class TreeThreads {
  private readonly current: Int32Array;
  private readonly exits: Promise<void>[] = [];
  private alive = 0;

  constructor(
    private readonly script: URL,
    private readonly oldGenerationMb: number,
    private readonly events: ThreadEvents,
  ) {
    this.current = new Int32Array(new SharedArrayBuffer(4 * events.orders.length));
    for (let thread = 0; thread < events.orders.length; thread++) this.spawn(thread);
  }

  private spawn(thread: number): void {
    const { storeDir, jobs, claims, orders } = this.events;
    const data: TreeThreadData = {
      storeDir,
      jobs,
      order: orders[thread],
      claims,
      current: this.current.buffer as SharedArrayBuffer,
      thread,
    };
    // A small young generation: each member's buffers die young, and are then freed at once rather than
    // piling up until a larger collection (at V8's default size two threads cost ~30 MB more peak RSS).
    const worker = new Worker(this.script, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: this.oldGenerationMb },
    });
    this.alive++;
    let failure: unknown;
    worker.on("message", (message: TreeJobResult) => this.events.result(message));
    worker.on("error", (error) => {
      failure = error;
    });
    this.exits.push(
      new Promise((resolve) =>
        worker.on("exit", (code) => {
          this.alive--;
          const job = Atomics.exchange(this.current, thread, 0) - 1;
          if (job >= 0) {
            // The thread is gone, so nothing writes there any more: what it had staged is removed now rather
            // than left in tmp/ until the next store open.
            removeStaging(jobs[job].staging);
            this.events.died(job, failure ?? new PystoreError("INTERNAL", `a thread unpacking trees exited (${code})`));
            this.spawn(thread);
          } else if (this.alive === 0) {
            this.events.allGone();
          }
          resolve();
        }),
      ),
    );
  }

  /** Every thread has exited (each stops after its job once the claims are closed). */
  async finished(): Promise<void> {
    for (let done = 0; done < this.exits.length; done++) await this.exits[done];
  }
}

/**
 * An existing tree as it is (unchecked), else ensureTree's: read first, since ensureTree names a staging
 * directory (random bytes) on every call, which a warm bundle of a hundred trees would pay for nothing.
 */
async function readyTree(storeDir: string, entry: StoreEntry): Promise<{ tree: Tree; created: boolean }> {
  let tree: Tree | undefined;
  try {
    tree = readTree(storeDir, entry);
  } catch {
    // A damaged index: ensureTree moves the tree aside and extracts it again.
  }
  return tree ? { tree, created: false } : ensureTree(storeDir, entry);
}

function removeStaging(path: string): void {
  try {
    removeReadOnly(path);
  } catch {
    // Left for the store's next open, which removes a dead process's debris in tmp/.
  }
}
