// Prints "N passed, N failed" from vitest's JSON reports; exits non-zero when a test failed or none ran.
//
//   node .ci/test-summary.mjs [[LABEL=]REPORT ...]   default: .test-tmp/vitest-report.json
//
// With several reports (the suite on each Node line), each gets a line of its own under its label, worded
// so that only the last line has the closing line's shape; that one adds them up. A run that left no
// report, or ran no test, counts as one failure, so the closing line never reads as a pass when it failed.
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
  const passed = report.numPassedTests ?? 0;
  if (passed === 0) console.error(`test-summary: ${path} records no passed test`);
  return {
    passed,
    failed: (report.numFailedTests ?? 0) + unloaded + (passed === 0 ? 1 : 0),
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

const line = ({ passed, failed, skipped }) => `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");

const args = process.argv.slice(2);
// LABEL=REPORT; a path whose "=" comes after a "/" is a path only.
const runs = (args.length > 0 ? args : [".test-tmp/vitest-report.json"]).map((arg) => {
  const at = arg.indexOf("=");
  return at > 0 && !arg.slice(0, at).includes("/") ? { label: arg.slice(0, at), path: arg.slice(at + 1) } : { label: undefined, path: arg };
});
const counts = runs.map((run) => count(run.path));
if (runs.length > 1)
  for (const [i, run] of runs.entries()) {
    const { passed, failed, skipped } = counts[i];
    console.log(`run ${run.label ?? run.path} (of ${runs.length}): passed ${passed}, failed ${failed}` + (skipped ? `, skipped ${skipped}` : ""));
  }
const total = counts.reduce((a, c) => ({ passed: a.passed + c.passed, failed: a.failed + c.failed, skipped: a.skipped + c.skipped }));
console.log(line(total));
process.exit(total.failed > 0 ? 1 : 0);
