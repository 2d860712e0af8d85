// `store export`: write a deterministic closure archive (tar: manifest.json + wheels) of stored entries.

import { copyFile, link, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { create as createTar } from "tar";
import { PystoreError } from "../errors.js";
import { tempName, writeFileAtomic, writeStreamAtomic, type Written } from "../util/atomic-write.js";
import { verifyStored } from "./content.js";
import { buildManifest, MANIFEST_NAME, memberPath, type ClosureManifest } from "./closure.js";
import { stableJson } from "../util/stable-json.js";
import { DEFAULT_EPOCH } from "../util/archive-time.js";
import { ensureDirectory } from "../util/dirs.js";
import { writeFailure } from "../util/fs-errors.js";
import type { StoreEntry } from "./entries.js";
import { tmpDir } from "./layout.js";
import type { Store } from "./store.js";
import { pythonMemberPath, writePythonMember } from "./python-closure.js";
import type { PythonEntry } from "./pythons.js";

/** Fixed member times and modes: two exports of the same entries are the same bytes. */
/** Every member carries the one archive epoch (src/util/archive-time.ts), as bundles do. */
const FIXED_MTIME = new Date(DEFAULT_EPOCH * 1000);

export interface ExportResult {
  manifest: ClosureManifest;
  written: Written;
}

export async function exportClosure(
  store: Store,
  entries: StoreEntry[],
  output: string,
  pythons: PythonEntry[] = [],
): Promise<ExportResult> {
  // Before any work, and without the recursive mkdir that spins under /proc.
  await ensureDirectory(
    dirname(output),
    (problem, cause) =>
      new PystoreError("STORE_IO", `cannot write the closure archive ${output}: ${problem}`, {
        hint: "choose an -o path in a writable directory",
        cause,
        details: { path: output },
      }),
  );
  const manifest = buildManifest(entries, pythons);
  const staging = join(tmpDir(store.dir), tempName("export"));
  try {
    await mkdir(staging, { recursive: true });
    for (const entry of entries) {
      // Checked before it leaves, streamed rather than read whole: an export never carries bytes that
      // fail their own hash.
      await verifyStored(entry.path, entry.sha256, entry.size, entry.filename);
      const target = join(staging, memberPath(entry));
      await mkdir(dirname(target), { recursive: true });
      try {
        await link(entry.path, target);
      } catch {
        await copyFile(entry.path, target);
      }
    }
    for (const python of pythons) {
      const target = join(staging, pythonMemberPath(python.sha256));
      await mkdir(dirname(target), { recursive: true });
      writePythonMember(store.dir, python, target);
    }
    await writeFileAtomic(join(staging, MANIFEST_NAME), stableJson(manifest), { mode: 0o444 });
    const members = [MANIFEST_NAME, ...manifest.members.map((m) => m.path)];
    const tar = createTar({ cwd: staging, portable: true, mtime: FIXED_MTIME, noDirRecurse: true, gzip: false }, members);
    const written = await writeStreamAtomic(tar, output);
    return { manifest, written };
  } catch (error) {
    // What is left is the store's staging directory failing (its filesystem full or read-only).
    throw writeFailure(error, staging, `the closure archive ${output}`, "STORE_IO");
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
