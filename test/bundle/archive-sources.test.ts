// Archive writers reading files themselves (contents.source): the same tar.gz as from streams, files
// larger than the writer's blocks intact through GNU tar, and a file that changed after it was listed
// refused. Also the clash rules of the archive file list.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listedFiles } from "../../src/bundle/contents.js";
import type { ManifestFile } from "../../src/bundle/manifest.js";
import { tarGzStream } from "../../src/bundle/write-tar.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import { run, tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("sources");
});
afterAll(async () => {
  await dir?.cleanup();
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Store-like files under `root`, listed through the archive contents as the install core lists them. */
async function linked(root: string, files: Record<string, Buffer>) {
  const contents = listedFiles();
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
    const sha256 = createHash("sha256").update(data).digest("hex");
    contents.destination.link?.(path, { location: join(root, path), sha256, size: data.length }, 0o644);
  }
  return contents;
}

const pseudoRandom = (n: number) => {
  const out = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
};

describe("tar.gz from files read by the writer", () => {
  it("is the tar.gz written from streams, and GNU tar extracts files larger than a block intact", async () => {
    const root = join(dir.path, "same");
    const files: Record<string, Buffer> = {
      "site-packages/a/__init__.py": Buffer.alloc(0),
      "site-packages/a/big.bin": pseudoRandom(700_000),
      "site-packages/a/text.txt": Buffer.from("abc\n".repeat(300_000)),
      [`site-packages/${"p".repeat(90)}/${"q".repeat(40)}.py`]: Buffer.from("long = True\n"),
      "bin/run": Buffer.from("#!/bin/sh\n"),
    };
    const contents = await linked(root, files);
    const listed: ManifestFile[] = await contents.files();
    const extra = [{ path: "pystore-bundle.json", data: Buffer.from("{}\n") }];
    const opts = { prefix: "app", mtime: DEFAULT_EPOCH };
    const read = await collect(tarGzStream(listed, (path) => contents.source(path), extra, opts));
    const streamed = await collect(tarGzStream(listed, (path) => createReadStream(join(root, path)), extra, opts));
    expect(read.equals(streamed)).toBe(true);
    const out = join(dir.path, "same.tar.gz");
    await writeFile(out, read);
    const unpack = join(dir.path, "same-unpacked");
    await mkdir(unpack);
    expect(run("tar", ["-xzf", out, "-C", unpack]).stderr).toBe("");
    for (const [path, data] of Object.entries(files)) expect((await readFile(join(unpack, "app", path))).equals(data)).toBe(true);
  });

  it("refuses a store file whose bytes changed after it was listed, at the same size or not", async () => {
    const root = join(dir.path, "changed");
    const contents = await linked(root, { "a.py": Buffer.from("x = 1\n"), "b.py": Buffer.from("y = 2\n") });
    const listed = await contents.files();
    const write = () => collect(tarGzStream(listed, (path) => contents.source(path), [], { prefix: "app", mtime: DEFAULT_EPOCH }));
    await writeFile(join(root, "b.py"), "y = 3\n");
    await expect(write()).rejects.toMatchObject({ code: "BUNDLE_FAILED", message: expect.stringContaining("sha256") });
    await writeFile(join(root, "b.py"), "y\n");
    await expect(write()).rejects.toMatchObject({ code: "BUNDLE_FAILED", message: expect.stringContaining("2 bytes, not the 6 recorded") });
  });
});

describe("the archive file list", () => {
  it("refuses a path twice, a file under a file, and a file where a directory is", () => {
    const contents = listedFiles();
    contents.write("a/b/c.py", Buffer.from("1"), 0o644);
    contents.write("a/d", Buffer.from("2"), 0o644);
    expect(() => contents.write("a/b/c.py", Buffer.from("3"), 0o644)).toThrow(/twice/);
    expect(() => contents.write("a/d/e.py", Buffer.from("4"), 0o644)).toThrow(/twice/);
    expect(() => contents.write("a/b", Buffer.from("5"), 0o644)).toThrow(/twice/);
    expect(() => contents.write("a", Buffer.from("6"), 0o644)).toThrow(/twice/);
    contents.write("a/b/f.py", Buffer.from("7"), 0o644);
    contents.write("ab", Buffer.from("8"), 0o644);
  });
});
