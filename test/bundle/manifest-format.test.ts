// The manifest's text is its identity (the bundle hash): the direct writer of the files list must give
// stableJson's bytes exactly, whatever the paths hold; and a staged tree's file list taken from what the
// writer recorded must be what walking the tree gives.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writtenFiles } from "../../src/bundle/contents.js";
import { type BundleManifest, formatManifest, type ManifestFile, walkTree } from "../../src/bundle/manifest.js";
import { TreeWriter } from "../../src/install/tree-writer.js";
import { stableJson } from "../../src/util/stable-json.js";
import { byPath } from "../../src/util/order.js";

function manifest(files: ManifestFile[]): BundleManifest {
  return {
    formatVersion: 1,
    createdBy: "pystore test",
    name: "demo",
    target: { id: "manylinux_x86_64-cp311", platform: "manylinux_2_28_x86_64", python: "3.11", implementation: "cp" },
    lock: { sha256: "ab".repeat(32) },
    packages: [{ name: "demo", version: "1.0", wheel: "demo-1.0-py3-none-any.whl", sha256: "cd".repeat(32) }],
    executables: [{ name: "demo", kind: "entry", target: "demo:main", origin: "demo" }],
    paths: [],
    sitePackages: "site-packages",
    nativeCode: false,
    files,
  };
}

const odd = ['quote"d', "back\\slash", "tab\there", "new\nline", "ünïcödé/ファイル.py", "emoji/😀.txt", "ctl\u0001x", "\u2028sep"];

describe("formatManifest", () => {
  it("writes stableJson's bytes for ordinary and unusual paths, in any input order", () => {
    const files: ManifestFile[] = [];
    for (let i = 0; i < 200; i++) {
      const name = `${odd[i % odd.length]}/${i}.py`;
      files.push({ path: `site-packages/${name}`, sha256: i.toString(16).padStart(64, "0"), size: i * 37, mode: i % 3 ? "0644" : "0755" });
    }
    files.reverse();
    const expected = stableJson({ ...manifest([]), files: [...files].sort(byPath) });
    expect(formatManifest(manifest(files))).toBe(expected);
    // Already sorted (as a staged tree's list comes): the same bytes without a second sort.
    expect(formatManifest(manifest([...files].sort(byPath)))).toBe(expected);
  });

  it("writes an empty files list and optional fields as stableJson does", () => {
    const m: BundleManifest = { ...manifest([]), data: { dir: "data", declared: ["a"] }, python: undefined };
    expect(formatManifest(m)).toBe(stableJson(m));
    const one = manifest([{ path: "a", sha256: "0".repeat(64), size: 0, mode: "0644" }]);
    expect(formatManifest(one)).toBe(stableJson(one));
  });

  it("falls back to stableJson for files with other fields", () => {
    const files = [{ path: "b", sha256: "1".repeat(64), size: 1, mode: "0644", extra: { z: 1, a: 2 } }] as unknown as ManifestFile[];
    expect(formatManifest(manifest(files))).toBe(stableJson(manifest(files)));
  });
});

describe("writtenFiles", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pystore-written-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists what walking the tree lists, with and without a prefix", async () => {
    const writer = new TreeWriter(dir);
    const paths = [
      "site-packages/z.py",
      "site-packages/a/b.py",
      "site-packages/a-b/c.py",
      "site-packages/a.py",
      "bin/tool",
      "pystore-bundle.json",
      "x",
    ];
    for (const [i, path] of paths.entries()) writer.write(path, Buffer.from(`file ${i}`), path.startsWith("bin/") ? 0o755 : 0o644);
    writer.mkdirs("empty/dir");
    expect(writtenFiles(writer.written)).toEqual(await walkTree(dir));
    expect(writtenFiles(writer.written, "site-packages")).toEqual(await walkTree(join(dir, "site-packages")));
  });
});
