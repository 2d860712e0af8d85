// Bundle orchestration (the apply half): plan what goes in (plan.ts), gather the wheels into the store,
// stage a tree next to OUT (site-packages, app code, generated files), and hand it to the format.

import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import type { Store } from "../store/store.js";
import { ensureTree, treeSource } from "../store/tree.js";
import { tempName } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { VERSION } from "../version.js";
import { copyAppCode, copyInto, readProject, type ProjectInfo } from "./app-code.js";
import { FileImporter, type LinkMode } from "../install/importer.js";
import { bundleDestination } from "../install/bundle-tree.js";
import { install } from "../install/core.js";
import type { InstalledWheel } from "../install/core.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import { TreeWriter } from "../install/tree-writer.js";
import { bundleFormat, type BundleFormat } from "./formats/registry.js";
import { gatherWheels } from "./gather.js";
import { bundleHash, formatManifest, walkTree } from "./manifest.js";
import { planBundle, planSelection } from "./plan.js";

export type { BundleFormat } from "./formats/registry.js";

export interface BundleRequest {
  lock: Pylock;
  /** The lock file's bytes (hashed into the manifest). */
  lockText: string;
  /** Directory of the lock file: `path` wheels are relative to it. */
  lockDir: string;
  target: Target;
  /** The project whose code and scripts go in; undefined bundles dependencies only. */
  projectDir?: string;
  out: string;
  format: BundleFormat;
  systemd?: { prefix?: string; user?: string };
  depScripts?: boolean;
  offline?: boolean;
  extras?: string[];
  groups?: string[];
  /** Timestamp written into tar.gz / .pyz entries (seconds since the epoch). */
  mtime: number;
  store: Store;
  /**
   * How store files get into the bundle: undefined probes hardlink → clone → copy; "copy" (`--copy`)
   * makes a bundle that shares no inode with the store.
   */
  linkMode?: LinkMode;
  /** Opens an index client the first time a wheel must be fetched. */
  client?: () => Promise<IndexClient>;
  log: Logger;
}

export interface BundleResult {
  out: string;
  format: BundleFormat;
  name: string;
  bundleHash: string;
  packages: { name: string; version: string; wheel: string }[];
  executables: string[];
  files: number;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function buildBundle(req: BundleRequest): Promise<BundleResult> {
  const out = resolve(req.out);
  const format = bundleFormat(req.format);
  const project: ProjectInfo | undefined = req.projectDir ? await readProject(req.projectDir) : undefined;
  const selection = planSelection({ ...req, project, format });
  const selected = selection.packages;
  const wheels = await gatherWheels(req, selected);

  await mkdir(dirname(out), { recursive: true });
  const staging = join(dirname(out), tempName(basename(out)));
  await mkdir(staging);
  try {
    const claimed = new Map<string, string>();
    const installed: InstalledWheel[] = [];
    // One writer for the whole tree: directories are made once, and what it hashed while writing
    // becomes the manifest without reading the files back.
    const writer = new TreeWriter(staging);
    // Every format installs from the store's unpacked trees (made once per wheel, from the verified
    // .whl): linking is the fastest way to fill the staging tree, which tar.gz and .pyz then read.
    const importer = new FileImporter(req.log, req.linkMode);
    for (const pkg of selected) {
      const entry = wheels.get(pkg.sha256)!;
      if (entry.sha256 !== pkg.sha256)
        throw new PystoreError("INTERNAL", `${entry.filename}: store entry ${entry.sha256} is not the locked ${pkg.sha256}`);
      const { tree, created } = await ensureTree(req.store.dir, entry);
      req.log.debug(`${created ? "unpacked and installing" : "installing"} ${entry.filename}`);
      // Members are linked with the hashes the tree's index recorded when it was checked against RECORD.
      installed.push(install(treeSource(entry.filename, tree), bundleDestination(writer, importer), { scheme: BUNDLE_SCHEME, claimed }));
    }
    if (importer.mode) req.log.debug(`store files were imported by ${importer.mode}`);
    writer.mkdirs(BUNDLE_SCHEME.purelib);
    const paths = project ? await copyAppCode(project, staging, [out, staging]) : [];
    const siteFiles = format.needsSiteFiles
      ? (await walkTree(join(staging, BUNDLE_SCHEME.purelib), { known: writer.written, knownPrefix: BUNDLE_SCHEME.purelib })).map(
          ({ path, sha256, mode }) => ({ path, sha256, mode }),
        )
      : undefined;
    const plan = planBundle({
      selection,
      target: req.target,
      format,
      project,
      installed,
      paths,
      depScripts: req.depScripts === true,
      lockSha256: createHash("sha256").update(req.lockText).digest("hex"),
      createdBy: `pystore ${VERSION}`,
      siteFiles,
    });
    for (const warning of plan.warnings) req.log.warn(warning);
    for (const script of plan.scripts) {
      if (!(await isFile(script.source))) {
        throw new PystoreError(
          "INVALID_PYPROJECT",
          `${script.origin}: script file for ${JSON.stringify(script.name)} does not exist: ${script.source}`,
        );
      }
      await copyInto(staging, { path: script.path, source: script.source });
    }
    for (const file of plan.files) writer.write(file.path, Buffer.from(file.text), file.mode);

    const files = (await walkTree(staging, { known: writer.written })).map(({ path, sha256, size, mode }) => ({
      path,
      sha256,
      size,
      mode,
    }));
    const manifestText = formatManifest({ ...plan.manifest, files });
    await format.write(
      {
        root: staging,
        files,
        manifestText,
        name: selection.name,
        python: req.target.python,
        mtime: req.mtime,
        add: (path, data) => void writer.write(path, data, 0o644),
      },
      out,
    );
    req.store.addRoot("bundle", out, selection.digests);
    return {
      out,
      format: req.format,
      name: selection.name,
      bundleHash: bundleHash(manifestText),
      packages: plan.manifest.packages.map(({ name, version, wheel }) => ({ name, version, wheel })),
      executables: plan.executables.map((e) => e.name),
      files: files.length + 1,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
