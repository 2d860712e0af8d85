// Deterministic .pyz bundles (a zipapp, PEP 441): a shebang line, then a zip written with yazl holding
// __main__.py, the launch config and the bundle's files, sorted, with one DOS timestamp and fixed modes.

import { PassThrough, type Readable } from "node:stream";
import yazl from "yazl";
import { compareStrings } from "../util/order.js";
import type { ManifestFile } from "./manifest.js";
import type { OpenFile } from "./write-tar.js";

/**
 * yazl turns a Date into DOS fields with local-time getters; building the Date from the epoch's UTC
 * fields makes the stored time the same in every timezone.
 */
function dosDate(epoch: number): Date {
  const utc = new Date(epoch * 1000);
  return new Date(
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds() - (utc.getUTCSeconds() % 2),
  );
}

export interface PyzOptions {
  mtime: number;
  /** "#!/usr/bin/env python3.11": lets `./app.pyz` run directly; `python3 app.pyz` ignores it. */
  shebang: string;
}

/** The .pyz as a stream. `files` are read through `open`; `extra` (the manifest) are bytes in hand. */
export function pyzStream(
  files: ManifestFile[],
  open: OpenFile,
  extra: { path: string; data: Buffer; mode?: number }[],
  opts: PyzOptions,
): Readable {
  const mtime = dosDate(opts.mtime);
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  const entries = new Map<string, { source?: string; size?: number; data?: Buffer; mode: number }>();
  const dirs = new Set<string>();
  const addDirs = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  };
  for (const file of files) {
    entries.set(file.path, { source: file.path, size: file.size, mode: file.mode === "0755" ? 0o755 : 0o644 });
    addDirs(file.path);
  }
  for (const file of extra) {
    entries.set(file.path, { data: file.data, mode: file.mode ?? 0o644 });
    addDirs(file.path);
  }
  // Explicit directory entries: older zipimport versions only see packages and namespace dirs that have one.
  const names = [...[...dirs].map((d) => `${d}/`), ...entries.keys()].sort(compareStrings);
  for (const name of names) {
    const options = { mtime, forceDosTimestamp: true };
    if (name.endsWith("/") && !entries.has(name)) {
      zip.addEmptyDirectory(name, { ...options, mode: 0o40755 });
      continue;
    }
    const entry = entries.get(name)!;
    if (entry.data) zip.addBuffer(entry.data, name, { ...options, mode: entry.mode, compress: true });
    // With its size given, a lazily opened stream is written exactly as addFile writes a file (a data
    // descriptor after the data), so archives stay byte-identical whatever the bytes are read from.
    else
      zip.addReadStreamLazy(name, { ...options, mode: entry.mode, compress: true, size: entry.size }, (done) => {
        const stream = open(entry.source!);
        // pipe() does not forward errors: a read failure must still fail the archive.
        stream.on("error", (error) => out.destroy(error));
        done(null, stream);
      });
  }
  zip.end();
  out.write(Buffer.from(opts.shebang.endsWith("\n") ? opts.shebang : `${opts.shebang}\n`));
  (zip as unknown as NodeJS.EventEmitter).on("error", (error: Error) => out.destroy(error));
  zip.outputStream.on("error", (error) => out.destroy(error));
  zip.outputStream.pipe(out);
  return out;
}
