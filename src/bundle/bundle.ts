// Bundle orchestration (the apply half): plan what goes in (plan.ts), gather the wheels into the store,
// collect the contents (site-packages, app code, generated files: a staged tree next to OUT for the dir
// format, a list of sources for archives), and hand them to the format.

import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import type { Store } from "../store/store.js";
import { ensureIntactTree, treeSource } from "../store/tree.js";
import { ensureDirectory } from "../util/dirs.js";
import type { Logger } from "../util/log.js";
import { VERSION } from "../version.js";
import { FileImporter, type LinkMode } from "../install/importer.js";
import { install } from "../install/core.js";
import type { InstalledWheel } from "../install/core.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import { appCodeFiles, readProject, type ProjectInfo } from "./app-code.js";
import { listedFiles, stagedTree } from "./contents.js";
import { bundleFormat, type BundleFormat } from "./formats/registry.js";
import { gatherWheels } from "./gather.js";
import { bundleHash, formatManifest } from "./manifest.js";
import { planBundle, planSelection } from "./plan.js";
import { asWriteFailure, pauseIfRequested, removedOnSignal, removeStaleStaging, stagingName } from "./staging.js";

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

/** OUT's directory, made if missing; a path that cannot hold it (/proc, a file) is an IO error naming it. */
async function outputDirectory(out: string): Promise<string> {
  const dir = dirname(out);
  await ensureDirectory(
    dir,
    (problem, cause) =>
      new PystoreError("IO", `cannot write ${out}: ${problem}`, {
        hint: "choose an -o in a writable directory on a regular filesystem",
        cause,
        details: { path: out },
      }),
  );
  return dir;
}

export async function buildBundle(req: BundleRequest): Promise<BundleResult> {
  const out = resolve(req.out);
  const format = bundleFormat(req.format);
  const project: ProjectInfo | undefined = req.projectDir ? await readProject(req.projectDir) : undefined;
  const selection = planSelection({ ...req, project, format });
  const selected = selection.packages;
  const wheels = await gatherWheels(req, selected);

  const dir = await outputDirectory(out);
  removeStaleStaging(dir, basename(out), out, req.log);
  const staging = join(dir, stagingName(basename(out)));
  let writing = "the staging directory";
  return removedOnSignal(dir, basename(out), out, async () => {
    try {
      await mkdir(staging);
      // A tree is staged only for the dir format, which becomes OUT by one rename; archives are streamed
      // from the store's trees, the project and memory, so only the archive itself is written beside OUT.
      const contents = format.stagesTree ? stagedTree(staging, new FileImporter(req.log, req.linkMode)) : listedFiles();
      const claimed = new Map<string, string>();
      const installed: InstalledWheel[] = [];
      for (const pkg of selected) {
        const entry = wheels.get(pkg.sha256)!;
        if (entry.sha256 !== pkg.sha256)
          throw new PystoreError("INTERNAL", `${entry.filename}: store entry ${entry.sha256} is not the locked ${pkg.sha256}`);
        const { tree, created, damaged } = await ensureIntactTree(req.store.dir, entry);
        if (damaged !== undefined)
          req.log.warn(`${entry.filename}: the store's unpacked copy of ${damaged} had changed; re-extracted it from the verified wheel`);
        req.log.debug(`${created ? "unpacked and installing" : "installing"} ${entry.filename}`);
        // Members are linked (or listed) with the hashes the tree's index recorded when it was checked against RECORD.
        installed.push(install(treeSource(entry.filename, tree), contents.destination, { scheme: BUNDLE_SCHEME, claimed }));
      }
      if (format.stagesTree) await pauseIfRequested("bundle-pause-staging");
      contents.mkdirs(BUNDLE_SCHEME.purelib);
      let paths: string[] = [];
      if (project) {
        const app = await appCodeFiles(project, [out, staging]);
        for (const file of app.files) await contents.addFile(file.path, file.source);
        for (const lib of app.dirs) contents.mkdirs(lib);
        paths = app.dirs;
      }
      const siteFiles = format.needsSiteFiles
        ? (await contents.files(BUNDLE_SCHEME.purelib)).map(({ path, sha256, mode }) => ({ path, sha256, mode }))
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
        await contents.addFile(script.path, script.source);
      }
      for (const file of plan.files) contents.write(file.path, Buffer.from(file.text), file.mode);

      const files = await contents.files();
      const manifestText = formatManifest({ ...plan.manifest, files });
      writing = format.stagesTree ? "the bundle directory" : `the ${req.format} archive`;
      await format.write(
        { staging, files, contents, manifestText, name: selection.name, python: req.target.python, mtime: req.mtime },
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
    } catch (error) {
      throw asWriteFailure(error, out, dir, writing);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}
