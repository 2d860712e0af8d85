// Bundle orchestration: lock + target + store → a staged tree (site-packages, app code, launchers,
// manifest, units) next to OUT → published atomically as a directory, a tar.gz or a .pyz.

import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { BUNDLE_MANIFEST_VERSION } from "../format-versions.js";
import type { IndexClient } from "../index-client/client.js";
import { selectForTarget, type SelectedPackage } from "../lock/select.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { Pylock } from "../standards/pylock.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Target } from "../standards/targets.js";
import type { FetchRequest, Store, StoreEntry } from "../store/store.js";
import { ensureTree } from "../store/tree.js";
import { TEMP_PREFIX } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { VERSION } from "../version.js";
import { copyAppCode, copyInto, readProject, type ProjectInfo } from "./app-code.js";
import { FileImporter, type LinkMode } from "./importer.js";
import { BUNDLE_SCHEME, type InstalledWheel } from "./install-wheel.js";
import { linkWheel } from "./link-wheel.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { bootScript, cmdLauncher, implementationName, launchConfig, libcRequirementForWheels, pyzMain, shLauncher } from "./launcher.js";
import { MANIFEST_FILE, bundleHash, formatManifest, stableJson, walkTree, type BundleManifest } from "./manifest.js";
import { collectExecutables } from "./scripts.js";
import { serviceUnit, checkUnitOptions } from "./systemd.js";
import { TreeWriter } from "./tree-writer.js";
import { writePyz } from "./write-pyz.js";
import { writeTarGz } from "./write-tar.js";

export type BundleFormat = "dir" | "tar.gz" | "pyz";

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

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Every selected wheel as a store entry: stored, imported from a lock-relative path, or fetched. */
async function gatherWheels(req: BundleRequest, selected: SelectedPackage[]): Promise<Map<string, StoreEntry>> {
  const found = new Map<string, StoreEntry>();
  const missing: SelectedPackage[] = [];
  for (const pkg of selected) {
    const entry = req.store.get(pkg.sha256);
    if (entry) found.set(pkg.sha256, entry);
    else missing.push(pkg);
  }
  if (missing.length === 0) return found;
  // All or nothing: every wheel is vetted (local ones here, fetched ones by fetchWheels) before the first
  // is added, so one hostile or corrupt wheel leaves the store exactly as it was.
  const local = missing.filter((p) => p.wheel.path !== undefined).map((pkg) => ({ pkg, source: resolve(req.lockDir, pkg.wheel.path!) }));
  for (const { pkg, source } of local) {
    req.log.info(`importing ${pkg.wheel.name} from ${pkg.wheel.path}`);
    await req.store.checkWheelFile(source, { filename: pkg.wheel.name, expectedSha256: pkg.sha256 });
  }
  const addLocal = async () => {
    for (const { pkg, source } of local)
      found.set(pkg.sha256, await req.store.addWheelFile(source, { filename: pkg.wheel.name, expectedSha256: pkg.sha256 }));
    return found;
  };
  const remote = missing.filter((p) => p.wheel.path === undefined);
  if (remote.length === 0) return addLocal();
  if (req.offline || !req.client) {
    throw new PystoreError(
      "OFFLINE_MISSING",
      `--offline: ${remote.length} wheel(s) needed for ${req.target.id} are not in the store: ${remote.map((p) => p.wheel.name).join(", ")}`,
      {
        hint: "run `pystore fetch` (or this command without --offline) where the index is reachable, or import the store with `pystore store import`",
        details: { missing: remote.map((p) => ({ name: p.name, wheel: p.wheel.name, sha256: p.sha256 })) },
      },
    );
  }
  const client = await req.client();
  const indexes = new Map(req.lock.packages.map((p) => [canonicalizeName(p.name), p.index]));
  const requests: FetchRequest[] = remote.map((pkg) => {
    if (!pkg.wheel.url) throw new PystoreError("INVALID_LOCK", `${pkg.name}: wheel ${pkg.wheel.name} has neither url nor path in the lock`);
    const file: ProjectFile = {
      filename: pkg.wheel.name,
      url: pkg.wheel.url,
      hashes: pkg.wheel.hashes,
      index: indexes.get(canonicalizeName(pkg.name)) ?? "",
    };
    if (pkg.wheel.size !== undefined) file.size = pkg.wheel.size;
    req.log.info(`fetching ${pkg.wheel.name} from ${redactUrl(pkg.wheel.url)}`);
    return { file, expected: { sha256: pkg.sha256, ...(pkg.wheel.size === undefined ? {} : { size: pkg.wheel.size }) } };
  });
  const entries = await req.store.fetchWheels(requests, client);
  remote.forEach((pkg, i) => found.set(pkg.sha256, entries[i]));
  return addLocal();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Put a finished staging directory at OUT; an older bundle there is replaced, anything else refused. */
async function publishDir(staging: string, out: string): Promise<void> {
  if (!(await exists(out))) {
    await rename(staging, out);
    return;
  }
  const isBundle = await exists(join(out, MANIFEST_FILE));
  const isEmptyDir = (await stat(out)).isDirectory() && (await readdir(out)).length === 0;
  if (!isBundle && !isEmptyDir) {
    throw new PystoreError("BUNDLE_FAILED", `${out} exists and is not a pystore bundle; refusing to replace it`, {
      hint: "choose another -o or remove it first",
    });
  }
  const old = `${dirname(out)}/${TEMP_PREFIX}old-${basename(out)}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await rename(out, old);
  try {
    await rename(staging, out);
  } catch (error) {
    await rename(old, out);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

export async function buildBundle(req: BundleRequest): Promise<BundleResult> {
  const out = resolve(req.out);
  const selected = selectForTarget(req.lock, req.target, { extras: req.extras, groups: req.groups });
  const project: ProjectInfo | undefined = req.projectDir ? await readProject(req.projectDir) : undefined;
  const name = project?.name ?? "bundle";
  if (req.systemd) {
    if (req.format === "pyz") throw new PystoreError("USAGE", "--systemd needs a dir or tar.gz bundle (a .pyz has no bin/ launchers)");
    checkUnitOptions({ prefix: req.systemd.prefix ?? `/opt/${canonicalizeName(name)}`, user: req.systemd.user });
  }
  const wheels = await gatherWheels(req, selected);

  await mkdir(dirname(out), { recursive: true });
  const staging = `${dirname(out)}/${TEMP_PREFIX}${basename(out)}.${process.pid}.${randomBytes(6).toString("hex")}`;
  await mkdir(staging);
  try {
    const claimed = new Map<string, string>();
    const installed: InstalledWheel[] = [];
    // One writer for the whole tree: directories are made once, and what it hashed while writing
    // becomes the manifest without reading the files back.
    const writer = new TreeWriter(staging);
    const writeGenerated = (path: string, text: string, mode: 0o644 | 0o755 = 0o644) => void writer.write(path, Buffer.from(text), mode);
    // Every format installs from the store's unpacked trees (made once per wheel, from the verified
    // .whl): linking is the fastest way to fill the staging tree, which tar.gz and .pyz then read.
    const importer = new FileImporter(req.log, req.linkMode);
    for (const pkg of selected) {
      const entry = wheels.get(pkg.sha256)!;
      if (entry.sha256 !== pkg.sha256)
        throw new PystoreError("INTERNAL", `${entry.filename}: store entry ${entry.sha256} is not the locked ${pkg.sha256}`);
      const { tree, created } = await ensureTree(req.store.dir, entry);
      req.log.debug(`${created ? "unpacked and installing" : "installing"} ${entry.filename}`);
      installed.push(linkWheel(entry.filename, tree, { scheme: BUNDLE_SCHEME, claimed, writer, importer }));
    }
    if (importer.mode) req.log.debug(`store files were imported by ${importer.mode}`);
    writer.mkdirs(BUNDLE_SCHEME.purelib);
    const paths = project ? await copyAppCode(project, staging, [out, staging]) : [];
    const executables = collectExecutables(project, installed, { depScripts: req.depScripts === true, log: req.log });
    for (const exe of executables) {
      if (exe.kind !== "script" || exe.source === undefined) continue;
      if (
        !(await stat(exe.source).then(
          (s) => s.isFile(),
          () => false,
        ))
      ) {
        throw new PystoreError(
          "INVALID_PYPROJECT",
          `${exe.origin}: script file for ${JSON.stringify(exe.name)} does not exist: ${exe.source}`,
        );
      }
      await copyInto(staging, { path: exe.path, source: exe.source });
    }

    const nativeCode = installed.some((w) => w.hasNativeCode);
    const nativeTags = installed.filter((w) => w.hasNativeCode).map((w) => parseWheelFilename(w.filename).platformTags);
    const libc = nativeCode ? libcRequirementForWheels(nativeTags, req.target.platform) : undefined;
    const base = {
      name,
      target: req.target.id,
      python: req.target.python,
      implementation: implementationName(req.target.implementation),
      sysPlatform: req.target.markers.sys_platform,
      ...(nativeCode ? { machine: req.target.markers.platform_machine } : {}),
      ...(libc ? { libc } : {}),
      paths,
      sitePackages: BUNDLE_SCHEME.purelib,
    };
    const windows = req.target.markers.sys_platform === "win32";
    if (req.format === "pyz") {
      const siteFiles = (
        await walkTree(join(staging, BUNDLE_SCHEME.purelib), { known: writer.written, knownPrefix: BUNDLE_SCHEME.purelib })
      ).map(({ path, sha256, mode }) => ({ path, sha256, mode }));
      const config = {
        ...launchConfig(base, executables),
        bundleHash: createHash("sha256").update(stableJson(siteFiles)).digest("hex"),
        extract: nativeCode,
      };
      writeGenerated(".pystore/launch.json", stableJson(config));
      writeGenerated("__main__.py", pyzMain());
    } else {
      writeGenerated(".pystore/launch.json", stableJson(launchConfig(base, executables)));
      writeGenerated(".pystore/boot.py", bootScript());
      for (const exe of executables) {
        if (windows) writeGenerated(`bin/${exe.name}.cmd`, cmdLauncher(exe.name, base), 0o644);
        else writeGenerated(`bin/${exe.name}`, shLauncher(exe.name, base), 0o755);
      }
      if (req.systemd) {
        const prefix = req.systemd.prefix ?? `/opt/${canonicalizeName(name)}`;
        for (const exe of executables) {
          writeGenerated(`systemd/${exe.name}.service`, serviceUnit(name, exe.name, { prefix, user: req.systemd.user }));
        }
      }
    }

    const files = await walkTree(staging, { known: writer.written });
    const manifest: BundleManifest = {
      formatVersion: BUNDLE_MANIFEST_VERSION,
      createdBy: `pystore ${VERSION}`,
      name,
      target: { id: req.target.id, platform: req.target.platform, python: req.target.python, implementation: req.target.implementation },
      lock: { sha256: createHash("sha256").update(req.lockText).digest("hex") },
      packages: selected
        .map((p) => ({ name: canonicalizeName(p.name), version: p.version, wheel: p.wheel.name, sha256: p.sha256 }))
        .sort(byName),
      executables: executables.map((e) => ({
        name: e.name,
        kind: e.kind,
        target: e.kind === "entry" ? `${e.module}${e.attr ? `:${e.attr}` : ""}` : e.path,
        origin: e.origin,
      })),
      paths,
      sitePackages: BUNDLE_SCHEME.purelib,
      nativeCode,
      files: files.map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode })),
    };
    const manifestText = formatManifest(manifest);
    const hash = bundleHash(manifestText);
    const manifestFile = { path: MANIFEST_FILE, data: Buffer.from(manifestText) };
    if (req.format === "dir") {
      writeGenerated(MANIFEST_FILE, manifestText);
      await publishDir(staging, out);
    } else if (req.format === "tar.gz") {
      await writeTarGz(staging, manifest.files, [manifestFile], { prefix: canonicalizeName(name), mtime: req.mtime, destination: out });
    } else {
      await writePyz(staging, manifest.files, [manifestFile], {
        destination: out,
        mtime: req.mtime,
        shebang: `#!/usr/bin/env python${req.target.python}`,
      });
    }
    req.store.addRoot("bundle", out, [...new Set(selected.map((p) => p.sha256))].sort());
    return {
      out,
      format: req.format,
      name,
      bundleHash: hash,
      packages: manifest.packages.map(({ name: n, version, wheel }) => ({ name: n, version, wheel })),
      executables: executables.map((e) => e.name),
      files: files.length + 1,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
