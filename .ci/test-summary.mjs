// Prints "N passed, N failed" from vitest's JSON report; exits non-zero when a test failed or none ran.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? ".test-tmp/vitest-report.json";
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (error) {
  console.log("0 passed, 1 failed");
  console.error(`test-summary: cannot read ${path}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed to load has no failed test of its own: count it once. numFailedTestSuites would
// also count the failing test's describe blocks.
const unloaded = (report.testResults ?? []).filter(
  (file) => file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed"),
).length;
const failed = (report.numFailedTests ?? 0) + unloaded;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
