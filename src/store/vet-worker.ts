// The worker thread side of vet-pool.ts: runs the admission checks (src/wheel/vet.ts) on wheels the main
// thread downloaded, so inflating their members uses the other cores: a whole wheel, or one part of a
// large one (./vet-share.ts).

import { parentPort } from "node:worker_threads";
import { type PartOutcome, type SerializedError, serializeError, vetPart } from "./vet-share.js";
import { readWheelInfo, type WheelInfo } from "./wheel-info.js";

export interface VetJob {
  id: number;
  path: string;
  filename: string;
  /** The wheel's bytes (shared memory, or moved here), when the main thread holds them. */
  data?: Uint8Array;
  /** This job is one part of a shared wheel: its control array's buffer (vet-share.ts). */
  share?: SharedArrayBuffer;
}

export type VetReply = { id: number; info: WheelInfo } | { id: number; error: SerializedError } | { id: number; part: PartOutcome };

parentPort?.on("message", async (job: VetJob) => {
  let reply: VetReply;
  const data = job.data ? Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength) : undefined;
  if (job.share) {
    reply = { id: job.id, part: await vetPart(job.path, job.filename, data, new Int32Array(job.share)) };
  } else {
    try {
      reply = { id: job.id, info: await readWheelInfo(job.path, job.filename, data) };
    } catch (error) {
      reply = { id: job.id, error: serializeError(error) };
    }
  }
  parentPort?.postMessage(reply);
});
