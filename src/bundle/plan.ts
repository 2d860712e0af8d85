// The pure half of `pystore bundle`: which packages go in, then (once their wheels are installed and
// their entry points known) every generated file — launch config, bootstrap, launchers, systemd units —
// and the manifest without its file list. No I/O here: bundle.ts stages and publishes.

import { BUNDLE_MANIFEST_VERSION } from "../format-versions.js";
import type { InstalledWheel } from "../install/core.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import { selectForTarget, type SelectedPackage } from "../lock/select.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { parseWheelFilename } from "../standards/wheel-filename.js";
import { byName, sortedUnique } from "../util/order.js";
import type { ProjectInfo } from "./app-code.js";
import type { BundleFormatHandler } from "./formats/format.js";
import { implementationName, libcRequirementForWheels, type GeneratedFile, type LaunchInput } from "./launcher.js";
import type { BundleManifest } from "./manifest.js";
import { collectExecutables, type Executable } from "./scripts.js";
import { checkUnitOptions, planUnits, type UnitOptions } from "./systemd.js";

export interface SelectionInput {
  lock: Pylock;
  target: Target;
  extras?: string[];
  groups?: string[];
  project?: Pick<ProjectInfo, "name">;
  format: BundleFormatHandler;
  systemd?: { prefix?: string; user?: string };
}

export interface BundleSelection {
  name: string;
  packages: SelectedPackage[];
  /** With --systemd: the unit options, prefix defaulted and checked. */
  units?: UnitOptions;
  /** The selected wheels' sha256 digests (lower-case, as selection gives them), sorted, each once: the store roots. */
  digests: string[];
}

/** What goes in, and whether the options fit the format: everything that can fail before a wheel is fetched. */
export function planSelection(input: SelectionInput): BundleSelection {
  const packages = selectForTarget(input.lock, input.target, { extras: input.extras, groups: input.groups });
  const name = input.project?.name ?? "bundle";
  input.format.check({ systemd: input.systemd !== undefined });
  let units: UnitOptions | undefined;
  if (input.systemd) {
    units = { prefix: input.systemd.prefix ?? `/opt/${canonicalizeName(name)}`, user: input.systemd.user };
    checkUnitOptions(units);
  }
  return { name, packages, ...(units ? { units } : {}), digests: sortedUnique(packages.map((p) => p.sha256)) };
}

export interface ContentsInput {
  selection: BundleSelection;
  target: Target;
  format: BundleFormatHandler;
  project?: ProjectInfo;
  /** The wheels as installed into the staging tree (entry points, scripts, compiled code). */
  installed: InstalledWheel[];
  /** Bundle-relative sys.path entries of the project's code, in order. */
  paths: string[];
  /** Bundle-relative directory of the project's data files ([tool.pystore] data), when it has any. */
  dataDir?: string;
  depScripts: boolean;
  lockSha256: string;
  createdBy: string;
  /** The staged site-packages files, when `format.needsSiteFiles`. */
  siteFiles?: LaunchInput["siteFiles"];
  /** The interpreter embedded as python/, for the manifest. */
  python?: BundleManifest["python"];
  /** Bytecode written at build time: the manifest says so, and launch.json tells the bootstrap to use it. */
  bytecode?: BundleManifest["bytecode"];
}

export interface BundlePlan {
  executables: Executable[];
  /** Project script files to copy into the tree; apply checks that each exists. */
  scripts: { name: string; origin: string; path: string; source: string }[];
  /** Generated files, in the order they are written. */
  files: GeneratedFile[];
  /** The manifest but its file list, which only the finished tree can give. */
  manifest: Omit<BundleManifest, "files">;
  /** Things the user should hear about (shadowed executables), for apply to log. */
  warnings: string[];
}

/** Everything pystore generates for a bundle whose wheels and app code are staged. */
export function planBundle(input: ContentsInput): BundlePlan {
  const { selection, target } = input;
  const warnings: string[] = [];
  const executables = collectExecutables(input.project, input.installed, {
    depScripts: input.depScripts,
    log: { warn: (message) => warnings.push(message) },
  });
  const nativeWheels = input.installed.filter((w) => w.hasNativeCode);
  const nativeCode = nativeWheels.length > 0;
  const libc = nativeCode
    ? libcRequirementForWheels(
        nativeWheels.map((w) => parseWheelFilename(w.filename).platformTags),
        target.platform,
      )
    : undefined;
  const launch: LaunchInput = {
    base: {
      name: selection.name,
      target: target.id,
      python: target.python,
      implementation: implementationName(target.implementation),
      sysPlatform: target.markers.sys_platform,
      // Only compiled code ties a bundle to a machine and a C library: pure bundles run anywhere.
      ...(nativeCode ? { machine: target.markers.platform_machine } : {}),
      ...(libc ? { libc } : {}),
      paths: input.paths,
      sitePackages: BUNDLE_SCHEME.purelib,
      ...(input.dataDir ? { data: input.dataDir } : {}),
      ...(input.bytecode ? { bytecode: true } : {}),
    },
    executables,
    windows: target.markers.sys_platform === "win32",
    nativeCode,
    ...(input.siteFiles ? { siteFiles: input.siteFiles } : {}),
  };
  const files = input.format.launchFiles(launch);
  if (selection.units) {
    const pyproject = input.project ? `${input.project.dir}/pyproject.toml` : undefined;
    const units = planUnits(
      selection.name,
      executables.map((e) => e.name),
      selection.units,
      input.project?.services,
      pyproject,
    );
    if (units.length === 0) warnings.push("--systemd: [tool.pystore.services] declares no services, so no units were written");
    for (const unit of units) files.push({ ...unit, mode: 0o644 });
  }
  const scripts = executables.flatMap((exe) =>
    exe.kind === "script" && exe.source !== undefined ? [{ name: exe.name, origin: exe.origin, path: exe.path, source: exe.source }] : [],
  );
  const manifest: Omit<BundleManifest, "files"> = {
    formatVersion: BUNDLE_MANIFEST_VERSION,
    createdBy: input.createdBy,
    name: selection.name,
    target: { id: target.id, platform: target.platform, python: target.python, implementation: target.implementation },
    lock: { sha256: input.lockSha256 },
    packages: selection.packages
      .map((p) => ({ name: canonicalizeName(p.name), version: p.version, wheel: p.wheel.name, sha256: p.sha256 }))
      .sort(byName),
    executables: executables.map((e) => ({
      name: e.name,
      kind: e.kind,
      target: e.kind === "entry" ? `${e.module}${e.attr ? `:${e.attr}` : ""}` : e.path,
      origin: e.origin,
    })),
    paths: input.paths,
    sitePackages: BUNDLE_SCHEME.purelib,
    nativeCode,
    ...(input.dataDir && input.project ? { data: { dir: input.dataDir, declared: input.project.data.map((d) => d.declared) } } : {}),
    ...(input.python ? { python: input.python } : {}),
    ...(input.bytecode ? { bytecode: input.bytecode } : {}),
  };
  return { executables, scripts, files, manifest, warnings };
}
