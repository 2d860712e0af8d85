// Admission checks off the main thread: a fetch hashes and writes downloads on the main thread while worker
// threads (one per core but one) inflate and check the wheels already downloaded, the costly part of
// vetting. A wheel goes to the least busy worker; with several workers a large one is shared by all of them
// (./vet-share.ts), so one big wheel does not leave the other cores idle. Same checks, same errors; where
// no compiled worker script exists (tests running the TypeScript sources) it vets in-thread.

import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type ErrorCode, PystoreError } from "../errors.js";
import { combineParts, newControl, type PartOutcome, type SerializedError } from "./vet-share.js";
import type { VetJob, VetReply } from "./vet-worker.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";
import { workerScript } from "../util/shipped.js";

const WORKER_SCRIPT = workerScript("vet-worker");

/**
 * Wheels this large are shared by every worker. Every part repeats the checks before the members (the
 * directory, names, RECORD), which for a wheel of many small files is much of the work: only wheels this
 * large, whose members are mostly large, gain more than they repeat.
 */
export const SHARE_ABOVE_BYTES = 8 * 1024 * 1024;
/** A shared wheel up to this size is read into shared memory once, instead of at offsets by every part. */
const SHARED_READ_MAX_BYTES = 256 * 1024 * 1024;
const MAX_WORKERS = 8;

interface Slot {
  worker: Worker;
  /** Jobs sent and not yet answered. */
  busy: number;
}

interface Waiter {
  resolve: (info: WheelInfo) => void;
  reject: (error: unknown) => void;
  /** A shared wheel: the parts still owed, and the outcomes so far. */
  parts?: { owed: number; outcomes: PartOutcome[] };
}

export interface VetPoolOptions {
  /** How many worker threads at most (default: one per core but one, which downloads and hashes; 0: vet in-thread). */
  workers?: number;
  /** Wheels from this size on are shared by every worker (default SHARE_ABOVE_BYTES). */
  shareAboveBytes?: number;
  /** The worker script (default: the compiled vet-worker.js beside this module). */
  script?: URL;
}

export class VetPool {
  private readonly slots: Slot[] = [];
  private unavailable = false;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly limit: number;
  private readonly shareAbove: number;
  private readonly script: URL;

  constructor(opts: VetPoolOptions = {}) {
    // Measured on two cores: a second worker competes with the downloads and costs its own start-up and
    // warm-up, so vetting gets every core but the one the downloads use.
    this.limit = opts.workers ?? Math.min(Math.max(availableParallelism() - 1, 1), MAX_WORKERS);
    this.shareAbove = opts.shareAboveBytes ?? SHARE_ABOVE_BYTES;
    this.script = opts.script ?? WORKER_SCRIPT;
  }

  /**
   * The checks of readWheelInfo for the wheel at `path` (`size` bytes); `data` (its bytes, if held) is
   * shared when it lives in shared memory, else handed over, never copied.
   */
  async vet(path: string, filename: string, data?: Buffer, size = data?.length): Promise<WheelInfo> {
    if (!this.usable()) return readWheelInfo(path, filename, data);
    const id = ++this.nextId;
    const shared = data === undefined || data.buffer instanceof SharedArrayBuffer;
    if (this.limit >= 2 && size !== undefined && size >= this.shareAbove && shared) {
      while (this.slots.length < this.limit) this.start();
      const control = newControl();
      if (!data && size <= SHARED_READ_MAX_BYTES) data = await readShared(path, size);
      return new Promise((resolve, reject) => {
        this.waiting.set(id, { resolve, reject, parts: { owed: this.slots.length, outcomes: [] } });
        for (const slot of this.slots)
          this.send(slot, { id, path, filename, ...(data ? { data } : {}), share: control.buffer as SharedArrayBuffer });
      });
    }
    const slot = this.pick();
    // A buffer that owns its whole ArrayBuffer moves to the worker without a copy.
    const transfer =
      data && !shared && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? [data.buffer as ArrayBuffer] : [];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send(slot, { id, path, filename, ...(data ? { data } : {}) }, transfer);
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private usable(): boolean {
    if (this.unavailable) return false;
    // A single-core machine gains nothing from a worker.
    const single = this.limit < 1 || availableParallelism() < 2;
    if (this.slots.length === 0 && (single || !existsSync(fileURLToPath(this.script)))) this.unavailable = true;
    return !this.unavailable;
  }

  /** The least busy worker; a new one while every worker is busy and cores are left. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) if (!best || slot.busy < best.busy) best = slot;
    if (best && (best.busy === 0 || this.slots.length >= this.limit)) return best;
    return this.start();
  }

  private send(slot: Slot, job: VetJob, transfer: ArrayBuffer[] = []): void {
    // Referenced while it owes an answer: an event loop with nothing else pending must wait for it.
    if (slot.busy++ === 0) slot.worker.ref();
    slot.worker.postMessage(job, transfer);
  }

  private start(): Slot {
    const worker = new Worker(this.script);
    const slot: Slot = { worker, busy: 0 };
    worker.on("message", (reply: VetReply) => {
      // Idle, it never keeps the process alive: a finished command exits even if close() was missed.
      if (--slot.busy === 0) worker.unref();
      this.answer(reply);
    });
    worker.on("error", (error) => this.failAll(error));
    worker.on("exit", () => this.failAll(new PystoreError("INTERNAL", "the wheel-checking worker exited")));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private answer(reply: VetReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    let outcome: { info: WheelInfo } | { error: SerializedError };
    if ("part" in reply) {
      const parts = waiter.parts!;
      parts.outcomes.push(reply.part);
      if (--parts.owed > 0) return;
      outcome = combineParts(parts.outcomes);
    } else outcome = reply;
    this.waiting.delete(reply.id);
    if ("info" in outcome) waiter.resolve(outcome.info);
    else {
      const { code, message, hint, details } = outcome.error;
      waiter.reject(code ? new PystoreError(code as ErrorCode, message, { hint, details }) : new Error(message));
    }
  }

  private failAll(error: unknown): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** The file's `size` bytes in shared memory (read off the main thread); a file of another size is left to the parts. */
async function readShared(path: string, size: number): Promise<Buffer | undefined> {
  const data = Buffer.from(new SharedArrayBuffer(size));
  const file = await open(path, "r");
  try {
    let done = 0;
    while (done < size) {
      const { bytesRead } = await file.read(data, done, size - done, done);
      if (bytesRead === 0) return undefined;
      done += bytesRead;
    }
    return (await file.stat()).size === size ? data : undefined;
  } finally {
    await file.close();
  }
}
