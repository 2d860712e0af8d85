// What a bundle holds before it is published: a staged directory (the dir format, published by one
// rename), or a list of where each file's bytes already are (archives, streamed from the store's trees,
// the project and memory, so a full copy of the tree never has to fit beside OUT).

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { PystoreError } from "../errors.js";
import type { InstallDestination } from "../install/core.js";
import { bundleDestination } from "../install/bundle-tree.js";
import type { FileImporter } from "../install/importer.js";
import { TreeWriter, type WrittenFile } from "../install/tree-writer.js";
import { byPath } from "../util/order.js";
import { copyInto } from "./app-code.js";
import { MANIFEST_FILE, type ManifestFile, walkTree } from "./manifest.js";
import { hashFile } from "../util/hash-file.js";
import type { ArchiveSource } from "./archive-source.js";

export interface BundleContents {
  /** Where the install core puts wheels' files. */
  readonly destination: InstallDestination;
  /** A generated file (launchers, launch config, units); `sha256` when the caller has hashed `data` already. */
  write(path: string, data: Buffer, mode: 0o644 | 0o755, sha256?: Buffer): void;
  /** A file of the project (code, scripts), with its mode's execute bit. */
  addFile(path: string, source: string): Promise<void>;
  /** A directory that exists even when empty (a tree has one; archives hold only files' directories). */
  mkdirs(path: string): void;
  /** Every file, sorted by path: the manifest's list. Under `under` only, relative to it, when given. */
  files(under?: string): Promise<ManifestFile[]>;
  /** A file's bytes, failing when they are not what `files()` recorded (the source changed meanwhile). */
  open(path: string): Readable;
  /** Where a file's bytes are, for archive writers, which read and check them themselves. */
  source(path: string): ArchiveSource;
  /** A staged tree's writer: wheels' store files are linked under it in bulk (install-trees.ts). */
  readonly writer?: TreeWriter;
}

/** The dir format's contents: a tree written under `root` (a staging directory next to OUT). */
export function stagedTree(root: string, importer: FileImporter): BundleContents {
  // One writer for the whole tree: directories are made once, and what it hashed while writing becomes
  // the manifest without reading the files back.
  const writer = new TreeWriter(root);
  // Project files are copied by copyInto, not the writer: once there are any, the tree is walked for them.
  let copied = false;
  return {
    writer,
    destination: bundleDestination(writer, importer),
    write: (path, data, mode, sha256) => void writer.write(path, data, mode, sha256),
    addFile: (path, source) => {
      copied = true;
      return copyInto(root, { path, source });
    },
    mkdirs: (path) => writer.mkdirs(path),
    async files(under) {
      // Everything in the tree went through the writer, which knows each file's hash, size and mode.
      if (!copied) return writtenFiles(writer.written, under);
      const entries = under
        ? await walkTree(join(root, under), { known: writer.written, knownPrefix: under })
        : await walkTree(root, { known: writer.written });
      return entries.map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode }));
    },
    open: (path) => createReadStream(join(root, path)),
    source: (path) => createReadStream(join(root, path)),
  };
}

/** What walkTree would list for a tree written by the writer alone (the manifest itself left out), sorted. */
export function writtenFiles(written: ReadonlyMap<string, WrittenFile>, under?: string): ManifestFile[] {
  const out: ManifestFile[] = [];
  if (!under) {
    // The writer's own records are the manifest's rows (no copy per file: a bundle has tens of thousands).
    for (const file of written.values()) if (file.path !== MANIFEST_FILE) out.push(file);
    return out.sort(byPath);
  }
  const prefix = `${under}/`;
  for (const [key, file] of written) {
    if (!key.startsWith(prefix)) continue;
    const path = key.slice(prefix.length);
    if (path !== MANIFEST_FILE) out.push({ path, sha256: file.sha256, size: file.size, mode: file.mode });
  }
  return out.sort(byPath);
}

interface Listed extends ManifestFile {
  /** A file on disk (a store tree's member, a project file), or the bytes themselves. */
  source: string | Buffer;
}

/** Archives' contents: nothing is written until the format streams each file from its source. */
export function listedFiles(): BundleContents {
  const entries = new Map<string, Listed>();
  // Every directory above a listed file: a set, so each clash check costs the path's depth, not the
  // number of files listed so far (quadratic on a bundle of tens of thousands of files).
  const dirs = new Set<string>();
  const add = (path: string, entry: Omit<Listed, "path">) => {
    // What "wx" and mkdir would refuse in a staged tree: a path twice, or a file where a directory goes.
    const parents: string[] = [];
    for (let slash = path.indexOf("/"); slash > 0; slash = path.indexOf("/", slash + 1)) parents.push(path.slice(0, slash));
    const clash = entries.has(path) || dirs.has(path) || parents.some((parent) => entries.has(parent));
    if (clash)
      throw new PystoreError(
        "BUNDLE_FAILED",
        `${path} would be written into the bundle twice (as a file and as a directory, or two files)`,
      );
    entries.set(path, { path, ...entry });
    for (const parent of parents) dirs.add(parent);
  };
  const listed = (path: string): Listed => {
    const entry = entries.get(path);
    if (!entry) throw new PystoreError("INTERNAL", `${path} is not in the bundle's file list`);
    return entry;
  };
  const mode = (m: number): "0755" | "0644" => (m & 0o111 ? "0755" : "0644");
  const hex = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  return {
    destination: {
      write: (target, data, m, sha256) => add(target, { source: data, sha256: sha256.toString("hex"), size: data.length, mode: mode(m) }),
      link: (target, member, m) => add(target, { source: member.location, sha256: member.sha256, size: member.size, mode: mode(m) }),
    },
    write: (path, data, m, sha256) =>
      add(path, { source: data, sha256: sha256 ? sha256.toString("hex") : hex(data), size: data.length, mode: mode(m) }),
    async addFile(path, source) {
      // The mode a staged copy would get (copyInto): lstat's execute bits, the bytes the path leads to.
      const info = await lstat(source);
      add(path, { source, ...(await hashFile(source)), mode: mode(info.mode) });
    },
    mkdirs: () => {},
    async files(under) {
      const prefix = under ? `${under}/` : "";
      return [...entries.values()]
        .filter((e) => e.path.startsWith(prefix))
        .map(({ path, sha256, size, mode }) => ({ path: path.slice(prefix.length), sha256, size, mode }))
        .sort(byPath);
    },
    source(path) {
      const entry = listed(path);
      return typeof entry.source === "string" ? { file: entry.source, size: entry.size, sha256: entry.sha256 } : entry.source;
    },
    open(path) {
      const entry = listed(path);
      if (typeof entry.source !== "string") return Readable.from([entry.source]);
      // Project files are read twice (hashed for the manifest, then archived): check the second read.
      const hash = createHash("sha256");
      const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          const found = hash.digest("hex");
          done(
            found === entry.sha256
              ? null
              : new PystoreError(
                  "BUNDLE_FAILED",
                  `${entry.source}: changed while it was being bundled (sha256 ${found}, not ${entry.sha256})`,
                  {
                    hint: "if it came from the store, run `pystore store verify --repair`; then bundle again",
                  },
                ),
          );
        },
      });
      const file = createReadStream(entry.source);
      file.on("error", (error) => check.destroy(error));
      return file.pipe(check);
    },
  };
}
