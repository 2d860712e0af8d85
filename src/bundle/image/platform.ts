// A target as an OCI platform (image-spec config.md: GOOS/GOARCH values), and the check that a base image
// is for the same one. Pure.

import { PystoreError } from "../../errors.js";
import type { Target } from "../../standards/targets.js";

export interface ImagePlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** platform_machine (uname -m) → GOARCH and variant. */
const MACHINES: Readonly<Record<string, Omit<ImagePlatform, "os">>> = {
  x86_64: { architecture: "amd64" },
  amd64: { architecture: "amd64" },
  aarch64: { architecture: "arm64", variant: "v8" },
  arm64: { architecture: "arm64", variant: "v8" },
  armv7l: { architecture: "arm", variant: "v7" },
  armv6l: { architecture: "arm", variant: "v6" },
  i686: { architecture: "386" },
  i386: { architecture: "386" },
  ppc64le: { architecture: "ppc64le" },
  s390x: { architecture: "s390x" },
  riscv64: { architecture: "riscv64" },
};

export function formatPlatform(p: ImagePlatform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

function fromMachine(machine: string): ImagePlatform {
  const found = MACHINES[machine];
  if (!found)
    throw new PystoreError("USAGE", `no OCI architecture is known for the target's machine ${JSON.stringify(machine)}`, {
      hint: `pystore knows ${Object.keys(MACHINES).join(", ")}`,
    });
  return { os: "linux", ...found };
}

function notLinux(id: string, system: string): PystoreError {
  return new PystoreError("USAGE", `an OCI image runs Linux processes; the target ${id} is ${system}`, {
    hint: "bundle for a Linux target, e.g. --platform manylinux_x86_64",
  });
}

/** The OCI platform of a Linux target; USAGE for any other (images run Linux processes). */
export function targetPlatform(target: Target): ImagePlatform {
  if (target.markers.sys_platform !== "linux") throw notLinux(target.id, target.markers.sys_platform);
  return fromMachine(target.markers.platform_machine);
}

/** The same from a platform tag alone (a bundle manifest's target.platform: manylinux_2_28_x86_64, linux_aarch64). */
export function platformOfTag(platform: string, targetId: string): ImagePlatform {
  const m = /^(?:many|musl)?linux(?:_\d+_\d+|1|2010|2014)?_(.+)$/.exec(platform);
  if (!m) throw notLinux(targetId, platform);
  return fromMachine(m[1]);
}

/**
 * Does an image's platform run the target's code? os and architecture must be equal; a variant only
 * counts when both name one (many amd64 and arm64 images leave it out).
 */
export function platformMatches(image: ImagePlatform, target: ImagePlatform): boolean {
  if (image.os !== target.os || image.architecture !== target.architecture) return false;
  return image.variant === undefined || target.variant === undefined || image.variant === target.variant;
}

export function checkBasePlatform(base: ImagePlatform, target: ImagePlatform, targetId: string, where: string): void {
  if (platformMatches(base, target)) return;
  throw new PystoreError(
    "IMAGE_PLATFORM_MISMATCH",
    `the base image ${where} is ${formatPlatform(base)}, but the target ${targetId} needs ${formatPlatform(target)}`,
    {
      hint: "use a base image for the target's platform, or bundle for the base's platform (--platform)",
      details: { base: formatPlatform(base), target: formatPlatform(target) },
    },
  );
}
