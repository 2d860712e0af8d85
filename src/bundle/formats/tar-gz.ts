// The tar.gz format: the staged tree under one top-level directory, written and verified by streaming.
// The writer loads only when a tar.gz is written (every bundle command reaches this module through the registry).

import { canonicalizeName } from "../../standards/normalize.js";
import { treeLaunchFiles } from "../launcher.js";
import { MANIFEST_FILE } from "../manifest.js";
import type { BundleFormatHandler } from "./format.js";

/** gzip's magic bytes: a tar.gz is known by its content, whatever its name. */
function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export const tarGzFormat: BundleFormatHandler = {
  name: "tar.gz",
  suffixes: [".tar.gz", ".tgz"],
  stagesTree: false,
  needsSiteFiles: false,
  check: () => {},
  launchFiles: treeLaunchFiles,
  async write(staged, out) {
    const [{ tarGzStream }, { publishArchive }] = await Promise.all([import("../write-tar.js"), import("../publish-archive.js")]);
    const archive = tarGzStream(
      staged.files,
      (path) => staged.contents.source(path),
      [{ path: MANIFEST_FILE, data: Buffer.from(staged.manifestText) }],
      {
        prefix: canonicalizeName(staged.name),
        mtime: staged.mtime,
        ...(staged.mtimes ? { mtimes: staged.mtimes } : {}),
      },
    );
    await publishArchive(archive, out, { staging: staged.staging, mode: 0o644 });
  },
  // By content, or by name: a .tar.gz whose first bytes are damaged is a damaged bundle, not a usage error.
  detect: (probe) => probe.isFile && (isGzip(probe.head) || /\.(tar\.gz|tgz)$/.test(probe.path)),
  verify: async (path) => (await import("../verify-tar.js")).verifyTarGz(path),
};
