// The wheel installer: unpacks one wheel into a bundle tree per the binary distribution format
// (PEP 427 and packaging.python.org/specifications/binary-distribution-format/), checking safety and RECORD first.

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { PystoreError } from "../errors.js";
import { formatRecord, parseRecord, type RecordRow } from "../standards/record.js";
import { DEFAULT_LIMITS, checkRelativePath, isExecutableEntry, type SafetyLimits } from "./safety.js";
import { TreeWriter } from "./tree-writer.js";
import { openWheelBytes, readCheckedEntries, readEntrySync, type ZipItem } from "./zip-entries.js";
import { parseEntryPoints, type EntryPoint } from "./entry-points.js";

/** Where each install scheme lands, as paths relative to the destination root. */
export interface InstallScheme {
  purelib: string;
  platlib: string;
  scripts: string;
  data: string;
  headers: string;
}

/** A bundle has one site-packages for pure and platform code; scripts/data/headers sit beside it. */
export const BUNDLE_SCHEME: InstallScheme = {
  purelib: "site-packages",
  platlib: "site-packages",
  scripts: "scripts",
  data: "data",
  headers: "include",
};

export interface InstallOptions {
  scheme?: InstallScheme;
  limits?: SafetyLimits;
  /** Files already installed by earlier wheels (root-relative path → wheel filename), to refuse overlaps. */
  claimed?: Map<string, string>;
  /** The interpreter written into `#!python` script shebangs. */
  scriptInterpreter?: string;
  /** The wheel's bytes when the caller has already read (and checked) them, so they are not read again. */
  data?: Buffer;
  /**
   * Writes the files under `root` and records each one's sha256, size and mode (the bundle's manifest
   * reuses them); share one across wheels so common directories are made once. Default: a new one.
   */
  writer?: TreeWriter;
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

export const INSTALLER = "pystore\n";
const ACCEPTED_HASHES = new Set(["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s"]);
const NODE_HASH: Record<string, string> = {
  sha3_256: "sha3-256",
  sha3_384: "sha3-384",
  sha3_512: "sha3-512",
  blake2b: "blake2b512",
  blake2s: "blake2s256",
};
export const NATIVE = /\.(so|pyd|dylib|dll)$|\.so\.\d/;

function mismatch(archive: string, file: string, why: string): PystoreError {
  return new PystoreError("RECORD_MISMATCH", `${archive}: ${file}: ${why}`, {
    hint: "the wheel's contents do not match its RECORD; it was altered or built wrongly, so nothing was installed",
    details: { archive, file, reason: why },
  });
}

function digest(algorithm: string, data: Buffer): string {
  return createHash(NODE_HASH[algorithm] ?? algorithm)
    .update(data)
    .digest("base64url");
}

export interface RecordListing {
  recordPath: string;
  /** RECORD's rows by normalised path. */
  recorded: Map<string, RecordRow>;
  /** RECORD itself and its signatures: the files RECORD cannot list with a hash. */
  unsigned: Set<string>;
}

/**
 * RECORD must list every file of the wheel, each with an accepted hash, and nothing else. `read` returns
 * an archive member's bytes (undefined when absent). Shared with the store's unpacked trees.
 */
export function checkRecordListing(
  archive: string,
  distInfo: string,
  files: string[],
  read: (path: string) => Buffer | undefined,
): RecordListing {
  const recordPath = `${distInfo}/RECORD`;
  const recordBytes = read(recordPath);
  if (!recordBytes) throw mismatch(archive, recordPath, "the wheel has no RECORD file");
  const rows = parseRecord(recordBytes.toString("utf8"), `${archive}:${recordPath}`);
  const recorded = new Map<string, RecordRow>();
  for (const row of rows) {
    const key = row.path.replace(/^\.\//, "");
    if (recorded.has(key)) throw mismatch(archive, row.path, "listed twice in RECORD");
    recorded.set(key, row);
  }
  const unsigned = new Set([recordPath, `${distInfo}/RECORD.jws`, `${distInfo}/RECORD.p7s`]);
  const present = new Set(files);
  for (const path of files) {
    if (unsigned.has(path)) continue;
    const row = recorded.get(path);
    if (!row) throw mismatch(archive, path, "present in the wheel but not listed in RECORD");
    if (!row.hash) throw mismatch(archive, path, "listed in RECORD without a hash");
    if (!ACCEPTED_HASHES.has(row.hash.algorithm))
      throw mismatch(archive, path, `RECORD uses the weak or unknown hash ${JSON.stringify(row.hash.algorithm)}`);
  }
  for (const path of recorded.keys()) {
    if (!present.has(path)) throw mismatch(archive, path, "listed in RECORD but missing from the wheel");
  }
  return { recordPath, recorded, unsigned };
}

/** One member's bytes against its RECORD row; `sha256` is the digest already computed from `data`. */
export function checkRecordedFile(archive: string, path: string, data: Buffer, sha256: Buffer, expected: RecordRow): void {
  const found = expected.hash!.algorithm === "sha256" ? sha256.toString("base64url") : digest(expected.hash!.algorithm, data);
  if (found !== expected.hash!.digest) throw mismatch(archive, path, `${expected.hash!.algorithm} does not match RECORD`);
  if (expected.size !== undefined && expected.size !== data.length)
    throw mismatch(archive, path, `size ${data.length} does not match RECORD's ${expected.size}`);
}

/** The key/value lines of WHEEL. */
export function parseWheelFile(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

export function findDistInfo(archive: string, paths: string[]): string {
  const candidates = new Set<string>();
  for (const path of paths) {
    const [top, second] = path.split("/");
    if (top.endsWith(".dist-info") && second === "WHEEL" && path.split("/").length === 2) candidates.add(top);
  }
  if (candidates.size !== 1) {
    throw new PystoreError(
      "UNSAFE_WHEEL",
      `${archive}: expected exactly one top-level .dist-info directory with a WHEEL file, found ${candidates.size}`,
      {
        hint: "this is not a valid wheel",
      },
    );
  }
  return [...candidates][0];
}

/** Map a path inside the wheel to its root-relative install path, following the `.data/` scheme directories. */
export function installPath(
  archive: string,
  path: string,
  dataDir: string,
  rootScheme: string,
  scheme: InstallScheme,
): { target: string; key: string } {
  if (path.startsWith(`${dataDir}/`)) {
    const rest = path.slice(dataDir.length + 1);
    const slash = rest.indexOf("/");
    const key = slash < 0 ? rest : rest.slice(0, slash);
    if (!Object.hasOwn(scheme, key) || slash < 0) {
      throw new PystoreError(
        "UNSAFE_WHEEL",
        `${archive}: refusing archive entry ${JSON.stringify(path)}: unknown install scheme ${JSON.stringify(key)} in ${dataDir}/`,
        {
          hint: "known schemes are purelib, platlib, scripts, data and headers",
        },
      );
    }
    const inner = rest.slice(slash + 1);
    const base = scheme[key as keyof InstallScheme];
    const target = key === "headers" ? join(base, dataDir.replace(/-[^-]*\.data$/, ""), inner) : join(base, inner);
    return { target: checkRelativePath(archive, target), key };
  }
  return { target: checkRelativePath(archive, join(rootScheme, path)), key: "root" };
}

export function relativeToRoot(from: string, to: string): string {
  const fromParts = from.split("/");
  const toParts = to.split("/");
  let common = 0;
  while (common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]) common++;
  return [...fromParts.slice(common).map(() => ".."), ...toParts.slice(common)].join("/");
}

/**
 * Install `wheelPath` under `root`. Everything is checked (entry names, symlinks, duplicates, sizes,
 * RECORD completeness) before the first file is written, and each file's hash is compared with RECORD
 * before it is written; a failure leaves partial files, which is why callers install into a staging tree.
 */
export async function installWheel(wheelPath: string, root: string, options: InstallOptions = {}): Promise<InstalledWheel> {
  const scheme = options.scheme ?? BUNDLE_SCHEME;
  const archive = basename(wheelPath);
  // The staging tree is private and becomes visible by one rename of its root, so per-file temp+rename
  // would only cost time; the writer's "wx" still refuses to follow or replace anything already there.
  const writer = options.writer ?? new TreeWriter(root);
  if (writer.root !== root) throw new Error(`installWheel: the writer writes under ${writer.root}, not ${root}`);
  const opened = await openWheelBytes(wheelPath, archive, options.data);
  const zip = opened.zip;
  try {
    const { files, byPath } = await readCheckedEntries(zip, archive, { limits: options.limits ?? DEFAULT_LIMITS });

    const distInfo = findDistInfo(archive, files);
    const dataDir = distInfo.replace(/\.dist-info$/, ".data");
    const read = (item: ZipItem) => readEntrySync(opened.bytes, archive, item);

    const wheelFields = parseWheelFile(read(byPath.get(`${distInfo}/WHEEL`)!).toString("utf8"));
    const wheelVersion = wheelFields.get("wheel-version") ?? "";
    if (!/^1(\.\d+)*$/.test(wheelVersion)) {
      throw new PystoreError(
        "UNSAFE_WHEEL",
        `${archive}: unsupported Wheel-Version ${JSON.stringify(wheelVersion)} (pystore installs 1.x)`,
      );
    }
    const rootScheme = wheelFields.get("root-is-purelib")?.toLowerCase() === "true" ? scheme.purelib : scheme.platlib;

    const { recordPath, recorded, unsigned } = checkRecordListing(archive, distInfo, files, (path) =>
      byPath.has(path) ? read(byPath.get(path)!) : undefined,
    );

    const plan = files.map((path) => ({ path, ...installPath(archive, path, dataDir, rootScheme, scheme) }));
    for (const { path, target } of plan) {
      const owner = options.claimed?.get(target);
      if (owner !== undefined) {
        throw new PystoreError("BUNDLE_FAILED", `${archive}: ${path} would overwrite ${target}, already installed by ${owner}`, {
          hint: "two wheels in the lock ship the same file; the lock is inconsistent",
        });
      }
    }

    const written: RecordRow[] = [];
    const pythonScripts: string[] = [];
    const sitePackages = scheme.purelib;
    const installedDistInfo = join(rootScheme, distInfo);
    for (const { path, target, key } of plan) {
      if (path === recordPath || path === `${distInfo}/INSTALLER`) continue;
      const item = byPath.get(path)!;
      let data = read(item);
      // One sha256 serves the RECORD check (when RECORD uses sha256, as nearly every wheel does), the
      // installed RECORD and the bundle manifest.
      let sha256 = createHash("sha256").update(data).digest();
      if (!unsigned.has(path)) checkRecordedFile(archive, path, data, sha256, recorded.get(path)!);
      let mode: 0o755 | 0o644 = isExecutableEntry(item.info) ? 0o755 : 0o644;
      if (key === "scripts") {
        mode = 0o755;
        // The spec's "#!python" placeholder must point at an interpreter; the bundle's is chosen at run time.
        const rewritten = rewriteShebang(data, options.scriptInterpreter ?? "/usr/bin/env python3");
        if (rewritten) {
          data = rewritten;
          sha256 = createHash("sha256").update(data).digest();
          if (isTopLevelScript(path, dataDir)) pythonScripts.push(target);
        }
      }
      writer.write(target, data, mode, sha256);
      options.claimed?.set(target, archive);
      written.push({
        path: relativeToRoot(sitePackages, target),
        hash: { algorithm: "sha256", digest: sha256.toString("base64url") },
        size: data.length,
      });
    }
    finishDistInfo(writer, sitePackages, installedDistInfo, written, archive, options.claimed);

    const entryPointsItem = byPath.get(`${distInfo}/entry_points.txt`);
    const entryPoints = entryPointsItem
      ? parseEntryPoints(read(entryPointsItem).toString("utf8"), `${archive}:${distInfo}/entry_points.txt`)
      : [];
    const [name, version] = distInfoNameVersion(distInfo);
    const installedFiles = [
      ...plan.filter((p) => p.path !== recordPath && p.path !== `${distInfo}/INSTALLER`).map((p) => p.target),
      join(installedDistInfo, "INSTALLER"),
      join(installedDistInfo, "RECORD"),
    ].sort();
    return {
      filename: archive,
      name,
      version,
      distInfo: installedDistInfo,
      files: installedFiles,
      entryPoints,
      pythonScripts: pythonScripts.sort(),
      hasNativeCode: files.some((f) => NATIVE.test(f)),
    };
  } finally {
    opened.close();
  }
}

/**
 * Finish an installed .dist-info the same way whichever way its files arrived: INSTALLER, then a fresh
 * RECORD listing every written file (sorted) and itself, both claimed for the duplicate-file check.
 */
export function finishDistInfo(
  writer: TreeWriter,
  sitePackages: string,
  installedDistInfo: string,
  written: RecordRow[],
  owner: string,
  claimed?: Map<string, string>,
): void {
  const installerData = Buffer.from(INSTALLER);
  const installerSha = writer.write(join(installedDistInfo, "INSTALLER"), installerData, 0o644);
  written.push({
    path: relativeToRoot(sitePackages, join(installedDistInfo, "INSTALLER")),
    hash: { algorithm: "sha256", digest: installerSha.toString("base64url") },
    size: installerData.length,
  });
  written.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  written.push({ path: relativeToRoot(sitePackages, join(installedDistInfo, "RECORD")) });
  writer.write(join(installedDistInfo, "RECORD"), Buffer.from(formatRecord(written)), 0o644);
  for (const name of ["INSTALLER", "RECORD"]) claimed?.set(join(installedDistInfo, name), owner);
}

export function distInfoNameVersion(distInfo: string): [string, string] {
  const stem = distInfo.replace(/\.dist-info$/, "");
  const dash = stem.lastIndexOf("-");
  return dash < 0 ? [stem, ""] : [stem.slice(0, dash), stem.slice(dash + 1)];
}

/** A file directly in `<name>.data/scripts/` (installers put those, not subdirectories, on PATH). */
export function isTopLevelScript(path: string, dataDir: string): boolean {
  const prefix = `${dataDir}/scripts/`;
  return path.startsWith(prefix) && !path.slice(prefix.length).includes("/");
}

/** `#!python` / `#!pythonw` first lines become a real interpreter line; other scripts are left alone. */
export function rewriteShebang(data: Buffer, interpreter: string): Buffer | undefined {
  const match = /^#!pythonw?(\r?\n)/.exec(data.subarray(0, 16).toString("latin1"));
  if (!match) return undefined;
  return Buffer.concat([Buffer.from(`#!${interpreter}${match[1]}`), data.subarray(match[0].length)]);
}
