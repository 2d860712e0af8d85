// Where a node-gyp package's compiled addon is, found once: better-sqlite3 left alone asks the `bindings`
// package, which reads a stack trace and probes a dozen paths on every first open, and which inside the
// bundled CLI (carrying better-sqlite3's JavaScript) would look beside the bundle instead.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PystoreError } from "../errors.js";

const found = new Map<string, string>();

/**
 * `<package>/build/Release/<file>` (node-gyp's and prebuild-install's place), else the Debug build, of the
 * package `from` (a module's URL) resolves; a missing build is an installation to repair.
 */
export function nodeGypAddon(pkg: string, file: string, from: string | URL): string {
  const key = `${pkg}/${file}`;
  let path = found.get(key);
  if (path === undefined) {
    const root = dirname(createRequire(from).resolve(`${pkg}/package.json`));
    const builds = ["Release", "Debug"].map((kind) => join(root, "build", kind, file));
    path = builds.find((candidate) => existsSync(candidate));
    if (path === undefined) {
      throw new PystoreError("INTERNAL", `${pkg}'s native addon is not built: none of ${builds.join(", ")} exists`, {
        hint: `build it again in pystore's installation: npm rebuild ${pkg}`,
      });
    }
    found.set(key, path);
  }
  return path;
}
