// `bundle verify` for a .pyz: compares the zip's entries with the manifest stored inside it.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import yauzl from "yauzl";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { MANIFEST_FILE, compareWithManifest, parseManifest, type VerifyReport } from "./manifest.js";

export async function verifyPyz(path: string): Promise<VerifyReport> {
  let zip: yauzl.ZipFile;
  try {
    // yauzl reads offsets from the start of the file; the zip starts after the shebang line.
    const bytes = await readFile(path);
    const start = bytes[0] === 0x23 && bytes[1] === 0x21 ? bytes.indexOf(0x0a) + 1 : 0;
    zip = await yauzl.fromBufferPromise(bytes.subarray(start), { lazyEntries: true, autoClose: false });
  } catch (cause) {
    throw new PystoreError("BUNDLE_MODIFIED", `${path}: not a readable .pyz (zip) archive: ${(cause as Error).message}`, { cause });
  }
  try {
    const actual = new Map<string, { sha256: string; size: number; mode: string }>();
    let manifestText: string | undefined;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of await zip.openReadStreamPromise(entry)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (entry.fileName === MANIFEST_FILE) chunks.push(chunk as Buffer);
      }
      if (entry.fileName === MANIFEST_FILE) {
        manifestText = Buffer.concat(chunks).toString("utf8");
        continue;
      }
      const mode = (entry.externalFileAttributes >>> 16) & 0o111 ? "0755" : "0644";
      actual.set(entry.fileName, { sha256: hash.digest("hex"), size, mode });
    }
    if (manifestText === undefined)
      throw new PystoreError("FILE_NOT_FOUND", `${path} is not a pystore bundle: it holds no ${MANIFEST_FILE}`);
    const report = compareWithManifest(parseManifest(manifestText, path, MANIFEST_FILE), actual);
    for (const list of Object.values(report)) list.sort(compareStrings);
    return report;
  } catch (cause) {
    // A damaged central directory or entry surfaces while reading, not at open: still a damaged bundle.
    if (cause instanceof PystoreError) throw cause;
    throw new PystoreError("BUNDLE_MODIFIED", `${path}: not a readable .pyz (zip) archive: ${(cause as Error).message}`, { cause });
  } finally {
    zip.close();
  }
}
