// `bundle verify` for a tar.gz: streams the archive (gzip + tar, never extracted) and compares its members
// with the manifest stored inside it, under the archive's one top-level directory.

import { createHash, type Hash } from "node:crypto";
import { list } from "tar";
import { PystoreError } from "../errors.js";
import { compareStrings } from "../util/order.js";
import { MANIFEST_FILE, compareWithManifest, parseManifest, type VerifyReport } from "./manifest.js";

interface Member {
  sha256: string;
  size: number;
  mode: string;
  /** Not a regular file (a symlink, a hard link, a device), or present more than once. */
  special: boolean;
}

const REGULAR = new Set(["File", "OldFile", "ContiguousFile"]);

/** Every non-directory member by path, and the bytes of each `<top>/pystore-bundle.json`. */
async function readMembers(path: string): Promise<{ members: Map<string, Member>; manifests: Map<string, Buffer> }> {
  const members = new Map<string, Member>();
  const manifests = new Map<string, Buffer>();
  try {
    await list({
      file: path,
      strict: true,
      onReadEntry: (entry) => {
        if (entry.type === "Directory") return;
        const name = entry.path;
        const regular = REGULAR.has(entry.type);
        const isManifest = /^[^/]+\/pystore-bundle\.json$/.test(name) && regular;
        const hash: Hash = createHash("sha256");
        const chunks: Buffer[] = [];
        let size = 0;
        entry.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
          if (isManifest) chunks.push(chunk);
        });
        entry.on("end", () => {
          // Extracting keeps the last copy of a repeated path; a pystore archive never repeats one.
          const repeated = members.has(name) || manifests.has(name);
          if (isManifest) {
            manifests.set(name, Buffer.concat(chunks));
            if (repeated) members.set(name, { sha256: "", size: 0, mode: "0000", special: true });
            return;
          }
          const mode = (entry.mode ?? 0) & 0o111 ? "0755" : "0644";
          members.set(name, { sha256: hash.digest("hex"), size, mode, special: !regular || repeated });
        });
      },
    });
  } catch (cause) {
    if (cause instanceof PystoreError) throw cause;
    throw new PystoreError("BUNDLE_MODIFIED", `${path}: not a readable tar.gz archive: ${(cause as Error).message}`, { cause });
  }
  return { members, manifests };
}

export async function verifyTarGz(path: string): Promise<VerifyReport> {
  const { members, manifests } = await readMembers(path);
  if (manifests.size === 0)
    throw new PystoreError("FILE_NOT_FOUND", `${path} is not a pystore bundle: it holds no <name>/${MANIFEST_FILE}`);
  if (manifests.size > 1) {
    throw new PystoreError(
      "BUNDLE_MODIFIED",
      `${path}: holds ${manifests.size} manifests (${[...manifests.keys()].sort(compareStrings).join(", ")}); a bundle archive has one top-level directory`,
    );
  }
  const [manifestPath, manifestBytes] = [...manifests][0];
  const prefix = manifestPath.slice(0, manifestPath.length - MANIFEST_FILE.length);
  const manifest = parseManifest(manifestBytes.toString("utf8"), path, manifestPath);
  // Paths as the manifest names them (bundle-relative). Members outside the top directory are extra
  // whatever their name, under their full archive path: extraction would put them beside the bundle.
  const actual = new Map<string, Member>();
  const outside: string[] = [];
  for (const [name, member] of members) {
    if (name.startsWith(prefix)) actual.set(name.slice(prefix.length), member);
    else outside.push(name);
  }
  const report = compareWithManifest(manifest, actual);
  // A repeated manifest shows up as changed, not as a file the manifest forgot to list.
  if (report.extra.includes(MANIFEST_FILE)) {
    report.changed.push(MANIFEST_FILE);
    report.extra = report.extra.filter((path) => path !== MANIFEST_FILE);
  }
  report.extra.push(...outside);
  for (const list of Object.values(report)) list.sort(compareStrings);
  return report;
}
