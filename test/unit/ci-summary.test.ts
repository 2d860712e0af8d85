// CI's closing line (.ci/test-summary.mjs): what it prints from vitest's JSON reports decides whether a
// submission lands, so a run that failed, ran nothing or left no report must never read as passed.

import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "../helpers/temp.js";

const SCRIPT = join(import.meta.dirname, "..", "..", ".ci", "test-summary.mjs");

let dir: TempDir;
beforeAll(async () => {
  dir = await tempDir("ci-summary");
});
afterAll(() => dir.cleanup());

async function report(name: string, body: object): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, JSON.stringify(body));
  return path;
}

function summary(...args: string[]) {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });
  return { lines: result.stdout.trim().split("\n"), status: result.status, stderr: result.stderr };
}

const passing = { numPassedTests: 5, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [] };

describe("test-summary", () => {
  it("takes a path with an = after a / as a path, not a label", async () => {
    const path = await report("a=b.json", passing);
    expect(summary(path).lines).toEqual(["5 passed, 0 failed"]);
  });

  it("prints one plain line for one report, and exits 0 when everything passed", async () => {
    const { lines, status } = summary(await report("one.json", passing));
    expect(lines).toEqual(["5 passed, 0 failed"]);
    expect(status).toBe(0);
  });

  it("counts a file that failed to load once, besides its tests, and skipped tests", async () => {
    const path = await report("broken.json", {
      numPassedTests: 3,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 1,
      testResults: [
        { status: "failed", assertionResults: [{ status: "failed" }, { status: "passed" }] },
        { status: "failed", assertionResults: [] },
      ],
    });
    const { lines, status } = summary(path);
    expect(lines).toEqual(["3 passed, 2 failed, 3 skipped"]);
    expect(status).toBe(1);
  });

  it("labels each run of several and adds them up on the last line", async () => {
    const a = await report("a.json", passing);
    const b = await report("b.json", { ...passing, numPassedTests: 4 });
    const { lines, status } = summary(`node20=${a}`, `node22=${b}`);
    expect(lines).toEqual(["run node20 (of 2): passed 5, failed 0", "run node22 (of 2): passed 4, failed 0", "9 passed, 0 failed"]);
    // Only the closing line has the shape CI reads ("N passed, N failed", perhaps after one word and a colon).
    expect(lines.filter((l) => /^(\w+: )?\d+ passed, \d+ failed/.test(l))).toEqual(["9 passed, 0 failed"]);
    expect(status).toBe(0);
  });

  it("fails when one run left no report, or ran no test, though the other passed", async () => {
    const a = await report("ok.json", passing);
    const missing = summary(`node20=${a}`, `node22=${join(dir.path, "absent.json")}`);
    expect(missing.lines).toEqual(["run node20 (of 2): passed 5, failed 0", "run node22 (of 2): passed 0, failed 1", "5 passed, 1 failed"]);
    expect(missing.stderr).toContain("absent.json");
    expect(missing.status).toBe(1);
    const empty = await report("empty.json", { ...passing, numPassedTests: 0 });
    const none = summary(`node20=${a}`, `node22=${empty}`);
    expect(none.lines.at(-1)).toBe("5 passed, 1 failed");
    expect(none.stderr).toContain("records no passed test");
    expect(none.status).toBe(1);
  });
});
