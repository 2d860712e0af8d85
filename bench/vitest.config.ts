// Benchmark runner config: one "test" (bench/run.bench.ts) that runs every workload and prints the
// table; separate from the test suite's vitest.config.ts so `npm test` never runs it.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["bench/run.bench.ts"],
    // One long test: the runs are sequential on purpose (timings from a loaded machine are noisy enough).
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: "forks",
    maxWorkers: 1,
    // The table is printed straight to the terminal, not buffered per test.
    disableConsoleIntercept: true,
    reporters: ["default"],
  },
});
