// One list of a lock's digests, for gc roots, closures, fetch and bundles: lower-case, sorted, unique.

import { describe, expect, it } from "vitest";
import { lockedDigests } from "../../src/lock/digests.js";
import type { Pylock, PylockPackage } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";

const wheel = (name: string, sha256?: string) => ({ name, url: `https://x/${name}`, hashes: sha256 ? { sha256 } : { md5: "0" } });

function lock(packages: PylockPackage[]): Pylock {
  return { lockVersion: "1.0", extras: [], dependencyGroups: [], defaultGroups: [], createdBy: "t", packages };
}

const upper = lock([
  { name: "zeta", version: "1.0", wheels: [wheel("zeta-1.0-py3-none-any.whl", "AB".repeat(32))] },
  {
    name: "numpy",
    version: "2.0",
    wheels: [
      wheel("numpy-2.0-cp311-cp311-win_amd64.whl", "Cd".repeat(32)),
      wheel("numpy-2.0-py3-none-any.whl", "ef".repeat(32)),
      wheel("numpy-2.0-cp312-cp312-win_amd64.whl"),
    ],
  },
  { name: "dup", version: "1.0", wheels: [wheel("dup-1.0-py3-none-any.whl", "ab".repeat(32))] },
  { name: "sdist-only", version: "1.0", marker: 'sys_platform == "emscripten"' },
]);

describe("lockedDigests", () => {
  it("lists every wheel's sha256 in lower case, sorted and without duplicates; wheels without one are skipped", () => {
    expect(lockedDigests(upper)).toEqual(["ab".repeat(32), "cd".repeat(32), "ef".repeat(32)]);
  });

  it("lists only what one target installs when given a selection", () => {
    expect(lockedDigests(upper, { target: resolveTarget("win_amd64", "3.11") })).toEqual(["ab".repeat(32), "cd".repeat(32)]);
    expect(lockedDigests(upper, { target: resolveTarget("manylinux_x86_64", "3.11") })).toEqual(["ab".repeat(32), "ef".repeat(32)]);
  });
});
