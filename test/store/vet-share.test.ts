// A large wheel's members shared by several vetting threads (src/store/vet-share.ts, vet-pool.ts): whatever
// the interleaving, the wheel passes or fails exactly as a single thread would have it, with the same error.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel, type BuiltWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { VetPool } from "../../src/store/vet-pool.js";
import { combineParts, FAILED_AT, MEMBER_COUNT, NEXT_MEMBER, newControl, type PartOutcome, vetPart } from "../../src/store/vet-share.js";
import { readWheelInfo, type WheelInfo } from "../../src/store/wheel-info.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

/** The compiled worker (npm run build): the pool's threads run what the CLI runs. */
const WORKER = new URL(`file://${join(REPO_ROOT, "dist/store/vet-worker.js")}`);

/** Many members of a few KiB each, so every thread gets some. */
function manyFiles(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`big/m${String(i).padStart(4, "0")}.py`] = `# member ${i}\n${"x = 1\n".repeat(300 + (i % 7) * 50)}`;
  return files;
}

const SPECS: Record<string, WheelSpec> = {
  clean: { name: "big", version: "1.0", files: manyFiles(400) },
  // Two bad members: a single thread meets m0050 first.
  twoBad: { name: "big", version: "1.0", files: manyFiles(400), corruptRecordFor: ["big/m0050.py", "big/m0300.py"] },
  // Neighbours: two threads can fail at once, and the lower one must win.
  adjacentBad: { name: "big", version: "1.0", files: manyFiles(400), corruptRecordFor: ["big/m0050.py", "big/m0051.py"] },
  lastBad: { name: "big", version: "1.0", files: manyFiles(400), corruptRecordFor: ["big/m0399.py"] },
  // Fails before the members (a symbolic link entry) and after them (METADATA's name).
  before: { name: "big", version: "1.0", files: manyFiles(400), rawEntries: [{ name: "big/link", data: "/etc/passwd", symlink: true }] },
  after: { name: "big", version: "1.0", files: manyFiles(400), extraMetadata: ["Name: other"] },
};

let work: Awaited<ReturnType<typeof tempDir>>;
const wheels: Record<string, BuiltWheel> = {};
beforeAll(async () => {
  work = await tempDir("vet-share");
  for (const [label, spec] of Object.entries(SPECS)) wheels[label] = await buildWheel(spec, join(work.path, label));
});
afterAll(() => work.cleanup());

/** What a single thread says: the info, or the error's code and message. */
async function single(wheel: BuiltWheel): Promise<WheelInfo | string> {
  try {
    return await readWheelInfo(wheel.path, wheel.filename);
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

function shared(bytes: Buffer): Buffer {
  const data = Buffer.from(new SharedArrayBuffer(bytes.length));
  bytes.copy(data);
  return data;
}

describe("a wheel shared by several threads", () => {
  it("passes or fails as a single thread does, with the same error, in memory or from the file", async () => {
    const pool = new VetPool({ workers: 3, shareAboveBytes: 0, script: WORKER });
    try {
      for (const wheel of Object.values(wheels)) {
        const expected = await single(wheel);
        for (let round = 0; round < 6; round++) {
          const data = round % 2 === 0 ? shared(readFileSync(wheel.path)) : undefined;
          let got: WheelInfo | string;
          try {
            got = await pool.vet(wheel.path, wheel.filename, data, wheel.size);
          } catch (error) {
            got = `${(error as { code?: string }).code}: ${(error as Error).message}`;
          }
          expect(got).toEqual(expected);
        }
      }
    } finally {
      await pool.close();
    }
    expect(await single(wheels.twoBad)).toMatch(/^RECORD_MISMATCH: .*big\/m0050\.py/);
  });

  it("never checks a member past a failure another thread found, and reports nothing for it", async () => {
    const wheel = wheels.lastBad;
    const control = newControl();
    // Another thread failed at member 10: this one checks members below it only, and m0399 is never read.
    control[FAILED_AT] = 10;
    const outcome = await vetPart(wheel.path, wheel.filename, undefined, control);
    expect(outcome.stage).toBe("done");
    expect(control[NEXT_MEMBER]).toBe(11);
    expect(control[MEMBER_COUNT]).toBeGreaterThan(400);
    // Alone, the same thread meets the bad member.
    const alone = await vetPart(wheel.path, wheel.filename, undefined, newControl());
    expect(alone).toMatchObject({ stage: "member", error: { code: "RECORD_MISMATCH" } });
  });

  it("a thread that arrives after every member was claimed does nothing", async () => {
    const control = newControl();
    control[MEMBER_COUNT] = 3;
    control[NEXT_MEMBER] = 3;
    expect(await vetPart("/nonexistent.whl", "big-1.0-py3-none-any.whl", undefined, control)).toEqual({ stage: "idle" });
  });

  it("reports a failure before the members first, then the lowest failing member, then a failure after them", () => {
    const error = (message: string) => ({ code: "UNSAFE_WHEEL", message });
    const info = { name: "big" } as WheelInfo;
    const parts = (...outcomes: PartOutcome[]) => combineParts(outcomes);
    expect(parts({ stage: "done", info }, { stage: "idle" })).toEqual({ info });
    expect(parts({ stage: "member", index: 9, error: error("m9") }, { stage: "member", index: 4, error: error("m4") })).toEqual({
      error: error("m4"),
    });
    expect(parts({ stage: "after", error: error("after") }, { stage: "member", index: 9, error: error("m9") })).toEqual({
      error: error("m9"),
    });
    expect(parts({ stage: "member", index: 0, error: error("m0") }, { stage: "before", error: error("before") })).toEqual({
      error: error("before"),
    });
    expect(parts({ stage: "done", info }, { stage: "after", error: error("after") })).toEqual({ error: error("after") });
  });
});
