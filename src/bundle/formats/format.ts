// What a bundle format is to pystore: its launch files, how a staged tree is published as OUT, how an
// existing OUT is recognised and verified. Each format is one module in this directory (registry.ts).

import type { BundleContents } from "../contents.js";
import type { GeneratedFile, LaunchInput } from "../launcher.js";
import type { ManifestFile, VerifyReport } from "../manifest.js";
import type { ImageOptions } from "./oci.js";

/** A finished bundle, ready to be published. */
export interface StagedBundle {
  /**
   * A private directory next to OUT (same filesystem, so a rename publishes): the dir format's tree, or
   * where an archive is written before it is renamed to OUT.
   */
  staging: string;
  /** The manifest's file list (everything but the manifest). */
  files: ManifestFile[];
  /** Where `files` are: the staged tree, or sources an archive streams from. */
  contents: BundleContents;
  manifestText: string;
  /** sha256 of `manifestText` (lower-case hex): the bundle hash, taken once. */
  bundleHash: string;
  /** The bundle's name (a tar.gz's top-level directory is its canonical form). */
  name: string;
  /** "3.11": the target's Python, for a .pyz's shebang. */
  python: string;
  /** Timestamp for archive entries (seconds since the epoch). */
  mtime: number;
  /** Files that keep their own time instead (an embedded interpreter's, whose .pyc files check them). */
  mtimes?: ReadonlyMap<string, number>;
  /** The image format's own options (`--prefix`, `--entrypoint`, `--base-image`); other formats ignore them. */
  image?: ImageOptions;
}

/** What `detect` may look at: one stat and the first bytes, taken once for every format. */
export interface PathProbe {
  path: string;
  isFile: boolean;
  /** The first few bytes of a file; empty otherwise. */
  head: Buffer;
}

export interface BundleFormatHandler {
  /** The name --format takes and `BundleResult.format` reports. */
  readonly name: string;
  /** OUT suffixes that choose this format when --format is not given. */
  readonly suffixes: readonly string[];
  /**
   * True when the format publishes a staged directory tree; false when it streams an archive from where
   * the files already are (nothing but the archive itself is written beside OUT).
   */
  readonly stagesTree: boolean;
  /** True when `launchFiles` needs `LaunchInput.siteFiles` (walking site-packages costs a pass). */
  readonly needsSiteFiles: boolean;
  /** Refuses options this format cannot carry (USAGE); pure. */
  check(options: { systemd: boolean }): void;
  /** The launch config, bootstrap and launchers this format carries; pure. */
  launchFiles(input: LaunchInput): GeneratedFile[];
  /** Publish a bundle at OUT, atomically. */
  write(staged: StagedBundle, out: string): Promise<void>;
  /** Whether an existing path is (meant to be) a bundle of this format. */
  detect(probe: PathProbe): boolean;
  /** Compare a bundle of this format with its manifest. */
  verify(path: string): Promise<VerifyReport>;
}
