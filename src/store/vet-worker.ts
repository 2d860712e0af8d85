// The worker thread side of vet-pool.ts: runs the admission checks (src/wheel/vet.ts via readWheelInfo) on
// wheels the main thread downloaded, so inflating their members uses a second core.

import { parentPort } from "node:worker_threads";
import { PystoreError } from "../errors.js";
import { readWheelInfo } from "./wheel-info.js";

export interface VetJob {
  id: number;
  path: string;
  filename: string;
  data?: Uint8Array;
}

export type VetReply =
  | { id: number; info: Awaited<ReturnType<typeof readWheelInfo>> }
  | { id: number; error: { code?: string; message: string; hint?: string; details?: Record<string, unknown> } };

parentPort?.on("message", async (job: VetJob) => {
  let reply: VetReply;
  try {
    const data = job.data ? Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength) : undefined;
    reply = { id: job.id, info: await readWheelInfo(job.path, job.filename, data) };
  } catch (error) {
    reply =
      error instanceof PystoreError
        ? { id: job.id, error: { code: error.code, message: error.message, hint: error.hint, details: error.details } }
        : { id: job.id, error: { message: (error as Error).message ?? String(error) } };
  }
  parentPort?.postMessage(reply);
});
