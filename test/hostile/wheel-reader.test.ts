// Every row of the hostile-wheel catalogue (fixtures/hostile-wheels.ts) against the admission reader
// (src/wheel/vet.ts, what store add, fetch, store import, store pull and bundle use) and the member reader
// (src/wheel/source.ts): a typed error with the row's code, naming the wheel and quoting the culprit.
// Admission refuses every row it can judge without inflating an ordinary member; the rows whose defect
// lives in such a member's bytes it admits, and every reader of that member refuses them (the store's
// unpack: test/store/admission-member-content.test.ts). The accepted neighbours prove the checks are not
// blanket.

import { describe, expect, it } from "vitest";
import { ACCEPTED_WHEELS, FILENAME, HOSTILE_WHEELS, type HostileRow } from "../../fixtures/hostile-wheels.js";
import { EXIT } from "../../src/errors.js";
import { openZipSource } from "../../src/wheel/source.js";
import { checkWheelContents, vetWheel } from "../../src/wheel/vet.js";
import { FIRST_MEMBER, MEMBER_CONTENT_IDS, MORE_MEMBER_CONTENT_ROWS, READ_MEMBER_ROWS, refusal } from "./helpers.js";

const EXITS = { UNSAFE_WHEEL: EXIT.bundle, RECORD_MISMATCH: EXIT.bundle, INVALID_METADATA: EXIT.invalidInput } as Record<string, number>;

const labelled = (rows: readonly HostileRow[]) => rows.map((row) => [`${row.cls}: ${row.id}`, row] as const);
const atAdmission = HOSTILE_WHEELS.filter((r) => !MEMBER_CONTENT_IDS.has(r.id));
const inMembers = [...HOSTILE_WHEELS.filter((r) => MEMBER_CONTENT_IDS.has(r.id)), ...MORE_MEMBER_CONTENT_ROWS];

function expectRowError(error: Awaited<ReturnType<typeof refusal>>, row: HostileRow): void {
  expect({ code: error.code, message: error.message }).toEqual({ code: row.code, message: expect.stringMatching(row.reason) });
  expect(error.message).toContain(row.filename);
  expect(error.exitCode).toBe(EXITS[row.code]);
}

describe("the admission reader refuses every hostile wheel it can judge without inflating an ordinary member", () => {
  it.each(labelled([...atAdmission, ...READ_MEMBER_ROWS]))("%s", async (_label, row) => {
    expectRowError(await refusal(() => vetWheel("/nonexistent", row.filename, { data: row.bytes() })), row);
  });

  it("covers every class with several variants", () => {
    const counts = new Map<string, number>();
    for (const row of atAdmission) counts.set(row.cls, (counts.get(row.cls) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["bombs", "content", "escape", "names", "structure", "symlinks"]);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(2);
    expect(new Set(HOSTILE_WHEELS.map((r) => r.id)).size).toBe(HOSTILE_WHEELS.length);
  });

  it("leaves to the readers only rows the catalogue has", () => {
    const ids = new Set(HOSTILE_WHEELS.map((r) => r.id));
    for (const id of MEMBER_CONTENT_IDS) expect(ids.has(id), id).toBe(true);
  });
});

describe("a defect in an ordinary member's bytes is admitted, and refused by every reader of that member", () => {
  it.each(labelled(inMembers))("%s", async (_label, row) => {
    const vetted = await vetWheel("/nonexistent", row.filename, { data: row.bytes() });
    expect(vetted.metadata).toContain("Name: evil");
    // What a WheelSource refuses as the installer reads the member, and what `store verify` reports.
    const read = await refusal(async () => {
      const source = await openZipSource("/nonexistent", row.filename, { data: row.bytes() });
      try {
        source.read(FIRST_MEMBER);
      } finally {
        source.close();
      }
    });
    expectRowError(read, row);
    expect(read.message).toContain(FIRST_MEMBER);
    expectRowError(await refusal(() => checkWheelContents("/nonexistent", row.filename, { data: row.bytes() })), row);
  });
});

describe("the installer's reader refuses the archive-level rows too", () => {
  const archiveLevel = HOSTILE_WHEELS.filter((r) => r.cls !== "content" || r.code === "RECORD_MISMATCH" || /record-/.test(r.id));
  it.each(labelled([...archiveLevel, ...MORE_MEMBER_CONTENT_ROWS]))("%s", async (_label, row) => {
    const error = await refusal(async () => {
      const source = await openZipSource("/nonexistent", row.filename, { data: row.bytes() });
      try {
        for (const f of source.files) source.read(f.path);
      } finally {
        source.close();
      }
    });
    expect(error.message).toMatch(row.reason);
  });
});

describe("near neighbours are accepted", () => {
  it.each(ACCEPTED_WHEELS.map((w) => [w.id, w] as const))("%s", async (_label, w) => {
    const vetted = await vetWheel("/nonexistent", FILENAME, { data: w.bytes() });
    expect(vetted.metadata).toContain("Name: evil");
    expect(vetted.pthFiles).toEqual(w.pth ?? []);
    expect(await checkWheelContents("/nonexistent", FILENAME, { data: w.bytes() })).toEqual(vetted);
  });
});
