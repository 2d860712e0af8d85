// The directory format: the staged tree itself, renamed into place as OUT.

import { readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PystoreError } from "../../errors.js";
import { treeLaunchFiles } from "../launcher.js";
import { MANIFEST_FILE, verifyBundle } from "../manifest.js";
import { stagingName } from "../staging.js";
import type { BundleFormatHandler } from "./format.js";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Put a finished staging directory at OUT; an older bundle there is replaced, anything else refused. */
async function publishDir(staging: string, out: string): Promise<void> {
  if (!(await exists(out))) {
    await rename(staging, out);
    return;
  }
  const isBundle = await exists(join(out, MANIFEST_FILE));
  const isEmptyDir = (await stat(out)).isDirectory() && (await readdir(out)).length === 0;
  if (!isBundle && !isEmptyDir) {
    throw new PystoreError("BUNDLE_FAILED", `${out} exists and is not a pystore bundle; refusing to replace it`, {
      hint: "choose another -o or remove it first",
    });
  }
  // Two renames, not one: rename(2) cannot replace a non-empty directory. Between them OUT is briefly
  // absent, never half-written; a failed second rename (or an interrupt, or the next run after a
  // kill -9: staging.ts) puts the old bundle back.
  const old = join(dirname(out), stagingName(basename(out), "old-"));
  await rename(out, old);
  try {
    await rename(staging, out);
  } catch (error) {
    await rename(old, out);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

export const dirFormat: BundleFormatHandler = {
  name: "dir",
  suffixes: [],
  stagesTree: true,
  needsSiteFiles: false,
  check: () => {},
  launchFiles: treeLaunchFiles,
  async write(staged, out) {
    // The manifest is written last, so a directory holding one is complete.
    staged.contents.write(MANIFEST_FILE, Buffer.from(staged.manifestText), 0o644, Buffer.from(staged.bundleHash, "hex"));
    await publishDir(staged.staging, out);
  },
  // Anything that is not a file, even a path that does not exist: its verify then names the missing manifest.
  detect: (probe) => !probe.isFile,
  verify: verifyBundle,
};
