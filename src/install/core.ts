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
import { BUNDLE_SCHEME, installPath, isTopLevelScript, relativeToRoot, rewriteShebang, type InstallScheme } from "./scheme.js";

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
  const skipped = new Set([`${distInfo}/RECORD`, `${distInfo}/INSTALLER`]);

  const plan = source.files.map((member) => ({ member, ...installPath(archive, member.path, dataDir, rootScheme, scheme) }));
  for (const { member, target } of plan) {
    const owner = options.claimed?.get(target);
    if (owner !== undefined) {
      throw new PystoreError("BUNDLE_FAILED", `${archive}: ${member.path} would overwrite ${target}, already installed by ${owner}`, {
        hint: "two wheels in the lock ship the same file; the lock is inconsistent",
      });
    }
  }

  const sitePackages = scheme.purelib;
  const installedDistInfo = join(rootScheme, distInfo);
  const written: RecordRow[] = [];
  const pythonScripts: string[] = [];
  const record = (target: string, sha256: Buffer, size: number) => {
    options.claimed?.set(target, archive);
    written.push({ path: relativeToRoot(sitePackages, target), hash: { algorithm: "sha256", digest: sha256.toString("base64url") }, size });
  };
  for (const { member, target, key } of plan) {
    if (skipped.has(member.path)) continue;
    const mode = member.executable ? 0o755 : 0o644;
    const stored = key === "scripts" || !destination.link ? undefined : source.stored?.(member.path);
    if (stored) {
      destination.link!(target, stored, mode);
      record(target, Buffer.from(stored.sha256, "hex"), stored.size);
      continue;
    }
    let { data, sha256 } = source.read(member.path);
    if (key === "scripts") {
      // The spec's "#!python" placeholder must point at an interpreter; the bundle's is chosen at run time.
      const rewritten = rewriteShebang(data, options.scriptInterpreter ?? "/usr/bin/env python3");
      if (rewritten) {
        data = rewritten;
        sha256 = sha256Of(data);
        if (isTopLevelScript(member.path, dataDir)) pythonScripts.push(target);
      }
    }
    destination.write(target, data, key === "scripts" ? 0o755 : mode, sha256);
    record(target, sha256, data.length);
  }

  // INSTALLER, then a fresh RECORD listing every written file (sorted) and itself.
  const installerPath = join(installedDistInfo, "INSTALLER");
  const installer = Buffer.from(INSTALLER);
  const installerSha = sha256Of(installer);
  destination.write(installerPath, installer, 0o644, installerSha);
  record(installerPath, installerSha, installer.length);
  written.sort(byPath);
  const recordPath = join(installedDistInfo, "RECORD");
  written.push({ path: relativeToRoot(sitePackages, recordPath) });
  const recordBytes = Buffer.from(formatRecord(written));
  destination.write(recordPath, recordBytes, 0o644, sha256Of(recordBytes));
  options.claimed?.set(recordPath, archive);

  const entryPointsPath = `${distInfo}/entry_points.txt`;
  const entryPoints = source.files.some((f) => f.path === entryPointsPath)
    ? parseEntryPoints(source.read(entryPointsPath).data.toString("utf8"), `${archive}:${entryPointsPath}`)
    : [];
  const [name, version] = distInfoNameVersion(distInfo);
  const files = [...plan.filter((p) => !skipped.has(p.member.path)).map((p) => p.target), installerPath, recordPath].sort();
  return {
    filename: archive,
    name,
    version,
    distInfo: installedDistInfo,
    files,
    entryPoints,
    pythonScripts: pythonScripts.sort(),
    hasNativeCode: hasNativeCode(source.files.map((f) => f.path)),
  };
}
