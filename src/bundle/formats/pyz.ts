// The .pyz format (a zipapp, PEP 441): one file run by `python3 OUT.pyz`, its own __main__.py as the
// bootstrap, compiled code extracted to a cache keyed by the bundle's site-packages. The writer loads only
// when a .pyz is written (every bundle command reaches this module through the registry).

import { createHash } from "node:crypto";
import { PystoreError } from "../../errors.js";
import { stableJson } from "../../util/stable-json.js";
import { launchConfig, pyzMain } from "../launcher.js";
import { MANIFEST_FILE } from "../manifest.js";
import type { BundleFormatHandler } from "./format.js";

export const pyzFormat: BundleFormatHandler = {
  name: "pyz",
  suffixes: [".pyz"],
  stagesTree: false,
  needsSiteFiles: true,
  check({ systemd }) {
    if (systemd) throw new PystoreError("USAGE", "--systemd needs a dir or tar.gz bundle (a .pyz has no bin/ launchers)");
  },
  launchFiles(input) {
    if (!input.siteFiles) throw new PystoreError("INTERNAL", "a .pyz's launch config needs the site-packages file list");
    const config = {
      ...launchConfig(input.base, input.executables),
      bundleHash: createHash("sha256").update(stableJson(input.siteFiles)).digest("hex"),
      extract: input.nativeCode,
    };
    return [
      { path: ".pystore/launch.json", text: stableJson(config), mode: 0o644 },
      { path: "__main__.py", text: pyzMain(), mode: 0o644 },
    ];
  },
  async write(staged, out) {
    const [{ pyzStream }, { publishArchive }] = await Promise.all([import("../write-pyz.js"), import("../publish-archive.js")]);
    const archive = pyzStream(
      staged.files,
      (path) => staged.contents.source(path),
      [{ path: MANIFEST_FILE, data: Buffer.from(staged.manifestText) }],
      {
        mtime: staged.mtime,
        shebang: `#!/usr/bin/env python${staged.python}`,
      },
    );
    await publishArchive(archive, out, { staging: staged.staging, mode: 0o755 });
  },
  // A .pyz starts with a shebang, not a magic number: its name is what tells.
  detect: (probe) => probe.isFile && probe.path.endsWith(".pyz"),
  verify: async (path) => (await import("../verify-pyz.js")).verifyPyz(path),
};
