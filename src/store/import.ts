// `store import`: verify a closure archive completely (every member against the manifest) before adding anything.

import { mkdir, readFile, readdir, rm, stat, statfs } from "node:fs/promises";
import { join, relative } from "node:path";
import { extract as extractTar } from "tar";
import { PystoreError } from "../errors.js";
import { CLOSURE_ARCHIVE_VERSION } from "../format-versions.js";
import { refusedWrite, tempName } from "../util/atomic-write.js";
import { hashFile } from "../util/hash-file.js";
import { scanClosureArchive } from "./import-scan.js";
import { CLOSURE_FORMAT, MANIFEST_NAME, MEMBER_PATH, type ClosureManifest } from "./closure.js";
import type { StoreEntry } from "./entries.js";
import { tmpDir } from "./layout.js";
import type { Store } from "./store.js";
import { PYTHON_MEMBER_PATH, placeStagedPython, stagePythonMember } from "./python-closure.js";
import { removeReadOnly } from "./content.js";
import type { PythonEntry } from "./pythons.js";
import { startProgress } from "../util/progress.js";

export interface ImportResult {
  added: StoreEntry[];
  /** Entries the store already held (re-verified, left alone). */
  present: StoreEntry[];
  /** Interpreters (closure members pythons/<sha256>.tar), added or already held. */
  pythons: { entry: PythonEntry; status: "added" | "present" }[];
}

function tampered(archive: string, member: string, why: string): PystoreError {
  return new PystoreError("ARCHIVE_TAMPERED", `${archive}: member ${JSON.stringify(member)} ${why}; nothing was imported`, {
    hint: "the archive was modified or damaged after `pystore store export`; export it again",
    details: { archive, member },
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isDirectory()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

function parseManifest(archive: string, text: string): ClosureManifest {
  let manifest: ClosureManifest;
  try {
    manifest = JSON.parse(text) as ClosureManifest;
  } catch {
    throw tampered(archive, MANIFEST_NAME, "is not valid JSON");
  }
  if (manifest?.format !== CLOSURE_FORMAT || !Array.isArray(manifest.members) || !Array.isArray(manifest.entries)) {
    throw tampered(archive, MANIFEST_NAME, `is not a ${CLOSURE_FORMAT} manifest`);
  }
  if (manifest.version !== CLOSURE_ARCHIVE_VERSION) {
    throw new PystoreError(
      "STORE_FORMAT",
      `${archive} is closure archive version ${String(manifest.version)}; this pystore reads version ${CLOSURE_ARCHIVE_VERSION}`,
      {
        hint: "import it with the pystore release that exported it",
      },
    );
  }
  return manifest;
}

/** Create the staging directory, a refused write there being the store's problem (STORE_IO). */
async function inStaging(staging: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    throw refusedWrite(error, staging, "a closure import staging directory", "STORE_IO") ?? error;
  }
}

/**
 * tar's unpacker ignores a short write (a full disk leaves a truncated file and no error). The parser read
 * every header and body, so a member smaller on disk than its own header is the store's filesystem
 * failing, not the archive: STORE_IO naming it, before any size check could blame the archive.
 */
async function checkUnpacked(archive: string, staging: string, headerSizes: Map<string, number>): Promise<void> {
  for (const [member, size] of headerSizes) {
    const path = join(staging, member);
    let found: number;
    try {
      found = (await stat(path)).size;
    } catch {
      continue;
    }
    if (found >= size) continue;
    let free: number | undefined;
    try {
      const fs = await statfs(staging);
      free = fs.bavail * fs.bsize;
    } catch {
      free = undefined;
    }
    const full = free !== undefined && free < size - found + BLOCK_SLACK;
    throw new PystoreError(
      "STORE_IO",
      `cannot write ${member} of ${archive} to ${path}: ${full ? "no space left on the filesystem (ENOSPC)" : "the write came up short"} (${found} of ${size} bytes written)`,
      {
        hint: "free some space on the store's filesystem (or point --store elsewhere) and run the command again; the archive itself is fine and nothing was imported",
        details: { path, archive, member, written: found, size },
      },
    );
  }
}

/** Slack for filesystem block rounding when deciding that a short write means a full disk. */
const BLOCK_SLACK = 4096;

export async function importClosure(store: Store, archive: string): Promise<ImportResult> {
  try {
    await stat(archive);
  } catch {
    throw new PystoreError("FILE_NOT_FOUND", `no closure archive at ${JSON.stringify(archive)}`);
  }
  // Read one way before anything is unpacked: what node-tar would skip or read differently never lands.
  await scanClosureArchive(archive, archive);
  const staging = join(tmpDir(store.dir), tempName("import"));
  const refused: string[] = [];
  /** Each regular member's size as its tar header gives it. */
  const headerSizes = new Map<string, number>();
  try {
    await inStaging(staging, () => mkdir(staging, { recursive: true }));
    try {
      await extractTar({
        file: archive,
        cwd: staging,
        strict: true,
        preserveOwner: false,
        // Only regular files and directories: links and devices have no place in a closure.
        filter: (path, entry) => {
          const type = "type" in entry ? entry.type : "File";
          const ok = type === "File" || type === "OldFile" || type === "Directory";
          if (!ok) refused.push(path);
          else if (type !== "Directory") headerSizes.set(path, entry.size ?? 0);
          return ok;
        },
      });
    } catch (error) {
      // The store's filesystem refusing a write says nothing about the archive.
      const disk = refusedWrite(error, staging, `the closure archive ${archive} being unpacked`, "STORE_IO");
      if (disk) throw disk;
      throw new PystoreError(
        "ARCHIVE_TAMPERED",
        `${archive} is not a readable tar archive: ${(error as Error).message}; nothing was imported`,
        { cause: error },
      );
    }
    if (refused.length > 0) throw tampered(archive, refused[0], "is not a regular file");
    await checkUnpacked(archive, staging, headerSizes);
    let manifestText: string;
    try {
      manifestText = await readFile(join(staging, MANIFEST_NAME), "utf8");
    } catch {
      throw tampered(archive, MANIFEST_NAME, "is missing");
    }
    const manifest = parseManifest(archive, manifestText);
    const listed = new Set<string>([MANIFEST_NAME]);
    const pythonFacts = new Map((Array.isArray(manifest.pythons) ? manifest.pythons : []).map((p) => [p.sha256, p]));
    for (const member of manifest.members) {
      const m = MEMBER_PATH.exec(member.path ?? "") ?? PYTHON_MEMBER_PATH.exec(member.path ?? "");
      if (!m || m[1] !== member.sha256)
        throw tampered(archive, String(member.path), "has a path that does not match its sha256 in the manifest");
      listed.add(member.path);
      let found: { sha256: string; size: number };
      try {
        found = await hashFile(join(staging, member.path));
      } catch {
        throw tampered(archive, member.path, "is listed in the manifest but missing");
      }
      if (found.size !== member.size) throw tampered(archive, member.path, `has ${found.size} bytes, the manifest says ${member.size}`);
      if (found.sha256 !== member.sha256)
        throw tampered(archive, member.path, `has sha256 ${found.sha256}, the manifest says ${member.sha256}`);
    }
    for (const file of await listFiles(staging)) {
      if (!listed.has(file)) throw tampered(archive, file, "is not listed in the manifest");
    }
    const pythonMembers = manifest.members.filter((m) => PYTHON_MEMBER_PATH.test(m.path));
    for (const member of pythonMembers)
      if (!pythonFacts.has(member.sha256)) throw tampered(archive, member.path, "is an interpreter the manifest does not describe");
    manifest.members = manifest.members.filter((m) => MEMBER_PATH.test(m.path));
    // Each interpreter is unpacked and re-hashed before anything is added: a bad one adds nothing at all.
    const pythonStaging = pythonMembers.map((m) => ({ member: m, dir: join(tmpDir(store.dir), tempName("python")) }));
    try {
      for (const { member, dir } of pythonStaging)
        await stagePythonMember(join(staging, member.path), dir, pythonFacts.get(member.sha256)!, (why) =>
          tampered(archive, member.path, why),
        );
      // A hostile or malformed wheel must refuse the whole import, not leave the members before it stored
      // (admission: src/wheel/vet.ts). The store keeps each result, so the adds below neither admit nor hash
      // a wheel again.
      const progress = startProgress(
        store.log,
        "checking",
        { items: manifest.members.length, unit: "wheel", bytes: manifest.members.reduce((n, m) => n + m.size, 0) },
        { lines: false },
      );
      try {
        for (const member of manifest.members) {
          const filename = MEMBER_PATH.exec(member.path)![2];
          await store.checkWheelFile(join(staging, member.path), { filename, expectedSha256: member.sha256 });
          progress.advance(filename, member.size);
        }
      } finally {
        progress.done();
      }
      // Everything checked; only now does anything reach the store.
      const rows = new Map(manifest.entries.map((e) => [e.sha256, e]));
      const added: StoreEntry[] = [];
      const present: StoreEntry[] = [];
      for (const member of manifest.members) {
        const row = rows.get(member.sha256);
        const before = store.get(member.sha256);
        const entry = await store.addWheelFile(join(staging, member.path), {
          filename: MEMBER_PATH.exec(member.path)![2],
          expectedSha256: member.sha256,
          originUrl: row?.originUrl,
          index: row?.index,
        });
        (before ? present : added).push(entry);
      }
      const pythons = pythonStaging.map(({ member, dir }) => placeStagedPython(store, dir, pythonFacts.get(member.sha256)!));
      return { added, present, pythons };
    } finally {
      for (const { dir } of pythonStaging) removeReadOnly(dir);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
