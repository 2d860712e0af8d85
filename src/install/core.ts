// The install core (pypa/installer's `install(source, destination)`): plans where every member of a
// wheel goes, refuses overlaps, and hands bytes or stored files to a destination. It never touches the
// filesystem itself; sources read, destinations write.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { formatRecord, type RecordRow } from "../standards/record.js";
import { byPath } from "../util/order.js";
import { dataDirOf, distInfoNameVersion, hasNativeCode } from "../wheel/dist-info.js";
import { parseEntryPoints, type EntryPoint } from "../wheel/entry-points.js";
import type { StoredMember, WheelSource } from "../wheel/source.js";
import { readWheelFields } from "../wheel/wheel-file.js";
import { BUNDLE_SCHEME, installPath, isTopLevelScript, relativeToRoot, rewriteShebang, rootTarget, type InstallScheme } from "./scheme.js";

const INSTALLER = "pystore\n";

/** Where installed files go (pypa/installer's "destinations"). Paths are root-relative, "/"-separated. */
export interface InstallDestination {
  /** Create `target` (which must not exist) with `data`, whose sha256 is given. */
  write(target: string, data: Buffer, mode: 0o644 | 0o755, sha256: Buffer): void;
  /** Put a member the source has on disk at `target` without reading it; absent: every member is written. */
  link?(target: string, member: StoredMember, mode: 0o644 | 0o755): void;
}

export interface InstallOptions {
  scheme?: InstallScheme;
  /** Files already installed by earlier wheels (root-relative path → wheel filename), to refuse overlaps. */
  claimed?: Map<string, string>;
  /** The interpreter written into `#!python` script shebangs. */
  scriptInterpreter?: string;
}

export interface InstalledWheel {
  filename: string;
  name: string;
  version: string;
  /** Root-relative path of the installed .dist-info directory. */
  distInfo: string;
  /** Root-relative paths of every file written, sorted. */
  files: string[];
  entryPoints: EntryPoint[];
  /**
   * Root-relative paths of the wheel's top-level `.data/scripts` files that are Python scripts (a
   * `#!python` first line, per the binary distribution format), sorted: they can get launchers.
   */
  pythonScripts: string[];
  /** True when the wheel ships compiled code (which cannot be imported from inside a zip). */
  hasNativeCode: boolean;
}

function sha256Of(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * Install `source` into `destination`. Every target is planned and checked against `claimed` before
 * the first file is handed over. Scripts are always written fresh (their shebang and mode are the
 * destination's); other members are linked when both sides can, else written. INSTALLER and a fresh
 * RECORD finish the `.dist-info`. A failure leaves partial files: callers install into a staging tree.
 */
export function install(source: WheelSource, destination: InstallDestination, options: InstallOptions = {}): InstalledWheel {
  const scheme = options.scheme ?? BUNDLE_SCHEME;
  const archive = source.filename;
  const { distInfo } = source;
  const dataDir = dataDirOf(distInfo);
  const wheelFile = `${distInfo}/WHEEL`;
  if (!source.files.some((f) => f.path === wheelFile)) {
    throw new PystoreError("UNSAFE_WHEEL", `${archive}: ${distInfo} has no WHEEL file`, { hint: "this is not a valid wheel" });
  }
  const { rootIsPurelib } = readWheelFields(archive, source.read(wheelFile).data.toString("utf8"));
  const rootScheme = rootIsPurelib ? scheme.purelib : scheme.platlib;
  const recordMember = `${distInfo}/RECORD`;
  const installerMember = `${distInfo}/INSTALLER`;

  // Every target first (a bad .data scheme is refused before any overlap is reported), then the overlaps.
  // Parallel arrays, not an object per member: a bundle plans tens of thousands of members.
  const members = source.files;
  const targets: string[] = new Array(members.length);
  const isScript: boolean[] = new Array(members.length);
  const dataPrefix = `${dataDir}/`;
  for (let i = 0; i < members.length; i++) {
    const path = members[i].path;
    if (path.startsWith(dataPrefix)) {
      const { target, key } = installPath(archive, path, dataDir, rootScheme, scheme);
      targets[i] = target;
      isScript[i] = key === "scripts";
    } else {
      targets[i] = rootTarget(archive, path, rootScheme);
      isScript[i] = false;
    }
  }
  const claimed = options.claimed;
  if (claimed) {
    for (let i = 0; i < members.length; i++) {
      const owner = claimed.get(targets[i]);
      if (owner !== undefined) {
        throw new PystoreError(
          "BUNDLE_FAILED",
          `${archive}: ${members[i].path} would overwrite ${targets[i]}, already installed by ${owner}`,
          {
            hint: "two wheels in the lock ship the same file; the lock is inconsistent",
          },
        );
      }
    }
  }

  const sitePackages = scheme.purelib;
  const installedDistInfo = join(rootScheme, distInfo);
  const written: RecordRow[] = [];
  const files: string[] = [];
  const pythonScripts: string[] = [];
  const record = (target: string, digest: string, size: number) => {
    claimed?.set(target, archive);
    files.push(target);
    written.push({ path: relativeToRoot(sitePackages, target), hash: { algorithm: "sha256", digest }, size });
  };
  const link = destination.link;
  const stored = link ? source.stored : undefined;
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    const target = targets[i];
    if (member.path === recordMember || member.path === installerMember) continue;
    const mode = member.executable ? 0o755 : 0o644;
    const onDisk = isScript[i] || !stored ? undefined : stored.call(source, member.path);
    if (onDisk) {
      link!.call(destination, target, onDisk, mode);
      record(target, Buffer.from(onDisk.sha256, "hex").toString("base64url"), onDisk.size);
      continue;
    }
    let { data, sha256 } = source.read(member.path);
    if (isScript[i]) {
      // The spec's "#!python" placeholder must point at an interpreter; the bundle's is chosen at run time.
      const rewritten = rewriteShebang(data, options.scriptInterpreter ?? "/usr/bin/env python3");
      if (rewritten) {
        data = rewritten;
        sha256 = sha256Of(data);
        if (isTopLevelScript(member.path, dataDir)) pythonScripts.push(target);
      }
    }
    destination.write(target, data, isScript[i] ? 0o755 : mode, sha256);
    record(target, sha256.toString("base64url"), data.length);
  }

  // INSTALLER, then a fresh RECORD listing every written file (sorted) and itself.
  const installerPath = join(installedDistInfo, "INSTALLER");
  const installer = Buffer.from(INSTALLER);
  const installerSha = sha256Of(installer);
  destination.write(installerPath, installer, 0o644, installerSha);
  record(installerPath, installerSha.toString("base64url"), installer.length);
  // Members come in archive order, so this is nearly sorted already (only .data members and INSTALLER move).
  written.sort(byPath);
  const recordPath = join(installedDistInfo, "RECORD");
  written.push({ path: relativeToRoot(sitePackages, recordPath) });
  const recordBytes = Buffer.from(formatRecord(written));
  destination.write(recordPath, recordBytes, 0o644, sha256Of(recordBytes));
  claimed?.set(recordPath, archive);
  files.push(recordPath);

  const entryPointsPath = `${distInfo}/entry_points.txt`;
  const entryPoints = source.files.some((f) => f.path === entryPointsPath)
    ? parseEntryPoints(source.read(entryPointsPath).data.toString("utf8"), `${archive}:${entryPointsPath}`)
    : [];
  const [name, version] = distInfoNameVersion(distInfo);
  return {
    filename: archive,
    name,
    version,
    distInfo: installedDistInfo,
    files: files.sort(),
    entryPoints,
    pythonScripts: pythonScripts.sort(),
    hasNativeCode: hasNativeCode(members.map((f) => f.path)),
  };
}
