// Temp directories for tests: under os.tmpdir(), named after the test, removed by cleanup() in afterAll.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  cleanup: () => Promise<void>;
}

/** `label` names the directory (`pystore-<label>-XXXXXX`), so leftovers point at the test that made them. */
export async function tempDir(label = "test"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `pystore-${label}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
