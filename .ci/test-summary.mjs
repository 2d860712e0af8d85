// Prints "N passed, N failed" from vitest's JSON reports; exits non-zero when a test failed or none ran.
//
//   node .ci/test-summary.mjs [[LABEL=]REPORT ...]   default: .test-tmp/vitest-report.json
//
// With several reports (the suite on each Node line), each gets a line of its own under its label, and
// the last line adds them up: every run must pass, and a missing report counts as one failure.
import { readFileSync } from "node:fs";

function count(path) {
  let report;
  try {
    report = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    console.error(`test-summary: cannot read ${path}: ${error.message}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  // A file that failed to load has no failed test of its own: count it once. numFailedTestSuites would
  // also count the failing test's describe blocks.
  const unloaded = (report.testResults ?? []).filter(
    (file) => file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed"),
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + unloaded,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

const line = ({ passed, failed, skipped }) => `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");

const args = process.argv.slice(2);
const runs = (args.length > 0 ? args : [".test-tmp/vitest-report.json"]).map((arg) => {
  const at = arg.indexOf("=");
  return at > 0 ? { label: arg.slice(0, at), path: arg.slice(at + 1) } : { label: undefined, path: arg };
});
const counts = runs.map((run) => count(run.path));
if (runs.length > 1) for (const [i, run] of runs.entries()) console.log(`${run.label ?? run.path}: ${line(counts[i])}`);
const total = counts.reduce((a, c) => ({ passed: a.passed + c.passed, failed: a.failed + c.failed, skipped: a.skipped + c.skipped }));
console.log(line(total));
process.exit(total.failed > 0 || counts.some((c) => c.passed === 0) ? 1 : 0);
