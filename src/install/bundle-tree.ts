// Installing wheels into a bundle's staging tree: the destination over TreeWriter (+ FileImporter for
// store files), and installing a .whl file into a tree (bundles from store trees call the core directly).

import { basename } from "node:path";
import { PystoreError } from "../errors.js";
import type { SafetyLimits } from "../wheel/safety.js";
import { openZipSource } from "../wheel/source.js";
import { install, type InstallDestination, type InstalledWheel, type InstallOptions } from "./core.js";
import type { FileImporter } from "./importer.js";
import { TreeWriter } from "./tree-writer.js";

/** Files written (and hashed) by `writer`; with an importer, store files are linked instead of copied. */
export function bundleDestination(writer: TreeWriter, importer?: FileImporter): InstallDestination {
  return {
    write: (target, data, mode, sha256) => void writer.write(target, data, mode, sha256),
    link: importer
      ? (target, member, mode) => writer.importFile(target, member.location, importer, member.sha256, member.size, mode)
      : undefined,
  };
}

export interface WheelFileInstallOptions extends InstallOptions {
  limits?: SafetyLimits;
  /** The wheel's bytes when the caller has already read (and checked) them, so they are not read again. */
  data?: Buffer;
  /**
   * Writes the files under `root` and records each one's sha256, size and mode (the bundle's manifest
   * reuses them); share one across wheels so common directories are made once. Default: a new one.
   */
  writer?: TreeWriter;
}

/**
 * Install the .whl at `wheelPath` under `root` (its file name is the path's last component). Everything
 * is checked before the first file is written, and each member against RECORD before it is written.
 */
export async function installWheel(wheelPath: string, root: string, options: WheelFileInstallOptions = {}): Promise<InstalledWheel> {
  // The staging tree is private and becomes visible by one rename of its root, so per-file temp+rename
  // would only cost time; the writer's "wx" still refuses to follow or replace anything already there.
  const writer = options.writer ?? new TreeWriter(root);
  if (writer.root !== root) throw new PystoreError("INTERNAL", `installWheel: the writer writes under ${writer.root}, not ${root}`);
  const source = await openZipSource(wheelPath, basename(wheelPath), { data: options.data, limits: options.limits });
  try {
    return install(source, bundleDestination(writer), options);
  } finally {
    source.close();
  }
}
