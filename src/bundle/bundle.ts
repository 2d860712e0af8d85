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
import { ensureDirectory } from "../util/dirs.js";
import type { Logger } from "../util/log.js";
import { VERSION } from "../version.js";
import { FileImporter, type LinkMode } from "../install/importer.js";
import type { InstalledWheel } from "../install/core.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import { appCodeFiles, readProject, type ProjectInfo } from "./app-code.js";
import { listedFiles, stagedTree } from "./contents.js";
import { bundleFormat, type BundleFormat } from "./formats/registry.js";
import { gatherWheels } from "./gather.js";
import { installTrees } from "./install-trees.js";
import { type BundleManifest, bundleHash, type EmbeddedPythonInfo, formatManifest } from "./manifest.js";
import { EMBEDDED_EXECUTABLE, embeddedFiles } from "./embed.js";
import type { PythonEntry } from "../store/pythons.js";
import type { BytecodeCompiler } from "./compile.js";
import { utimesSync } from "node:fs";
import { planBundle, planSelection } from "./plan.js";
import { asWriteFailure, pauseIfRequested, removedOnSignal, removeStaleStaging, stagingName, vanishedFromStore } from "./staging.js";
import type { ImageOptions } from "./formats/oci.js";

export type { BundleFormat } from "./formats/registry.js";

function embeddedInfo(entry: PythonEntry): EmbeddedPythonInfo {
  return {
    sha256: entry.sha256,
    implementation: entry.implementation,
    version: entry.version,
    machine: entry.machine,
    libc: entry.libc,
    executable: EMBEDDED_EXECUTABLE,
  };
}

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
  /** Options of the OCI image format (`--format oci`). */
  image?: ImageOptions;
  /** `--embed-python`: the stored interpreter to carry as python/ (already checked against the target). */
  python?: PythonEntry;
  /** `--compile`: the interpreter that writes the bundle's bytecode (compile.ts). */
  compile?: BytecodeCompiler;
  log: Logger;
}

export interface BundleResult {
  out: string;
  format: BundleFormat;
  name: string;
  bundleHash: string;
  /** `pthFiles`: the package's .pth files in site-packages, which the interpreter runs at start-up. */
  packages: { name: string; version: string; wheel: string; pthFiles: string[] }[];
  executables: string[];
  files: number;
  /** The embedded interpreter (`--embed-python`), as the manifest names it. */
  python?: EmbeddedPythonInfo;
  /** Build-time bytecode (`--compile`), as the manifest describes it. */
  bytecode?: NonNullable<BundleManifest["bytecode"]>;
}

/** A wheel's .pth files directly in site-packages: code every start of the bundle's Python runs. */
function pthFiles(wheel: InstalledWheel | undefined): string[] {
  const prefix = `${BUNDLE_SCHEME.purelib}/`;
  return (wheel?.files ?? [])
    .filter((p) => p.startsWith(prefix) && p.endsWith(".pth") && !p.slice(prefix.length).includes("/"))
    .map((p) => p.slice(prefix.length));
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
      const importer = new FileImporter(req.log, req.linkMode);
      const contents = format.stagesTree ? stagedTree(staging, importer) : listedFiles();
      const installed = await installTrees({
        storeDir: req.store.dir,
        entries: selected.map((pkg) => {
          const entry = wheels.get(pkg.sha256)!;
          if (entry.sha256 !== pkg.sha256)
            throw new PystoreError("INTERNAL", `${entry.filename}: store entry ${entry.sha256} is not the locked ${pkg.sha256}`);
          return entry;
        }),
        destination: contents.destination,
        ...(contents.writer ? { staged: { writer: contents.writer, importer } } : {}),
        log: req.log,
      });
      const mtimes = new Map<string, number>();
      if (req.python) {
        for (const file of embeddedFiles(req.store.dir, req.python)) {
          contents.destination.link?.(file.path, { location: file.source, sha256: file.sha256, size: file.size }, file.mode);
          mtimes.set(file.path, file.mtime);
          // A copy gets the time of the copy: the standard library's timestamp-checked .pyc files need the stored one.
          if (format.stagesTree && importer.mode !== "hardlink") utimesSync(join(staging, file.path), file.mtime, file.mtime);
        }
      }
      if (format.stagesTree) await pauseIfRequested("bundle-pause-staging");
      contents.mkdirs(BUNDLE_SCHEME.purelib);
      let paths: string[] = [];
      let dataDir: string | undefined;
      if (project) {
        const app = await appCodeFiles(project, [out, staging]);
        for (const file of app.files) await contents.addFile(file.path, file.source);
        for (const lib of app.dirs) contents.mkdirs(lib);
        paths = app.dirs;
        dataDir = app.dataDir;
      }
      const bytecode = req.compile
        ? await (await import("./compile.js")).compileBundle(req.compile, contents, join(staging, ".compile"), req.log)
        : undefined;
      // A .pyz names its extraction cache by these files' hashes: what it may extract must be in the key.
      const siteFiles = format.needsSiteFiles
        ? [...(await contents.files(BUNDLE_SCHEME.purelib)), ...(dataDir ? await contents.files(dataDir) : [])].map(
            ({ path, sha256, mode }) => ({
              path,
              sha256,
              mode,
            }),
          )
        : undefined;
      const plan = planBundle({
        selection,
        target: req.target,
        format,
        project,
        installed,
        paths,
        ...(dataDir ? { dataDir } : {}),
        depScripts: req.depScripts === true,
        lockSha256: createHash("sha256").update(req.lockText).digest("hex"),
        createdBy: `pystore ${VERSION}`,
        siteFiles,
        ...(req.python ? { python: embeddedInfo(req.python) } : {}),
        ...(bytecode ? { bytecode } : {}),
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
      // Hashed once: it names the bundle, and the dir format writes the manifest with it.
      const hash = bundleHash(manifestText);
      writing = format.stagesTree ? "the bundle directory" : `the ${req.format} archive`;
      await format.write(
        {
          staging,
          files,
          contents,
          manifestText,
          bundleHash: hash,
          name: selection.name,
          python: req.target.python,
          mtime: req.mtime,
          mtimes,
          ...(req.image ? { image: req.image } : {}),
        },
        out,
      );
      // An embedded interpreter is kept alive by the bundle like its wheels (its sha256 is in the manifest).
      req.store.addRoot("bundle", out, req.python ? [...selection.digests, req.python.sha256] : selection.digests);
      return {
        out,
        format: req.format,
        name: selection.name,
        bundleHash: hash,
        packages: plan.manifest.packages.map(({ name, version, wheel }) => {
          const pth = pthFiles(installed.find((w) => w.filename === wheel));
          if (pth.length > 0) req.log.info(`${name} ${version} installs ${pth.join(", ")} (run by Python at start-up)`);
          return { name, version, wheel, pthFiles: pth };
        }),
        executables: plan.executables.map((e) => e.name),
        files: files.length + 1,
        ...(plan.manifest.python ? { python: plan.manifest.python } : {}),
        ...(plan.manifest.bytecode ? { bytecode: plan.manifest.bytecode } : {}),
      };
    } catch (error) {
      throw vanishedFromStore(error, req.store.dir) ?? asWriteFailure(error, out, dir, writing);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}
