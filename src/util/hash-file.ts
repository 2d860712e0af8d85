// A file's sha256 and size, streamed: never more than one chunk of it in memory.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Lower-case hex sha256 and byte count of the file at `path`. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}
