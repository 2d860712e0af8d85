// Publishing an archive bundle: written by the write protocol inside the build's staging directory next
// to OUT, then renamed to OUT, so an interrupted build leaves only that directory (staging.ts removes it).

import { constants } from "node:fs";
import { open, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { writeStreamAtomic } from "../util/atomic-write.js";
import { pauseIfRequested } from "./staging.js";

/** The archive's chunks; with the test hook set, a pause once the first chunk has reached the temp file. */
async function* withPause(archive: Readable): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of archive) {
    yield chunk as Buffer;
    // The writer asks for the next chunk only after writing this one.
    if (first) await pauseIfRequested("bundle-pause-archive");
    first = false;
  }
}

export async function publishArchive(archive: Readable, out: string, opts: { staging: string; mode: number }): Promise<void> {
  const inside = join(opts.staging, basename(out));
  await writeStreamAtomic(withPause(archive), inside, { mode: opts.mode, what: `the archive of ${out}` });
  await rename(inside, out);
  // The rename is durable once OUT's directory is synced; some filesystems refuse fsync on directories.
  const handle = await open(dirname(out), constants.O_RDONLY);
  await handle.sync().catch(() => {});
  await handle.close();
}
