// Which projects pystore builds from sdists: the settings behind --no-build, --no-build-package,
// --no-binary-package, --build-python and --build-network, and the resolver's view of them. Pure.

import type { SdistUse } from "../resolver/candidates.js";
import type { BuildPolicy } from "../resolver/resolve.js";
import { canonicalizeName } from "../standards/normalize.js";

export interface BuildSettings {
  /** --no-build: wheels only, for every project (pystore's behaviour before it built sdists). */
  noBuild: boolean;
  /** --no-build-package NAME: wheels only for these. */
  noBuildPackages: string[];
  /** --no-binary-package NAME: build these from their sdist even when a wheel fits. */
  noBinaryPackages: string[];
  /** The build-python setting (--build-python, else PYSTORE_PYTHON, else the user file): the interpreter builds run under (else python3.X). */
  python?: string;
  /** --build-network: leave the network to build backends (recorded in the lock and every derivation). */
  network: boolean;
  /** --check-builds: build every built package again, ignoring stored builds, and compare the bytes. */
  check?: boolean;
}

/** Like uv and pip: an sdist is built when a version has no wheel for the target. */
export const DEFAULT_BUILD_SETTINGS: BuildSettings = { noBuild: false, noBuildPackages: [], noBinaryPackages: [], network: false };

export function buildPolicy(settings: BuildSettings): BuildPolicy {
  const noBuild = new Set(settings.noBuildPackages.map(canonicalizeName));
  const noBinary = new Set(settings.noBinaryPackages.map(canonicalizeName));
  return {
    sdists(name: string): SdistUse {
      if (settings.noBuild || noBuild.has(name)) return "no";
      return noBinary.has(name) ? "only" : "fallback";
    },
  };
}
