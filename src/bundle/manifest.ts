// The bundle manifest OUT/pystore-bundle.json (store-format/bundle-manifest.md): what a bundle holds, and
// `bundle verify`, which compares a bundle directory with it (changed, missing and extra files).

import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { BUNDLE_MANIFEST_VERSION } from "../format-versions.js";
import { byName, byPath, compareStrings } from "../util/order.js";
import { stableJson } from "../util/stable-json.js";
import { hashFile } from "../util/hash-file.js";

export const MANIFEST_FILE = "pystore-bundle.json";

export interface ManifestFile {
  /** Bundle-relative, "/"-separated. */
  path: string;
  sha256: string;
  size: number;
  /** "0644" or "0755": bundles carry no other modes. */
  mode: string;
}

export interface BundleManifest {
  formatVersion: number;
  createdBy: string;
  name: string;
  target: { id: string; platform: string; python: string; implementation: string };
  lock: { sha256: string } | null;
  packages: { name: string; version: string; wheel: string; sha256: string }[];
  executables: { name: string; kind: "entry" | "script"; target: string; origin: string }[];
  /** sys.path entries before the stdlib (app code and libs), then sitePackages after it. */
  paths: string[];
  sitePackages: string;
  nativeCode: boolean;
  /** The project's [tool.pystore] data entries as declared, and the directory they are copied under. */
  data?: { dir: string; declared: string[] };
  /** The interpreter embedded as python/ (`bundle --embed-python`): its store identity and facts. */
  python?: EmbeddedPythonInfo;
  /** `bundle --compile`: the .pyc files under __pycache__ were written at build time (listed in files). */
  bytecode?: { invalidation: "unchecked-hash"; cacheTag: string; compiler: string };
  files: ManifestFile[];
}

export interface EmbeddedPythonInfo {
  /** sha256 of the interpreter tree's canonical tar (the store entry, store-format/store-layout.md). */
  sha256: string;
  implementation: string;
  version: string;
  machine: string;
  libc: string | null;
  executable: string;
}

export interface VerifyReport {
  changed: string[];
  missing: string[];
  extra: string[];
}

export function formatManifest(manifest: BundleManifest): string {
  const files = isSortedByPath(manifest.files) ? manifest.files : [...manifest.files].sort(byPath);
  if (!files.every(isPlainFile)) return stableJson({ ...manifest, files });
  // stableJson's bytes, with the files (thousands of four-key objects) given to one native JSON.stringify
  // in their sorted key order instead of each copied with its keys sorted: the same keys, in the same
  // order, at the same indentation (a key of the top-level object, as `files` is in the manifest).
  const skeleton = stableJson({ ...manifest, files: [] });
  const empty = '\n  "files": []';
  if (files.length === 0 || !skeleton.includes(empty)) return stableJson({ ...manifest, files });
  const rows = files.map(({ mode, path, sha256, size }) => ({ mode, path, sha256, size }));
  const block = JSON.stringify({ files: rows }, null, 2);
  // `{` + `\n  "files": [ … ]` + `\n}`: the middle is what replaces the skeleton's empty list.
  return skeleton.replace(empty, () => block.slice(1, -2));
}

function isSortedByPath(files: readonly ManifestFile[]): boolean {
  for (let i = 1; i < files.length; i++) if (byPath(files[i - 1], files[i]) > 0) return false;
  return true;
}

/** Exactly the four fields, none undefined: the only shape formatManifest writes directly. */
function isPlainFile(file: ManifestFile): boolean {
  let keys = 0;
  for (const key in file) {
    if (key !== "mode" && key !== "path" && key !== "sha256" && key !== "size") return false;
    keys++;
  }
  return (
    keys === 4 &&
    typeof file.mode === "string" &&
    typeof file.path === "string" &&
    typeof file.sha256 === "string" &&
    Number.isFinite(file.size)
  );
}

/** The bundle's identity: sha256 of its manifest bytes (which hash every file). */
export function bundleHash(manifestText: string): string {
  return createHash("sha256").update(manifestText).digest("hex");
}

/** Files up to this size are read in one synchronous call; larger ones are streamed. */
const READ_WHOLE_BYTES = 16 * 1024 * 1024;

async function hashTreeFile(path: string, size: number): Promise<string> {
  return size <= READ_WHOLE_BYTES ? createHash("sha256").update(readFileSync(path)).digest("hex") : (await hashFile(path)).sha256;
}

export interface TreeEntry extends ManifestFile {
  /** Anything that is neither a regular file nor a directory (a symlink, a fifo). */
  special?: boolean;
}

export interface WalkOptions {
  ignorePycache?: boolean;
  /**
   * Files this process wrote itself and hashed while writing (TreeWriter.written), keyed by path under
   * the tree the writer wrote; a regular file found here is neither stat'ed nor read again.
   */
  known?: ReadonlyMap<string, Omit<ManifestFile, "path">>;
  /** Where `root` sits in `known`'s tree ("site-packages" when walking only that). */
  knownPrefix?: string;
}

/**
 * Every file under `root`, sorted by path, except the manifest itself and (when `ignorePycache`)
 * bytecode caches, which Python may write next to sources when the bundle directory is writable.
 */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const prefix = opts.knownPrefix ? `${opts.knownPrefix}/` : "";
  // Synchronous listing and hashing: a bundle is hundreds of small files, and an asynchronous call per
  // file costs more in thread-pool round trips than the work itself.
  async function walk(dir: string, rel: string): Promise<void> {
    for (const dirent of readdirSync(dir, { withFileTypes: true }).sort(byName)) {
      const name = dirent.name;
      const path = rel === "" ? name : `${rel}/${name}`;
      if (path === MANIFEST_FILE) continue;
      if (opts.ignorePycache && name === "__pycache__") continue;
      const full = join(dir, name);
      const known = dirent.isFile() ? opts.known?.get(prefix + path) : undefined;
      if (known) {
        out.push({ path, sha256: known.sha256, size: known.size, mode: known.mode });
        continue;
      }
      const info = lstatSync(full);
      if (info.isDirectory()) await walk(full, path);
      else if (info.isFile())
        out.push({ path, sha256: await hashTreeFile(full, info.size), size: info.size, mode: info.mode & 0o111 ? "0755" : "0644" });
      else out.push({ path, sha256: "", size: 0, mode: "0000", special: true });
    }
  }
  await walk(root, "");
  return out.sort(byPath);
}

/**
 * A manifest's text checked as far as verification needs: JSON, a format version this pystore reads, a
 * files list. `bundle` names the bundle and `member` the manifest inside it, for the messages.
 */
export function parseManifest(text: string, bundle: string, member: string): BundleManifest {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(text) as BundleManifest;
  } catch (cause) {
    throw new PystoreError("BUNDLE_MODIFIED", `${bundle}: ${member} is not valid JSON`, { cause });
  }
  if (manifest?.formatVersion !== BUNDLE_MANIFEST_VERSION) {
    throw new PystoreError(
      "STORE_FORMAT",
      `${bundle}: bundle manifest format version ${JSON.stringify(manifest?.formatVersion)} is not supported (this pystore reads ${BUNDLE_MANIFEST_VERSION})`,
      { hint: "verify it with the pystore version that built it" },
    );
  }
  if (!Array.isArray(manifest.files)) throw new PystoreError("BUNDLE_MODIFIED", `${bundle}: ${member} has no files list`);
  return manifest;
}

async function readManifest(dir: string): Promise<{ manifest: BundleManifest; text: string }> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new PystoreError("FILE_NOT_FOUND", `${JSON.stringify(dir)} is not a pystore bundle: ${MANIFEST_FILE} is missing`, { cause });
  }
  const manifest = parseManifest(text, path, "the manifest");
  return { manifest, text };
}

/** Compare a bundle directory with its manifest. */
export async function verifyBundle(dir: string): Promise<VerifyReport> {
  const { manifest } = await readManifest(dir);
  // Bytecode the bundle was built with (`--compile`) is listed and checked like any file; bytecode
  // Python wrote later beside the sources of a writable bundle is not the bundle's, and is ignored.
  const listed = new Set(manifest.files.map((f) => f.path));
  const walked = await walkTree(dir, { ignorePycache: !manifest.files.some((f) => f.path.includes("/__pycache__/")) });
  const actual = new Map(walked.filter((e) => listed.has(e.path) || !e.path.split("/").includes("__pycache__")).map((e) => [e.path, e]));
  const report = compareWithManifest(manifest, actual);
  for (const list of Object.values(report)) list.sort(compareStrings);
  return report;
}

/** What a bundle holds (path → facts) against its manifest. Consumes `actual`: what is left is extra. */
export function compareWithManifest(
  manifest: BundleManifest,
  actual: Map<string, { sha256?: string; size?: number; mode?: string; special?: boolean }>,
): VerifyReport {
  const report: VerifyReport = { changed: [], missing: [], extra: [] };
  for (const file of manifest.files) {
    const found = actual.get(file.path);
    if (!found) report.missing.push(file.path);
    else if (found.special || found.sha256 !== file.sha256 || found.size !== file.size || found.mode !== file.mode)
      report.changed.push(file.path);
    actual.delete(file.path);
  }
  report.extra = [...actual.keys()];
  return report;
}

export function isClean(report: VerifyReport): boolean {
  return report.changed.length + report.missing.length + report.extra.length === 0;
}
