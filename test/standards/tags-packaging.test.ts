// Acceptance check: our tag lists equal pypa/packaging's (pip's vendored copy, via python3), tag for tag.

import { describe, expect, it } from "vitest";
import { resolveTarget } from "../../src/standards/targets.js";
import { packagingTags, type OracleRequest } from "../platform/packaging-oracle.js";

const CASES: { platform: string; python: string; oracle: OracleRequest }[] = [
  { platform: "manylinux_2_17_x86_64", python: "3.11", oracle: { kind: "manylinux", arch: "x86_64", glibc: [2, 17], python: [3, 11] } },
  { platform: "manylinux_x86_64", python: "3.8", oracle: { kind: "manylinux", arch: "x86_64", glibc: [2, 28], python: [3, 8] } },
  { platform: "manylinux_2_28_aarch64", python: "3.12", oracle: { kind: "manylinux", arch: "aarch64", glibc: [2, 28], python: [3, 12] } },
  { platform: "manylinux2014_aarch64", python: "3.13", oracle: { kind: "manylinux", arch: "aarch64", glibc: [2, 17], python: [3, 13] } },
  { platform: "manylinux1_i686", python: "3.9", oracle: { kind: "manylinux", arch: "i686", glibc: [2, 5], python: [3, 9] } },
  { platform: "manylinux_2_31_armv7l", python: "3.14", oracle: { kind: "manylinux", arch: "armv7l", glibc: [2, 31], python: [3, 14] } },
  { platform: "manylinux_2_34_ppc64le", python: "3.10", oracle: { kind: "manylinux", arch: "ppc64le", glibc: [2, 34], python: [3, 10] } },
  { platform: "musllinux_1_2_x86_64", python: "3.10", oracle: { kind: "musllinux", arch: "x86_64", musl: [1, 2], python: [3, 10] } },
  { platform: "musllinux_1_1_aarch64", python: "3.11", oracle: { kind: "musllinux", arch: "aarch64", musl: [1, 1], python: [3, 11] } },
  { platform: "macosx_11_0_arm64", python: "3.11", oracle: { kind: "mac", arch: "arm64", version: [11, 0], python: [3, 11] } },
  { platform: "macosx_14_0_arm64", python: "3.13", oracle: { kind: "mac", arch: "arm64", version: [14, 0], python: [3, 13] } },
  { platform: "macosx_10_12_x86_64", python: "3.9", oracle: { kind: "mac", arch: "x86_64", version: [10, 12], python: [3, 9] } },
  { platform: "macosx_12_0_x86_64", python: "3.12", oracle: { kind: "mac", arch: "x86_64", version: [12, 0], python: [3, 12] } },
  { platform: "win_amd64", python: "3.12", oracle: { kind: "windows", platform: "win_amd64", python: [3, 12] } },
  { platform: "win32", python: "3.8", oracle: { kind: "windows", platform: "win32", python: [3, 8] } },
  { platform: "win_arm64", python: "3.11", oracle: { kind: "windows", platform: "win_arm64", python: [3, 11] } },
];

// The reference lives in the machine's python3; a CI image without pip cannot run this comparison.
const expected = packagingTags(CASES.map((c) => c.oracle)) as string[][] | undefined;

describe.skipIf(!expected)("tag lists match pypa/packaging", () => {
  it.each(CASES.map((c, i) => [c.platform, c.python, i] as const))("%s cp%s", (platform, python, i) => {
    const ours = resolveTarget(platform, python).tags;
    expect(expected![i]!.length).toBeGreaterThan(10);
    expect(ours).toEqual(expected![i]);
  });
});
