// An interpreter tree's identity: every file, directory and symlink under `python/`, serialised as one
// canonical uncompressed tar whose sha256 names the store entry (store-format/store-layout.md,
// "Interpreters"). The same tar is what `store export` carries, so an import re-hashes exactly it.

import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { tarOctalField as octal, tarPaxRecord as paxRecord } from "../util/tar-header.js";

/** The one top-level directory of python-build-standalone's install_only layout. */
export const PYTHON_ROOT = "python";

export interface PythonTreeFile {
  /** "python/…", "/"-separated. */
  path: string;
  sha256: string;
  size: number;
  executable: boolean;
  /** Whole seconds: part of the identity, since the standard library's timestamp-checked .pyc files depend on them. */
  mtime: number;
}

export interface PythonTreeLink {
  path: string;
  /** Relative, resolving to a regular file inside the tree. */
  target: string;
}

export interface PythonTreeListing {
  dirs: string[];
  files: PythonTreeFile[];
  symlinks: PythonTreeLink[];
}

function invalid(root: string, message: string): PystoreError {
  return new PystoreError("INVALID_PYTHON", `${root}: ${message}`, {
    hint: "give a relocatable CPython in python-build-standalone's install_only layout (python/bin/python3, python/lib/python3.X)",
    details: { path: root },
  });
}

/**
 * Everything under `<base>/python`, sorted by path. Refuses what a bundle could not carry as plain files:
 * devices, fifos, sockets, symlinks that are absolute, leave the tree, or do not end at a regular file.
 */
export function listPythonTree(base: string, label = base): PythonTreeListing {
  const listing: PythonTreeListing = { dirs: [], files: [], symlinks: [] };
  const walk = (rel: string) => {
    listing.dirs.push(rel);
    for (const name of readdirSync(join(base, rel)).sort(compareStrings)) {
      const path = `${rel}/${name}`;
      const info = lstatSync(join(base, path));
      if (info.isDirectory()) walk(path);
      else if (info.isFile()) {
        const data = readFileSync(join(base, path));
        listing.files.push({
          path,
          sha256: createHash("sha256").update(data).digest("hex"),
          size: data.length,
          executable: (info.mode & 0o111) !== 0,
          mtime: Math.floor(info.mtimeMs / 1000),
        });
      } else if (info.isSymbolicLink()) listing.symlinks.push({ path, target: readlinkSync(join(base, path)) });
      else throw invalid(label, `${path} is neither a file, a directory nor a symlink`);
    }
  };
  walk(PYTHON_ROOT);
  const files = new Set(listing.files.map((f) => f.path));
  for (const link of listing.symlinks) {
    const resolved = resolveLink(link, files, new Map(listing.symlinks.map((l) => [l.path, l.target])));
    if (resolved === undefined)
      throw invalid(label, `${link.path} is a symlink to ${JSON.stringify(link.target)}, which is not a file inside the tree`);
  }
  return listing;
}

/** Where a symlink ends (following links inside the tree), when that is a regular file of the tree. */
export function resolveLink(link: PythonTreeLink, files: Set<string>, links: Map<string, string>): string | undefined {
  let path = link.path;
  let target = link.target;
  for (let hops = 0; hops < 16; hops++) {
    if (target.startsWith("/")) return undefined;
    const next = posix.normalize(posix.join(posix.dirname(path), target));
    if (next !== PYTHON_ROOT && !next.startsWith(`${PYTHON_ROOT}/`)) return undefined;
    if (files.has(next)) return next;
    const further = links.get(next);
    if (further === undefined) return undefined;
    path = next;
    target = further;
  }
  return undefined;
}

function block(name: string, fields: { size: number; mode: number; mtime: number; type: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, "utf8");
  b.write(octal(fields.mode, 8), 100, "ascii");
  b.write(octal(0, 8), 108, "ascii");
  b.write(octal(0, 8), 116, "ascii");
  b.write(octal(fields.size, 12), 124, "ascii");
  b.write(octal(fields.mtime, 12), 136, "ascii");
  b.write("        ", 148, "ascii");
  b.write(fields.type, 156, "ascii");
  if (fields.linkname) b.write(fields.linkname, 157, 100, "utf8");
  b.write("ustar\0", 257, "ascii");
  b.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${octal(sum, 7)} `, 148, "ascii");
  return b;
}

const pad = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);

/** The header blocks of one member: a PAX record first for a path or link target over 100 bytes. */
function headers(path: string, fields: { size: number; mode: number; mtime: number; type: string; linkname?: string }): Buffer[] {
  const records: Buffer[] = [];
  if (Buffer.byteLength(path) > 100) records.push(paxRecord("path", path));
  if (fields.linkname && Buffer.byteLength(fields.linkname) > 100) records.push(paxRecord("linkpath", fields.linkname));
  if (records.length === 0) return [block(path, fields)];
  const pax = Buffer.concat(records);
  const short = (text: string) =>
    Buffer.from(text)
      .subarray(0, 100)
      .toString("utf8")
      .replace(/\uFFFD$/, "");
  return [
    block("PaxHeader", { size: pax.length, mode: 0o644, mtime: 0, type: "x" }),
    pax,
    pad(pax.length),
    block(short(path), { ...fields, linkname: fields.linkname ? short(fields.linkname) : undefined }),
  ];
}

/**
 * The canonical tar of a listed tree, member by member: sorted by path (directories written as
 * `path/`), ustar with PAX records for long names, uid/gid 0 and no owner names, directories 0755 and
 * time 0, files 0755 or 0644 with their mtime, symlinks 0777 and time 0, two zero blocks at the end.
 */
export function* canonicalTar(listing: PythonTreeListing, read: (path: string) => Buffer): Generator<Buffer> {
  type Member = { path: string; kind: "dir" | "file" | "link"; file?: PythonTreeFile; target?: string };
  const members: Member[] = [
    ...listing.dirs.map((path) => ({ path: `${path}/`, kind: "dir" as const })),
    ...listing.files.map((file) => ({ path: file.path, kind: "file" as const, file })),
    ...listing.symlinks.map((link) => ({ path: link.path, kind: "link" as const, target: link.target })),
  ].sort((a, b) => compareStrings(a.path, b.path));
  for (const member of members) {
    if (member.kind === "dir") yield* headers(member.path, { size: 0, mode: 0o755, mtime: 0, type: "5" });
    else if (member.kind === "link") yield* headers(member.path, { size: 0, mode: 0o777, mtime: 0, type: "2", linkname: member.target });
    else {
      const file = member.file!;
      yield* headers(member.path, { size: file.size, mode: file.executable ? 0o755 : 0o644, mtime: file.mtime, type: "0" });
      const data = read(file.path);
      if (data.length !== file.size) throw new PystoreError("STORE_CORRUPTED", `${file.path} changed while it was being hashed`);
      yield data;
      yield pad(file.size);
    }
  }
  yield Buffer.alloc(1024);
}

/** sha256 and byte length of the canonical tar of the tree under `<base>/python`, with its listing. */
export function pythonTreeDigest(
  base: string,
  listing = listPythonTree(base),
): { sha256: string; size: number; listing: PythonTreeListing } {
  const hash = createHash("sha256");
  let size = 0;
  for (const chunk of canonicalTar(listing, (path) => readFileSync(join(base, path)))) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size, listing };
}
