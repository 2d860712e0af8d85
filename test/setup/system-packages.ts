// Global setup of the test command: the integration tests start real servers and read Debian's wheels,
// so before any test runs, the missing system packages are installed (as root, with apt-get) or the run
// stops at once with the exact command to run, instead of failing test after test.

import { spawnSync } from "node:child_process";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "..", "..", ".ci", "system-packages");

export default function setup(): void {
  const result = spawnSync("sh", [SCRIPT, "--install"], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  if (result.status === 0) return;
  throw new Error(`${result.stderr.trim() || `${SCRIPT} failed`}\n(the integration tests need these packages; nothing was run)`);
}
