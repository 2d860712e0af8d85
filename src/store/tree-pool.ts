// Many entries' trees for one bundle: the missing ones unpacked in parallel on worker threads (largest
// wheel first), each handed out in the caller's order as soon as it is in place. A tree that was already
// there goes through ensureIntactTree's check as before; one this pool made was checked as it was written.

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PystoreError } from "../errors.js";
import { workerScript } from "../util/shipped.js";
import type { StoreEntry } from "./entries.js";
import { ensureIntactTree, ensureTree, readTree, TREE_INDEX, type Tree, treeDir } from "./tree.js";

/**
 * Each thread costs 30–45 MB at its peak (a held wheel, a member in flight, its own heap): two keep a first
 * bundle's peak RSS under 200 MB, and beyond two the unpack is mostly waiting on the disk anyway.
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
  /** Stop: unstarted unpacks are dropped, running ones finish (none is left half-made in tmp/). */
  close(): Promise<void>;
}

/** A failure as plain data, for postMessage. */
export interface WireError {
  pystore?: { code: string; hint?: string; details?: Record<string, unknown> };
  message: string;
  errno?: { code?: string; errno?: number; syscall?: string; path?: string };
}

export type TreeJobResult = { id: number; created: boolean } | { id: number; error: WireError };

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
    return { intact: (entry) => ensureIntactTree(storeDir, entry), close: async () => {} };
  }
  const workers = opts.maker ? undefined : new WorkerSet(script, threads, opts.oldGenerationMb ?? OLD_GENERATION_MB);
  const make: TreeMaker =
    opts.maker ??
    ((dir, entry) =>
      workers!.run(dir, entry).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== "ERR_WORKER_OUT_OF_MEMORY") throw error;
        // What the dead thread had staged in tmp/ is debris the store removes like a killed run's.
        return ensureTree(dir, entry);
      }));
  // Largest first: the longest unpack starts at once instead of last (the makespan is what the user waits for).
  const order = [...new Map(missing.map((e) => [e.sha256, e])).values()].sort((a, b) => b.size - a.size);
  const made = new Map<string, Promise<{ created: boolean }>>();
  let next = 0;
  let closed = false;
  const lanes: Promise<void>[] = [];
  const settle = new Map<string, { resolve: (v: { created: boolean }) => void; reject: (e: unknown) => void }>();
  for (const entry of order) {
    const promise = new Promise<{ created: boolean }>((resolve, reject) => settle.set(entry.sha256, { resolve, reject }));
    // Awaited by intact() when the caller gets there; a failure before that is not "unhandled".
    promise.catch(() => {});
    made.set(entry.sha256, promise);
  }
  const lane = async () => {
    while (!closed && next < order.length) {
      const entry = order[next++];
      const { resolve, reject } = settle.get(entry.sha256)!;
      await make(storeDir, entry).then(resolve, reject);
    }
  };
  for (let i = 0; i < Math.max(1, threads); i++) lanes.push(lane());
  return {
    async intact(entry) {
      const pending = made.get(entry.sha256);
      if (!pending) return ensureIntactTree(storeDir, entry);
      const { created } = await pending;
      // Made by another process meanwhile: checked like any tree that was already there.
      if (!created) return ensureIntactTree(storeDir, entry);
      const tree = readTree(storeDir, entry);
      if (!tree) return ensureTree(storeDir, entry);
      return { tree, created: true };
    },
    async close() {
      closed = true;
      for (const { reject } of settle.values()) reject(new PystoreError("INTERNAL", "tree pool closed"));
      await Promise.allSettled(lanes);
      await workers?.close();
    },
  };
}

/** A worker thread and the one job it is running, if any. */
interface Slot {
  worker: Worker;
  job?: { id: number; resolve: (value: { created: boolean }) => void; reject: (error: unknown) => void };
  /** Exited (out of memory, a crash): never given another job. */
  dead: boolean;
}

/** `count` worker threads, each given one job at a time; a thread that died is replaced for the next job. */
class WorkerSet {
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly all: Slot[] = [];
  private nextId = 0;

  constructor(
    private readonly script: URL,
    count: number,
    private readonly oldGenerationMb: number,
  ) {
    for (let i = 0; i < count; i++) this.idle.push(this.spawn());
  }

  private spawn(): Slot {
    // A small young generation: each member's buffers die young, and are then freed at once rather than
    // piling up until a larger collection (at V8's default size two threads cost ~30 MB more peak RSS).
    const worker = new Worker(this.script, {
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: this.oldGenerationMb },
    });
    const slot: Slot = { worker, dead: false };
    const fail = (error: unknown) => {
      slot.dead = true;
      const job = slot.job;
      slot.job = undefined;
      job?.reject(error);
    };
    worker.on("message", (result: TreeJobResult) => {
      const job = slot.job;
      if (!job || result.id !== job.id) return;
      slot.job = undefined;
      if ("error" in result) job.reject(fromWire(result.error));
      else job.resolve({ created: result.created });
    });
    // Listened to from the start: a thread can also die while idle (out of memory as it loads).
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new PystoreError("INTERNAL", `a thread unpacking trees exited (${code})`)));
    this.all.push(slot);
    return slot;
  }

  async run(storeDir: string, entry: StoreEntry): Promise<{ created: boolean }> {
    let slot = this.idle.pop() ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)));
    if (slot.dead) slot = this.spawn();
    const id = this.nextId++;
    try {
      return await new Promise<{ created: boolean }>((resolve, reject) => {
        slot.job = { id, resolve, reject };
        slot.worker.postMessage({ id, storeDir, entry });
      });
    } finally {
      const waiter = this.waiting.shift();
      if (waiter) waiter(slot);
      else this.idle.push(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((slot) => slot.worker.terminate()));
  }
}
