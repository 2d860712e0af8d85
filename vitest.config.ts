import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installs (as root) or names the Debian packages the integration tests need, before any test runs.
    globalSetup: ["test/setup/system-packages.ts"],
    // Caches the CLI keeps between runs (host probe, bytecode) go to a scratch place, not the user's ~/.cache.
    env: { XDG_CACHE_HOME: join(tmpdir(), "pystore-test-cache") },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers and Python processes; two cores go further with forks.
    pool: "forks",
    maxWorkers: 2,
    // The JSON report feeds .ci/run's plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".test-tmp/vitest-report.json" }]],
  },
});
