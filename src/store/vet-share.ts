// A large wheel's admission checks shared by several vetting threads (./vet-pool.ts): each "part" runs the
// checks before the members (src/wheel/vet.ts openVetting), then parts claim members one at a time from
// a shared counter until none are left, so the wheel takes its members' time divided among the free
// threads. The error reported is the one a single thread would have met first: a failure before the
// members, else the lowest failing member (members past a failure are skipped, never those before it),
// else a failure after them.

import { PystoreError } from "../errors.js";
import { openVetting, type WheelVetting } from "../wheel/vet.js";
import { type WheelInfo, wheelInfoOf } from "./wheel-info.js";

/** Slots of a shared job's control array (Int32Array over a SharedArrayBuffer). */
export const NEXT_MEMBER = 0;
/** The lowest failed member index so far (FAILED_NONE while none failed): members past it are skipped. */
export const FAILED_AT = 1;
/** The member count, once a part has read the archive's directory (-1 before). */
export const MEMBER_COUNT = 2;
export const CONTROL_SLOTS = 3;
export const FAILED_NONE = 0x7fffffff;

/** A new shared wheel's control array, in shared memory: no member claimed, none failed, count unknown. */
export function newControl(): Int32Array {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  control[NEXT_MEMBER] = 0;
  control[FAILED_AT] = FAILED_NONE;
  control[MEMBER_COUNT] = -1;
  return control;
}

export interface SerializedError {
  code?: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/**
 * One part's outcome. `stage` says where its error came from, which decides which error a shared wheel
 * reports (the one a single thread would have met first): "before" the members, at member `index`, or
 * "after" them. A part that found every member already claimed did nothing ("idle").
 */
export type PartOutcome =
  | { stage: "idle" }
  | { stage: "done"; info: WheelInfo }
  | { stage: "before" | "after"; error: SerializedError }
  | { stage: "member"; index: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  return error instanceof PystoreError
    ? { code: error.code, message: error.message, hint: error.hint, details: error.details }
    : { message: (error as Error).message ?? String(error) };
}

/** Lower FAILED_AT to `index` unless a lower member failed already. */
function recordFailure(control: Int32Array, index: number): void {
  for (let seen = Atomics.load(control, FAILED_AT); index < seen; ) {
    const was = Atomics.compareExchange(control, FAILED_AT, seen, index);
    if (was === seen) return;
    seen = was;
  }
}

/** This thread's part of a shared wheel (see the file comment); `control`: CONTROL_SLOTS over shared memory. */
export async function vetPart(path: string, filename: string, data: Buffer | undefined, control: Int32Array): Promise<PartOutcome> {
  const count = Atomics.load(control, MEMBER_COUNT);
  if (count >= 0 && Atomics.load(control, NEXT_MEMBER) >= count) return { stage: "idle" };
  let vetting: WheelVetting;
  try {
    vetting = await openVetting(path, filename, data ? { data } : {});
  } catch (error) {
    return { stage: "before", error: serializeError(error) };
  }
  try {
    const total = vetting.members.length;
    Atomics.store(control, MEMBER_COUNT, total);
    for (;;) {
      const index = Atomics.add(control, NEXT_MEMBER, 1);
      if (index >= total || index >= Atomics.load(control, FAILED_AT)) break;
      try {
        vetting.checkMember(index);
      } catch (error) {
        recordFailure(control, index);
        return { stage: "member", index, error: serializeError(error) };
      }
    }
    try {
      return { stage: "done", info: wheelInfoOf(filename, vetting.finish()) };
    } catch (error) {
      return { stage: "after", error: serializeError(error) };
    }
  } finally {
    vetting.close();
  }
}

/** A shared wheel's result from its parts' outcomes (see PartOutcome). */
export function combineParts(outcomes: readonly PartOutcome[]): { info: WheelInfo } | { error: SerializedError } {
  const failed = (stage: "before" | "after") => {
    for (const o of outcomes) if (o.stage === stage) return o.error;
    return undefined;
  };
  const before = failed("before");
  if (before) return { error: before };
  let first: Extract<PartOutcome, { stage: "member" }> | undefined;
  for (const o of outcomes) if (o.stage === "member" && (first === undefined || o.index < first.index)) first = o;
  if (first) return { error: first.error };
  const after = failed("after");
  if (after) return { error: after };
  for (const o of outcomes) if (o.stage === "done") return { info: o.info };
  return { error: { code: "INTERNAL", message: "no part of a shared wheel check ran" } };
}
