// An sdist as an archive (source distribution format spec): a .tar.gz (PEP 625, or a legacy name), or a
// legacy .zip, read in memory, every member checked before the first is written: one top-level directory,
// regular files and directories only (no links, devices or set-id bits), names that stay inside, sizes
// bounded.

import { chmod, mkdir, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { PystoreError } from "../errors.js";
import { checkEntryName } from "../wheel/safety.js";
import { tarField as field, tarOctal as octal, tarPaxRecords } from "../util/tar-header.js";
import { readCheckedEntries, readEntrySync } from "../wheel/zip.js";

/** Unpacked-size and member-count bounds: generous for real sdists, fatal for a decompression bomb. */
export const SDIST_LIMITS = { maxBytes: 1024 * 1024 * 1024, maxMembers: 100_000 } as const;

export interface SdistMember {
  /** Path inside the top-level directory, "/"-separated, checked. */
  path: string;
  kind: "file" | "directory";
  executable: boolean;
  /** Seconds since the epoch, as the archive records. */
  mtime: number;
  data: Buffer;
}

export interface SdistContents {
  /** The one top-level directory every member sits in. */
  top: string;
  members: SdistMember[];
  /** The newest member time: the build's SOURCE_DATE_EPOCH. */
  newest: number;
}

export function unsafeSdist(archive: string, member: string, why: string): PystoreError {
  return new PystoreError("UNSAFE_SDIST", `${archive}: refusing member ${JSON.stringify(member)}: ${why}`, {
    hint: "the sdist is malformed or hostile; nothing from it was unpacked or built",
    details: { archive, member, reason: why },
  });
}

const LINK_KINDS: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
};

/** Read a .tar.gz sdist's members, refusing anything unsafe (UNSAFE_SDIST) or malformed. */
export function readSdistTarGz(archive: string, bytes: Buffer): SdistContents {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: SDIST_LIMITS.maxBytes });
  } catch (error) {
    throw unsafeSdist(
      archive,
      "(archive)",
      `not a readable gzip stream within ${SDIST_LIMITS.maxBytes} bytes (${(error as Error).message})`,
    );
  }
  const members: SdistMember[] = [];
  let offset = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const type = String.fromCharCode(header[156] || 0x30);
    const size = Number(pax.get("size") ?? octal(header, 124, 12));
    if (!Number.isSafeInteger(size) || size < 0 || offset + 512 + size > tar.length)
      throw unsafeSdist(archive, field(header, 0, 100), "has a size beyond the archive");
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      pax = tarPaxRecords(data, (why) => unsafeSdist(archive, "(PAX header)", why));
      continue;
    }
    if (type === "g") continue;
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const raw = pax.get("path") ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    pax = new Map();
    longName = undefined;
    if (LINK_KINDS[type]) throw unsafeSdist(archive, raw, `is ${LINK_KINDS[type]}; sdists hold regular files and directories only`);
    if (!["0", "5", "7"].includes(type)) throw unsafeSdist(archive, raw, `has the unknown member type ${JSON.stringify(type)}`);
    let name: string;
    try {
      name = checkEntryName(archive, raw);
    } catch (error) {
      throw unsafeSdist(archive, raw, (error as PystoreError).details?.reason as string);
    }
    const mode = octal(header, 100, 8);
    if (mode & 0o7000) throw unsafeSdist(archive, raw, "has set-id or sticky bits");
    members.push({
      path: name,
      kind: type === "5" ? "directory" : "file",
      executable: (mode & 0o111) !== 0,
      mtime: Math.max(0, Math.trunc(Number(pax.get("mtime") ?? octal(header, 136, 12)) || 0)),
      data,
    });
    if (members.length > SDIST_LIMITS.maxMembers) throw unsafeSdist(archive, raw, `is beyond ${SDIST_LIMITS.maxMembers} members`);
  }
  return topLevel(archive, members);
}

/**
 * Read a legacy .zip sdist through the one zip reader wheels use (one way to read an archive: no
 * differentials), refusing links, set-id bits and everything that reader refuses. Zip times are local
 * DOS times without a zone, so members take time 0 and the build gets the earliest SOURCE_DATE_EPOCH.
 */
export function readSdistZip(archive: string, bytes: Buffer): SdistContents {
  const zip = { buffer: bytes };
  let entries: ReturnType<typeof readCheckedEntries>;
  try {
    entries = readCheckedEntries(zip, archive, { corruptCode: "UNSAFE_SDIST" });
  } catch (error) {
    if (error instanceof PystoreError && error.code !== "UNSAFE_SDIST") {
      const details = error.details as { entry?: unknown; reason?: unknown } | undefined;
      throw unsafeSdist(archive, String(details?.entry ?? "(archive)"), String(details?.reason ?? error.message));
    }
    throw error;
  }
  if (entries.files.length > SDIST_LIMITS.maxMembers)
    throw unsafeSdist(archive, "(archive)", `is beyond ${SDIST_LIMITS.maxMembers} members`);
  const members: SdistMember[] = entries.files.map((path) => {
    const item = entries.byPath.get(path)!;
    const mode = item.info.externalAttributes >>> 16;
    if ((mode & 0o170000) === 0o120000)
      throw unsafeSdist(archive, path, "is a symbolic link; sdists hold regular files and directories only");
    if (mode & 0o7000) throw unsafeSdist(archive, path, "has set-id or sticky bits");
    return { path, kind: "file", executable: (mode & 0o111) !== 0, mtime: 0, data: readEntrySync(zip, archive, item) };
  });
  return topLevel(archive, members);
}

/** The reader for an sdist's file name: .tar.gz or .zip; anything else is not an sdist pystore builds. */
export function readSdist(archive: string, bytes: Buffer): SdistContents {
  if (archive.endsWith(".tar.gz")) return readSdistTarGz(archive, bytes);
  if (archive.endsWith(".zip")) return readSdistZip(archive, bytes);
  throw new PystoreError("BUILD_FAILED", `${archive}: pystore builds .tar.gz and .zip sdists only`, {
    hint: "require a version of this package with a wheel or a .tar.gz sdist",
  });
}

/** Every member must sit in one top-level directory (the spec's `{name}-{version}/`); paths become relative to it. */
function topLevel(archive: string, members: SdistMember[]): SdistContents {
  if (members.length === 0) throw unsafeSdist(archive, "(archive)", "is empty");
  const top = members[0].path.split("/")[0];
  const inner: SdistMember[] = [];
  const seen = new Set<string>();
  let newest = 0;
  for (const m of members) {
    const [first, ...rest] = m.path.split("/");
    if (first !== top) throw unsafeSdist(archive, m.path, `is outside the top-level directory ${JSON.stringify(top)}`);
    newest = Math.max(newest, m.mtime);
    if (rest.length === 0) continue;
    const path = rest.join("/");
    // A second member of the same name would make "what was built" depend on the order of writes.
    if (seen.has(path.toLowerCase())) throw unsafeSdist(archive, m.path, "appears twice");
    seen.add(path.toLowerCase());
    inner.push({ ...m, path });
  }
  return { top, members: inner, newest };
}

/** PKG-INFO at the top, if the sdist has one. */
export function pkgInfoOf(contents: SdistContents): string | undefined {
  return contents.members.find((m) => m.path === "PKG-INFO" && m.kind === "file")?.data.toString("utf8");
}

/** Write the members under `dir` (which must be new and private): files 0644/0755, times as recorded. */
export async function unpackSdist(contents: SdistContents, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const m of contents.members) {
    const path = join(dir, ...m.path.split("/"));
    if (m.kind === "directory") {
      await mkdir(path, { recursive: true });
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    // "wx": a member never replaces or follows anything already there.
    await writeFile(path, m.data, { flag: "wx" });
    await chmod(path, m.executable ? 0o755 : 0o644);
    await utimes(path, m.mtime, m.mtime);
  }
}
