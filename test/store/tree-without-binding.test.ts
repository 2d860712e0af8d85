// On a Node whose zlib streams lack the binding readEntryPieces drives (src/wheel/zip.ts), the tree unpack
// still works: small members are read with readEntrySync, large ones streamed through zlib's stream.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { openStore } from "../../src/store/store.js";
import { ensureTree } from "../../src/store/tree.js";
import { openWheel, readEntryPieces, readEntrySync, readsInPieces } from "../../src/wheel/zip.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

vi.mock("node:zlib", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:zlib")>();
  // A stream without `_handle` and `_writeState` for the probe (the only call without options); real ones
  // for zlib's own streaming.
  const createInflateRaw = (options?: Parameters<typeof real.createInflateRaw>[0]) =>
    options === undefined ? ({} as ReturnType<typeof real.createInflateRaw>) : real.createInflateRaw(options);
  return { ...real, default: { ...real, createInflateRaw }, createInflateRaw };
});

let work: TempDir;
beforeAll(async () => {
  work = await tempDir("tree-without-binding");
});
afterAll(() => work?.cleanup());

describe("without Node's inflate binding", () => {
  it("readEntryPieces reads a member whole, as readEntrySync does", async () => {
    expect(readsInPieces()).toBe(false);
    const wheel = await buildWheel({ name: "plain", version: "1.0", files: { "plain/__init__.py": "x = 1\n".repeat(100) } }, work.path);
    const opened = openWheel(wheel.path, wheel.filename, { data: wheel.bytes });
    const item = opened.byPath.get("plain/__init__.py")!;
    const pieces: Buffer[] = [];
    readEntryPieces(opened.bytes, wheel.filename, item, (piece) => pieces.push(piece));
    expect(pieces).toHaveLength(1);
    expect(pieces[0].equals(readEntrySync(opened.bytes, wheel.filename, item))).toBe(true);
  });

  it("unpacks a tree with a member above the piece size, byte for byte", async () => {
    const big = Buffer.concat(Array.from({ length: (5 << 20) / 32 }, (_, i) => createHash("sha256").update(String(i)).digest()));
    const wheel = await buildWheel(
      { name: "heavy", version: "1.0", files: { "heavy/__init__.py": "", "heavy/_native.so": big } },
      join(work.path, "wheels"),
    );
    const store = await openStore({ dir: join(work.path, "store") });
    try {
      const { tree } = await ensureTree(store.dir, await store.addWheelFile(wheel.path));
      const file = tree.index.files.find((f) => f.path === "heavy/_native.so")!;
      expect(file.sha256).toBe(createHash("sha256").update(big).digest("hex"));
      expect((await readFile(join(tree.filesDir, "heavy/_native.so"))).equals(big)).toBe(true);
    } finally {
      store.close();
    }
  });
});
