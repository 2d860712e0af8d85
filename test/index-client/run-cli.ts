// The index-client tests' way to run the CLI: test/helpers/cli.ts with a clean environment (PATH and HOME
// only, unless the test passes its own), so no proxy or credential variable of the runner leaks in.
// Kept as a thin adapter for its importers in test/integration/; new tests use test/helpers/cli.ts.

import { REPO_ROOT, runCli as run, type CliResult } from "../helpers/cli.js";

export const REPO = REPO_ROOT;
export type { CliResult };

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return run(args, { cwd: opts.cwd, env: opts.env ?? { PATH: process.env.PATH, HOME: process.env.HOME }, inheritEnv: false, timeoutMs: 600_000 });
}
