// The OCI image format: the bundle as one deterministic layer of an OCI image layout directory (oci-layout,
// index.json, blobs/sha256/), on top of an optional base image (store-format/bundle-image.md). The writer
// loads only when an image is written.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { treeLaunchFiles } from "../launcher.js";
import { OCI_LAYOUT_FILE } from "../image/media-types.js";
import type { ImagePlatform } from "../image/platform.js";
import type { BundleFormatHandler } from "./format.js";

/** What only an image bundle is built with (`--prefix`, `--entrypoint`, `--base-image`). */
export interface ImageOptions {
  /** Where the bundle sits in the image; default /opt/<normalised name>. */
  prefix?: string;
  /** The executable the image runs; default: the only one, the project's only one, or the one named like the project. */
  entrypoint?: string;
  /** The image's platform; default: the bundle target's (from its platform tag). */
  platform?: ImagePlatform;
  /**
   * A base image: an OCI layout directory, the tag to take from it, what the user called it (for
   * messages), and the oci:// reference it was pulled from (recorded in the image; a local path is not,
   * since it would make the image differ between machines).
   */
  base?: { dir: string; ref?: string; name: string; reference?: string };
}

export const ociFormat: BundleFormatHandler = {
  name: "oci",
  suffixes: [".oci"],
  // Streamed like a tar.gz: the layer is written from where the files are, not from a staged copy.
  stagesTree: false,
  needsSiteFiles: false,
  check: () => {},
  launchFiles: treeLaunchFiles,
  write: async (staged, out) => (await import("./oci-write.js")).writeImage(staged, out, staged.image ?? {}),
  // A directory holding an oci-layout file; one more stat, only for directories.
  detect: (probe) => !probe.isFile && existsSync(join(probe.path, OCI_LAYOUT_FILE)),
  verify: async (path) => (await import("./oci-verify.js")).verifyImage(path),
};
