// The tar.gz writer checked with GNU tar, SOURCE_DATE_EPOCH handling, and manifest verification details.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walkTree, verifyBundle, formatManifest } from "../../src/bundle/manifest.js";
import { stableJson } from "../../src/util/stable-json.js";
import { DEFAULT_EPOCH, sourceDateEpoch } from "../../src/util/archive-time.js";
import { tarGzStream } from "../../src/bundle/write-tar.js";
import { listedFiles } from "../../src/bundle/contents.js";
import { writeStreamAtomic } from "../../src/util/atomic-write.js";
import { createReadStream } from "node:fs";
import { run, tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("tar");
});
afterAll(async () => {
  await dir?.cleanup();
});

describe("tarGzStream", () => {
  it("round-trips long and non-ASCII names through GNU tar, with a fixed gzip header", async () => {
    const root = join(dir.path, "tree");
    const long = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(70)}.py`;
    const files: Record<string, string> = { "a.py": "print(1)\n", [long]: "long\n", "ünï/cödé.txt": "utf8\n", empty: "" };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(root, path, ".."), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const tree = await walkTree(root);
    const out = join(dir.path, "t.tar.gz");
    const archive = tarGzStream(
      tree,
      (path) => createReadStream(join(root, path)),
      [{ path: "pystore-bundle.json", data: Buffer.from("{}\n") }],
      {
        prefix: "app",
        mtime: DEFAULT_EPOCH,
      },
    );
    await writeStreamAtomic(archive, out);
    const bytes = await readFile(out);
    // magic, deflate, no flags, mtime 0, XFL 0 (level 6: neither fastest nor best), OS 3 (Unix).
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const unpack = join(dir.path, "unpack");
    await mkdir(unpack);
    const result = run("tar", ["-xzf", out, "-C", unpack]);
    expect(result.stderr).toBe("");
    for (const [path, content] of Object.entries(files)) expect(await readFile(join(unpack, "app", path), "utf8")).toBe(content);
    expect(await readFile(join(unpack, "app/pystore-bundle.json"), "utf8")).toBe("{}\n");
  });

  it("fails, publishing nothing, when a listed project file changes between listing and archiving", async () => {
    const source = join(dir.path, "changing.py");
    await writeFile(source, "x = 1\n");
    const contents = listedFiles();
    await contents.addFile("app/changing.py", source);
    contents.write("bin/run", Buffer.from("#!/bin/sh\n"), 0o755);
    const files = await contents.files();
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ["app/changing.py", "0644"],
      ["bin/run", "0755"],
    ]);
    await writeFile(source, "x = 2\n");
    const out = join(dir.path, "changed.tar.gz");
    const archive = tarGzStream(files, (path) => contents.open(path), [], { prefix: "app", mtime: DEFAULT_EPOCH });
    await expect(writeStreamAtomic(archive, out)).rejects.toMatchObject({ code: "BUNDLE_FAILED" });
    await expect(readFile(out)).rejects.toThrow();
  });

  it("takes SOURCE_DATE_EPOCH when valid and never goes below 1980", () => {
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "1700000000" })).toBe(1700000000);
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "12" })).toBe(DEFAULT_EPOCH);
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "soon" })).toBe(DEFAULT_EPOCH);
    expect(sourceDateEpoch({})).toBe(DEFAULT_EPOCH);
  });
});

describe("manifest", () => {
  it("stableJson sorts keys at every level", () => {
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })).toBe(
      '{\n  "a": {\n    "c": 3,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it("verify ignores __pycache__ but reports a mode change as changed", async () => {
    const root = join(dir.path, "m");
    await mkdir(join(root, "pkg/__pycache__"), { recursive: true });
    await writeFile(join(root, "pkg/mod.py"), "x = 1\n");
    const files = await walkTree(root);
    const manifest = {
      formatVersion: 1,
      createdBy: "t",
      name: "m",
      target: { id: "t", platform: "p", python: "3.11", implementation: "cp" },
      lock: null,
      packages: [],
      executables: [],
      paths: [],
      sitePackages: "site-packages",
      nativeCode: false,
      files,
    };
    await writeFile(join(root, "pystore-bundle.json"), formatManifest(manifest));
    await writeFile(join(root, "pkg/__pycache__/mod.cpython-311.pyc"), "junk");
    expect(await verifyBundle(root)).toEqual({ changed: [], missing: [], extra: [] });
    const { chmod } = await import("node:fs/promises");
    await chmod(join(root, "pkg/mod.py"), 0o755);
    expect(await verifyBundle(root)).toEqual({ changed: ["pkg/mod.py"], missing: [], extra: [] });
  });
});
