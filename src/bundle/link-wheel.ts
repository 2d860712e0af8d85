// Installing a wheel into a bundle from the store's unpacked tree (src/store/tree.ts): every member is
// imported (hardlink/clone/copy) under its .data/ scheme path; what must differ per bundle is written fresh.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { RecordRow } from "../standards/record.js";
import type { Tree } from "../store/tree.js";
import { parseEntryPoints } from "./entry-points.js";
import type { FileImporter } from "./importer.js";
import {
  BUNDLE_SCHEME,
  NATIVE,
  distInfoNameVersion,
  finishDistInfo,
  installPath,
  isTopLevelScript,
  parseWheelFile,
  relativeToRoot,
  rewriteShebang,
  type InstalledWheel,
  type InstallScheme,
} from "./install-wheel.js";
import type { TreeWriter } from "./tree-writer.js";

export interface LinkOptions {
  scheme?: InstallScheme;
  claimed?: Map<string, string>;
  scriptInterpreter?: string;
  writer: TreeWriter;
  importer: FileImporter;
}

/**
 * The same result as installWheel (src/bundle/install-wheel.ts) from a tree whose files were checked
 * against RECORD when it was extracted: the manifest's hashes come from the tree's index, not from
 * reading the files again. Fresh files: RECORD, INSTALLER, and .data/scripts (their shebangs and mode
 * are the bundle's).
 */
export function linkWheel(filename: string, tree: Tree, opts: LinkOptions): InstalledWheel {
  const scheme = opts.scheme ?? BUNDLE_SCHEME;
  const { writer, importer } = opts;
  const { distInfo, files } = tree.index;
  const source = (path: string) => join(tree.filesDir, path);
  const dataDir = distInfo.replace(/\.dist-info$/, ".data");
  const wheelFields = parseWheelFile(readFileSync(source(`${distInfo}/WHEEL`), "utf8"));
  const wheelVersion = wheelFields.get("wheel-version") ?? "";
  if (!/^1(\.\d+)*$/.test(wheelVersion)) {
    throw new PystoreError("UNSAFE_WHEEL", `${filename}: unsupported Wheel-Version ${JSON.stringify(wheelVersion)} (pystore installs 1.x)`);
  }
  const rootScheme = wheelFields.get("root-is-purelib")?.toLowerCase() === "true" ? scheme.purelib : scheme.platlib;
  const recordPath = `${distInfo}/RECORD`;
  const installerPath = `${distInfo}/INSTALLER`;

  const plan = files.map((file) => ({ file, ...installPath(filename, file.path, dataDir, rootScheme, scheme) }));
  for (const { file, target } of plan) {
    const owner = opts.claimed?.get(target);
    if (owner !== undefined) {
      throw new PystoreError("BUNDLE_FAILED", `${filename}: ${file.path} would overwrite ${target}, already installed by ${owner}`, {
        hint: "two wheels in the lock ship the same file; the lock is inconsistent",
      });
    }
  }

  const sitePackages = scheme.purelib;
  const installedDistInfo = join(rootScheme, distInfo);
  const written: RecordRow[] = [];
  const pythonScripts: string[] = [];
  for (const { file, target, key } of plan) {
    if (file.path === recordPath || file.path === installerPath) continue;
    let sha256 = file.sha256;
    let size = file.size;
    if (key === "scripts") {
      // Scripts get the bundle's interpreter and mode 0755: a file of the bundle's own, never a link.
      const original = readFileSync(source(file.path));
      const rewritten = rewriteShebang(original, opts.scriptInterpreter ?? "/usr/bin/env python3");
      if (rewritten && isTopLevelScript(file.path, dataDir)) pythonScripts.push(target);
      const data = rewritten ?? original;
      const digest = writer.write(target, data, 0o755);
      sha256 = digest.toString("hex");
      size = data.length;
    } else {
      writer.importFile(target, source(file.path), importer, { sha256, size, mode: file.executable ? "0755" : "0644" });
    }
    opts.claimed?.set(target, filename);
    written.push({
      path: relativeToRoot(sitePackages, target),
      hash: { algorithm: "sha256", digest: Buffer.from(sha256, "hex").toString("base64url") },
      size,
    });
  }
  finishDistInfo(writer, sitePackages, installedDistInfo, written, filename, opts.claimed);

  const hasEntryPoints = files.some((f) => f.path === `${distInfo}/entry_points.txt`);
  const entryPoints = hasEntryPoints
    ? parseEntryPoints(readFileSync(source(`${distInfo}/entry_points.txt`), "utf8"), `${filename}:${distInfo}/entry_points.txt`)
    : [];
  const [name, version] = distInfoNameVersion(distInfo);
  const installedFiles = [
    ...plan.filter((p) => p.file.path !== recordPath && p.file.path !== installerPath).map((p) => p.target),
    join(installedDistInfo, "INSTALLER"),
    join(installedDistInfo, "RECORD"),
  ].sort();
  return {
    filename,
    name,
    version,
    distInfo: installedDistInfo,
    files: installedFiles,
    entryPoints,
    pythonScripts: pythonScripts.sort(),
    hasNativeCode: files.some((f) => NATIVE.test(f.path)),
  };
}
