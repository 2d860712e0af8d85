// store-format/bundle-image.md checked against the code and a real image bundle: its media types and
// annotation keys are the ones src/bundle/image/media-types.ts names, every annotation, label and config
// field the code writes is documented, and the layer is built as the spec says (sorted entries, parent
// directories, owners 0, one mtime, a gzip header with no time and a fixed OS byte).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOciBase } from "../../fixtures/oci-base.js";
import { GREETLIB, lockFor, writeTree, writeTwoExecutables } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { buildBundle } from "../../src/bundle/bundle.js";
import type { ImageConfig } from "../../src/bundle/image/config.js";
import * as names from "../../src/bundle/image/media-types.js";
import { BUNDLE_IMAGE_VERSION } from "../../src/format-versions.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { openStore } from "../../src/store/store.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import { silentLogger } from "../../src/util/log.js";
import { tempDir } from "../helpers/temp.js";

const SPEC = readFileSync(join(import.meta.dirname, "..", "..", "store-format", "bundle-image.md"), "utf8");

/** The code spans of the first column of the table under `heading`. */
function tableKeys(heading: string): string[] {
  const section = SPEC.split(/^## /m).find((s) => s.startsWith(heading));
  expect(section, `bundle-image.md has a "## ${heading}" section`).toBeDefined();
  return [...section!.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((c) => c[1]));
}

function labelColumn(): Map<string, string> {
  const section = SPEC.split(/^## /m).find((s) => s.startsWith("Annotations and labels"))!;
  return new Map([...section.matchAll(/^\| `([^`]+)` \| (yes|no) \|/gm)].map((m) => [m[1], m[2]]));
}

let work: { path: string; cleanup: () => Promise<void> };
let layout: string;
const blob = async (digest: string) => readFile(join(layout, "blobs/sha256", digest.slice("sha256:".length)));
let manifest: {
  annotations: Record<string, string>;
  layers: { digest: string; mediaType: string }[];
  config: { digest: string; mediaType: string };
  mediaType: string;
};
let config: ImageConfig;

beforeAll(async () => {
  work = await tempDir("bundle-image-spec");
  const greet = await buildWheel(GREETLIB, join(work.path, "wheels"));
  const { project } = await writeTwoExecutables(join(work.path, "src"));
  await mkdir(join(project, "wheels"));
  await copyFile(greet.path, join(project, "wheels", greet.filename));
  const lockText = lockFor([{ wheel: greet, path: `wheels/${greet.filename}` }]);
  await writeTree(project, { "pylock.toml": lockText });
  const base = await buildOciBase(join(work.path, "base"));
  const store = await openStore({ dir: join(work.path, "store"), log: silentLogger });
  try {
    const out = join(work.path, "image.oci");
    await buildBundle({
      lock: parsePylock(lockText),
      lockText,
      lockDir: project,
      target: resolveTarget("manylinux_x86_64", "3.11"),
      projectDir: project,
      out,
      format: "oci",
      mtime: DEFAULT_EPOCH,
      store,
      log: silentLogger,
      offline: true,
      image: { entrypoint: "thing-a", base: { dir: base.dir, ref: base.tag, name: "base", reference: "oci://registry.example/base:1" } },
    });
    layout = out;
  } finally {
    store.close();
  }
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8"));
  manifest = JSON.parse((await blob(index.manifests[0].digest)).toString("utf8"));
  config = JSON.parse((await blob(manifest.config.digest)).toString("utf8"));
});
afterAll(() => work?.cleanup());

describe("store-format/bundle-image.md", () => {
  it("lists exactly the media types the code writes", () => {
    expect(tableKeys("Media types").sort()).toEqual(
      [names.INDEX_MEDIA_TYPE, names.MANIFEST_MEDIA_TYPE, names.CONFIG_MEDIA_TYPE, names.LAYER_MEDIA_TYPE].sort(),
    );
    expect(manifest.mediaType).toBe(names.MANIFEST_MEDIA_TYPE);
    expect(manifest.config.mediaType).toBe(names.CONFIG_MEDIA_TYPE);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([names.LAYER_MEDIA_TYPE, names.LAYER_MEDIA_TYPE]);
  });

  it("documents every annotation and label a real image carries, and which are labels", () => {
    const documented = labelColumn();
    const constants = [
      names.REF_NAME,
      names.TITLE,
      names.CREATED,
      names.BASE_DIGEST,
      names.BASE_NAME,
      names.IMAGE_VERSION_ANNOTATION,
      names.PREFIX_ANNOTATION,
      names.BUNDLE_HASH_ANNOTATION,
      names.TARGET_ANNOTATION,
      names.LOCK_ANNOTATION,
    ];
    expect([...documented.keys()].sort()).toEqual([...constants].sort());
    expect(Object.keys(manifest.annotations).sort()).toEqual(constants.filter((k) => k !== names.REF_NAME).sort());
    expect(manifest.annotations[names.IMAGE_VERSION_ANNOTATION]).toBe(String(BUNDLE_IMAGE_VERSION));
    const labels = Object.keys(config.config?.Labels ?? {}).filter((k) => k !== "org.example.base");
    expect(labels.sort()).toEqual(
      [...documented]
        .filter(([, label]) => label === "yes")
        .map(([k]) => k)
        .sort(),
    );
  });

  it("documents every config field pystore sets", () => {
    const fields = tableKeys("The config");
    const written = [
      ...Object.keys(config).filter((k) => k !== "config" && k !== "rootfs"),
      ...Object.keys(config.config ?? {})
        .filter((k) => k !== "Cmd")
        .map((k) => `config.${k}`),
      "rootfs.diff_ids",
    ];
    for (const field of written) expect(fields, `${field} is documented`).toContain(field);
  });

  it("builds the layer as the spec says", async () => {
    const gz = await blob(manifest.layers[1].digest);
    expect(gz.readUInt32LE(4)).toBe(0); // gzip MTIME
    expect(gz[9]).toBe(3); // OS byte
    const tar = gunzipSync(gz);
    expect(`sha256:${createHash("sha256").update(tar).digest("hex")}`).toBe(config.rootfs.diff_ids[1]);
    const entries: { name: string; mode: number; uid: number; gid: number; mtime: number }[] = [];
    for (let at = 0; at + 512 <= tar.length; ) {
      const header = tar.subarray(at, at + 512);
      if (header.every((b) => b === 0)) break;
      const field = (start: number, len: number) =>
        header
          .subarray(start, start + len)
          .toString("utf8")
          .replace(/\0.*$/s, "");
      const size = Number.parseInt(field(124, 12), 8);
      entries.push({
        name: field(0, 100),
        mode: Number.parseInt(field(100, 8), 8),
        uid: Number.parseInt(field(108, 8), 8),
        gid: Number.parseInt(field(116, 8), 8),
        mtime: Number.parseInt(field(136, 12), 8),
      });
      at += 512 + Math.ceil(size / 512) * 512;
    }
    const paths = entries.map((e) => e.name);
    expect(paths.slice(0, 2)).toEqual(["opt/", "opt/things/"]);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toContain("opt/things/pystore-bundle.json");
    expect(paths).toContain("opt/things/bin/thing-a");
    for (const e of entries) {
      expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, DEFAULT_EPOCH]);
      expect([0o755, 0o644]).toContain(e.mode);
    }
    expect(config.created).toBe("1980-01-01T00:00:00Z");
  });
});
