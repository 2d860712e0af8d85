// Trees of wheels with members too large to inflate whole (src/store/tree.ts streams them): the unpacked
// file is byte for byte the member, and the index records its real sha256 and size.

import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { openStore } from "../../src/store/store.js";
import { ensureTree } from "../../src/store/tree.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("tree-large");
});
afterAll(() => work.cleanup());

describe("unpacking a wheel with a large member", () => {
  it("streams the member to its tree file and indexes its sha256 and size", async () => {
    const big = Buffer.concat([Buffer.from("# padding\n".repeat(300_000)), randomBytes(5 << 20)]);
    const wheel = await buildWheel(
      { name: "heavy", version: "1.0", files: { "heavy/__init__.py": "", "heavy/_native.so": big } },
      join(work.path, "wheels"),
    );
    const store = await openStore({ dir: join(work.path, "store") });
    try {
      const entry = await store.addWheelFile(wheel.path);
      const { tree, created } = await ensureTree(store.dir, entry);
      expect(created).toBe(true);
      const file = tree.index.files.find((f) => f.path === "heavy/_native.so")!;
      expect(file.size).toBe(big.length);
      expect(file.sha256).toBe(createHash("sha256").update(big).digest("hex"));
      expect((await readFile(join(tree.filesDir, "heavy/_native.so"))).equals(big)).toBe(true);
    } finally {
      store.close();
    }
  });
});
