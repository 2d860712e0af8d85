// The .pyz writer against yazl, which wrote .pyz bundles before it: the same bytes for the same files
// (so bundles made before and after stay byte-identical), ZIP64 records past 65,535 entries, and files
// read from disk checked against what was listed. (`bundle verify` on real .pyz bundles: formats.test.ts.)

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileSource } from "../../src/bundle/archive-source.js";
import type { ManifestFile } from "../../src/bundle/manifest.js";
import { pyzStream } from "../../src/bundle/write-pyz.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import { compareStrings } from "../../src/util/order.js";
import { SYSTEM_PYTHON, run, tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("pyz");
});
afterAll(async () => {
  await dir?.cleanup();
});

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The writer pystore used before: yazl, a read stream per file, the manifest as a buffer. */
function yazlPyz(root: string, files: ManifestFile[], extra: { path: string; data: Buffer }[], shebang: string): Promise<Buffer> {
  const utc = new Date(DEFAULT_EPOCH * 1000);
  const mtime = new Date(
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
  );
  const zip = new yazl.ZipFile();
  const entries = new Map<string, { size?: number; data?: Buffer; mode: number }>();
  const dirs = new Set<string>();
  const addDirs = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  };
  for (const file of files) {
    entries.set(file.path, { size: file.size, mode: file.mode === "0755" ? 0o755 : 0o644 });
    addDirs(file.path);
  }
  for (const file of extra) {
    entries.set(file.path, { data: file.data, mode: 0o644 });
    addDirs(file.path);
  }
  for (const name of [...[...dirs].map((d) => `${d}/`), ...entries.keys()].sort(compareStrings)) {
    const options = { mtime, forceDosTimestamp: true };
    const entry = entries.get(name);
    if (!entry) zip.addEmptyDirectory(name, { ...options, mode: 0o40755 });
    else if (entry.data) zip.addBuffer(entry.data, name, { ...options, mode: entry.mode, compress: true });
    else
      zip.addReadStreamLazy(name, { ...options, mode: entry.mode, compress: true, size: entry.size }, (done) =>
        done(null, createReadStream(join(root, name))),
      );
  }
  zip.end();
  const out = new PassThrough();
  out.write(`${shebang}\n`);
  zip.outputStream.pipe(out);
  return collect(out);
}

/** Files written under `root`, listed as the bundle lists them. */
async function tree(root: string, files: Record<string, { data: Buffer; mode?: "0755" }>): Promise<ManifestFile[]> {
  const listed: ManifestFile[] = [];
  for (const [path, { data, mode }] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
    listed.push({ path, sha256: sha256(data), size: data.length, mode: mode ?? "0644" });
  }
  return listed.sort((a, b) => compareStrings(a.path, b.path));
}

const onDisk =
  (root: string, files: ManifestFile[]) =>
  (path: string): FileSource => {
    const file = files.find((f) => f.path === path)!;
    return { file: join(root, path), size: file.size, sha256: file.sha256 };
  };

describe("pyzStream", () => {
  it("writes the bytes yazl wrote: directories, empty, executable, non-ASCII and multi-MiB files, the manifest", async () => {
    const root = join(dir.path, "same");
    // 9 MiB of text that compresses (past the size read whole) and 300 KiB that does not.
    const big = Buffer.from(Array.from({ length: 700_000 }, (_, i) => `line ${i} ${i % 97}\n`).join("")).subarray(0, 9 * 1024 * 1024 + 17);
    const noisy = createHash("sha512");
    const random = Buffer.concat(Array.from({ length: 5000 }, (_, i) => noisy.copy().update(String(i)).digest()));
    const files = await tree(root, {
      "__main__.py": { data: Buffer.from("import sys\n") },
      "site-packages/pkg/__init__.py": { data: Buffer.alloc(0) },
      "site-packages/pkg/data.bin": { data: random },
      "site-packages/pkg/big.txt": { data: big },
      "site-packages/pkg/ünï/cödé.py": { data: Buffer.from("x = 'ü'\n") },
      "site-packages/pkg/run.sh": { data: Buffer.from("#!/bin/sh\n"), mode: "0755" },
      [`site-packages/${"d".repeat(120)}/m.py`]: { data: Buffer.from("pass\n") },
    });
    expect(big.length).toBeGreaterThan(8 * 1024 * 1024);
    const extra = [{ path: "pystore-bundle.json", data: Buffer.from('{\n  "files": []\n}\n') }];
    const shebang = "#!/usr/bin/env python3.11";
    const ours = await collect(pyzStream(files, onDisk(root, files), extra, { mtime: DEFAULT_EPOCH, shebang }));
    const theirs = await yazlPyz(root, files, extra, shebang);
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it("writes ZIP64 end records past 65,535 entries, which Python's zipfile reads", async () => {
    const count = 70_000;
    const files: ManifestFile[] = [];
    const data = new Map<string, Buffer>();
    for (let i = 0; i < count; i++) {
      const path = `m/${String(i).padStart(5, "0")}.py`;
      const bytes = Buffer.from(`N = ${i}\n`);
      data.set(path, bytes);
      files.push({ path, sha256: sha256(bytes), size: bytes.length, mode: "0644" });
    }
    const manifest = Buffer.from(JSON.stringify({ files }));
    const out = join(dir.path, "many.pyz");
    const bytes = await collect(
      pyzStream(files, (path) => data.get(path)!, [{ path: "pystore-bundle.json", data: manifest }], {
        mtime: DEFAULT_EPOCH,
        shebang: "#!/usr/bin/env python3",
      }),
    );
    await writeFile(out, bytes);
    // The ZIP64 end record and its locator sit before the classic end record, whose count is saturated.
    expect(bytes.readUInt32LE(bytes.length - 22 - 20 - 56)).toBe(0x06064b50);
    expect(bytes.readUInt16LE(bytes.length - 22 + 10)).toBe(0xffff);
    const script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(len(z.namelist()), z.read('m/69999.py').decode().strip())";
    const listed = run(SYSTEM_PYTHON, ["-c", script, out]);
    expect(listed.stderr).toBe("");
    // Every file, the manifest and the directory m/.
    expect(listed.stdout.trim()).toBe(`${count + 2} N = 69999`);
  }, 60_000);

  it("fails, writing nothing more, when a file on disk no longer has the listed bytes", async () => {
    const root = join(dir.path, "changed");
    const files = await tree(root, { "a.py": { data: Buffer.from("x = 1\n") }, "b.py": { data: Buffer.from("y = 2\n") } });
    await writeFile(join(root, "b.py"), "y = 3\n");
    await expect(collect(pyzStream(files, onDisk(root, files), [], { mtime: DEFAULT_EPOCH, shebang: "#!python3" }))).rejects.toMatchObject({
      code: "BUNDLE_FAILED",
      message: expect.stringContaining("sha256"),
    });
    await writeFile(join(root, "b.py"), "y = 22\n");
    await expect(collect(pyzStream(files, onDisk(root, files), [], { mtime: DEFAULT_EPOCH, shebang: "#!python3" }))).rejects.toMatchObject({
      code: "BUNDLE_FAILED",
      message: expect.stringContaining("7 bytes, not the 6 recorded"),
    });
  });
});
