// Shared by the hostile-input tests: run a reader and return its refusal, and the two other readers'
// views of an archive (Python's zipfile and yauzl) for the differential checks.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import yauzl from "yauzl";
import { PystoreError } from "../../src/errors.js";

/** The PystoreError `run` throws or rejects with (anything else fails the test). */
export async function refusal(run: () => unknown): Promise<PystoreError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PystoreError) return error;
    throw new Error(`expected a PystoreError, got ${String((error as Error)?.stack ?? error)}`);
  }
  throw new Error("expected a refusal, the input was accepted");
}

export interface ZipView {
  ok: boolean;
  names?: string[];
  contents?: Record<string, string>;
  error?: string;
}

/** Python's zipfile's view of each archive (one interpreter for all of them). */
export async function pythonViews(dir: string, archives: Map<string, Buffer>): Promise<Map<string, ZipView>> {
  const paths = new Map<string, string>();
  let n = 0;
  for (const [id, bytes] of archives) {
    const path = join(dir, `view-${n++}.zip`);
    await writeFile(path, bytes);
    paths.set(id, path);
  }
  const { stdout } = await promisify(execFile)("python3", [join(import.meta.dirname, "zip_view.py"), ...paths.values()], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const views = JSON.parse(stdout) as Record<string, ZipView>;
  return new Map([...paths].map(([id, path]) => [id, views[path]]));
}

/** yauzl's view with its defaults (names decoded, Unicode path fields honoured, sizes validated). */
export async function yauzlView(bytes: Buffer): Promise<ZipView> {
  try {
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
    const names: string[] = [];
    const contents: Record<string, string> = {};
    for await (const entry of zip.eachEntry()) {
      names.push(entry.fileName);
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const hash = createHash("sha256");
        for await (const chunk of stream) hash.update(chunk as Buffer);
        contents[entry.fileName] = hash.digest("hex");
      } catch (error) {
        contents[entry.fileName] = `error: ${(error as Error).message}`;
      }
    }
    zip.close();
    return { ok: true, names, contents };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
