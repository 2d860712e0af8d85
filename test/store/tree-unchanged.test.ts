// The end-of-extraction check on the open wheel: a link added or removed by another process (fetch, gc,
// `cp -al`) changes only the ctime and is not damage; an unlinked wheel is named as collected; a content
// change with its mtime put back is still caught by the hash.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, linkSync, openSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import type { StoreEntry } from "../../src/store/entries.js";
import { checkUnchanged } from "../../src/store/tree.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-tree-unchanged-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function storedFile(bytes: Buffer): { entry: StoreEntry; fd: number } {
  const path = join(dir, "demo-1.0-py3-none-any.whl");
  writeFileSync(path, bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const entry = { filename: "demo-1.0-py3-none-any.whl", path, sha256, size: bytes.length } as StoreEntry;
  return { entry, fd: openSync(path, "r") };
}

async function ctimeTick(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("checkUnchanged", () => {
  it("accepts a wheel that only gained a hard link meanwhile (its ctime changed, its bytes did not)", async () => {
    const { entry, fd } = storedFile(Buffer.from("wheel bytes"));
    try {
      const before = fstatSync(fd);
      await ctimeTick();
      linkSync(entry.path, join(dir, "linked.whl"));
      expect(fstatSync(fd).ctimeMs).not.toBe(before.ctimeMs);
      expect(() => checkUnchanged(fd, before, entry)).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });

  it("names a wheel that was unlinked meanwhile as removed from the store, with its path", () => {
    const { entry, fd } = storedFile(Buffer.from("wheel bytes"));
    try {
      const before = fstatSync(fd);
      unlinkSync(entry.path);
      let thrown: unknown;
      try {
        checkUnchanged(fd, before, entry);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PystoreError);
      expect((thrown as PystoreError).code).toBe("STORE_IO");
      expect((thrown as PystoreError).message).toContain(entry.path);
      expect((thrown as PystoreError).message).toMatch(/removed from the store/);
    } finally {
      closeSync(fd);
    }
  });

  it("catches bytes rewritten in place with the mtime put back, by hashing again", async () => {
    const { entry, fd } = storedFile(Buffer.from("wheel bytes"));
    try {
      const before = fstatSync(fd);
      await ctimeTick();
      writeFileSync(entry.path, Buffer.from("WHEEL BYTES"));
      utimesSync(entry.path, before.atime, before.mtime);
      expect(() => checkUnchanged(fd, before, entry)).toThrow(/no longer matches its recorded sha256/);
    } finally {
      closeSync(fd);
    }
  });
});
