// Config of the start-up benchmark (bench/startup.bench.ts): `npm run build && npx vitest run --config
// bench/startup.config.ts`. Separate from bench/vitest.config.ts so each runs alone.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["bench/startup.bench.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: "forks",
    maxWorkers: 1,
    disableConsoleIntercept: true,
    reporters: ["default"],
  },
});
