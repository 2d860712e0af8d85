// Shared by the image bundle tests: the real tools that read what pystore writes (skopeo, umoci), and
// every file of a layout for byte-for-byte comparisons.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ImageConfig } from "../../src/bundle/image/config.js";
import { run } from "../bundle/helpers.js";

export { run };

/** `skopeo inspect` of an image (`oci:DIR:TAG`, `docker://…`) as JSON; fails the test on a non-zero exit. */
export function skopeoInspect(image: string, extra: string[] = []): Record<string, unknown> {
  const result = run("skopeo", ["inspect", ...extra, image]);
  if (result.status !== 0) throw new Error(`skopeo inspect ${image} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** `skopeo inspect --config`: the image config as skopeo reads it. */
export function skopeoConfig(image: string, extra: string[] = []): ImageConfig {
  return skopeoInspect(image, ["--config", ...extra]) as unknown as ImageConfig;
}

/** `umoci unpack --rootless`: the image's filesystem at `into/rootfs`. */
export function umociUnpack(layout: string, tag: string, into: string): void {
  const result = run("umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, into]);
  if (result.status !== 0) throw new Error(`umoci unpack failed: ${result.stderr}`);
}

/** Every file under `dir` (relative path → bytes), for comparing two layouts. */
export function allFiles(dir: string, rel = ""): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, path)).isDirectory()) for (const [k, v] of allFiles(dir, path)) out.set(k, v);
    else out.set(path, readFileSync(join(dir, path)));
  }
  return out;
}
