// Admission checks off the main thread: a fetch hashes and writes downloads on the main thread while a worker
// inflates and checks the previous wheels' members (the costly part of vetting). Same checks, same errors;
// where no compiled worker script exists (tests running the TypeScript sources) it vets in-thread.

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type ErrorCode, PystoreError } from "../errors.js";
import type { VetJob, VetReply } from "./vet-worker.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";

const WORKER_SCRIPT = new URL("./vet-worker.js", import.meta.url);

export class VetPool {
  private worker: Worker | undefined;
  private unavailable = false;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (info: WheelInfo) => void; reject: (error: unknown) => void }>();

  /** The checks of readWheelInfo for the wheel at `path`; `data` (its bytes, if held) is handed over, not copied. */
  vet(path: string, filename: string, data?: Buffer): Promise<WheelInfo> {
    const worker = this.start();
    if (!worker) return readWheelInfo(path, filename, data);
    const id = ++this.nextId;
    const job: VetJob = { id, path, filename, ...(data ? { data } : {}) };
    // A buffer that owns its whole ArrayBuffer moves to the worker without a copy.
    const transfer = data && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? [data.buffer as ArrayBuffer] : [];
    return new Promise((resolve, reject) => {
      // Referenced while it owes an answer: an event loop with nothing else pending must wait for it.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(job, transfer);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker || this.unavailable) return this.worker;
    // One core for downloads, the others for vetting; a single-core machine gains nothing from a worker.
    if (availableParallelism() < 2 || !existsSync(fileURLToPath(WORKER_SCRIPT))) {
      this.unavailable = true;
      return undefined;
    }
    const worker = new Worker(WORKER_SCRIPT);
    worker.on("message", (reply: VetReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if ("info" in reply) waiter.resolve(reply.info);
      else {
        const { code, message, hint, details } = reply.error;
        waiter.reject(code ? new PystoreError(code as ErrorCode, message, { hint, details }) : new Error(message));
      }
    });
    worker.on("error", (error) => this.failAll(error));
    worker.on("exit", () => this.failAll(new PystoreError("INTERNAL", "the wheel-checking worker exited")));
    // Idle, it never keeps the process alive: a finished command exits even if close() was missed.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: unknown): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
