// Every row of the hostile-wheel catalogue (fixtures/hostile-wheels.ts) against the admission reader
// (src/wheel/vet.ts, what store add, fetch, store import and bundle use): a typed error with the row's
// code, naming the wheel and quoting the culprit. The accepted neighbours prove the checks are not blanket.

import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { vetWheel } from "../../src/wheel/vet.js";
import { openZipSource } from "../../src/wheel/source.js";
import { ACCEPTED_WHEELS, FILENAME, HOSTILE_WHEELS } from "../../fixtures/hostile-wheels.js";
import { refusal } from "./helpers.js";

const EXITS = { UNSAFE_WHEEL: EXIT.bundle, RECORD_MISMATCH: EXIT.bundle, INVALID_METADATA: EXIT.invalidInput } as Record<string, number>;

describe("the admission reader refuses every hostile wheel", () => {
  it.each(HOSTILE_WHEELS.map((row) => [`${row.cls}: ${row.id}`, row] as const))("%s", async (_label, row) => {
    const error = await refusal(() => vetWheel("/nonexistent", row.filename, { data: row.bytes() }));
    expect({ code: error.code, message: error.message }).toEqual({ code: row.code, message: expect.stringMatching(row.reason) });
    expect(error.message).toContain(row.filename);
    expect(error.exitCode).toBe(EXITS[row.code]);
  });

  it("covers every class with several variants", () => {
    const counts = new Map<string, number>();
    for (const row of HOSTILE_WHEELS) counts.set(row.cls, (counts.get(row.cls) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["bombs", "content", "escape", "names", "structure", "symlinks"]);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(2);
    expect(new Set(HOSTILE_WHEELS.map((r) => r.id)).size).toBe(HOSTILE_WHEELS.length);
  });
});

describe("the installer's reader refuses the archive-level rows too", () => {
  const archiveLevel = HOSTILE_WHEELS.filter((r) => r.cls !== "content" || r.code === "RECORD_MISMATCH" || /record-/.test(r.id));
  it.each(archiveLevel.map((row) => [`${row.cls}: ${row.id}`, row] as const))("%s", async (_label, row) => {
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
  });
});
