// The two ways a wheel's directory is read (src/wheel/zip-directory.ts): from the bytes in memory, where
// every local header is checked in place, and from the file, read at offsets. For the same bytes both
// must give the same members at the same data offsets, or the same refusal: a download kept in memory and
// the same file read back are one archive. Mutations aim at the local headers (where the two differ most),
// from a fixed seed.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../../fixtures/prng.js";
import { wheelBytes } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { openWheel } from "../../src/wheel/zip.js";

const FILENAME = "twoway-1.0-py3-none-any.whl";
let dir: string;
let original: Buffer;
/** Where each local header starts in `original`. */
let headers: number[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-zip-two-ways-"));
  original = await wheelBytes({
    name: "twoway",
    version: "1.0",
    files: { "twoway/__init__.py": "x = 1\n".repeat(300), "twoway/a.txt": "a", "twoway/empty.txt": "" },
  });
  const opened = openWheel(join(dir, "none"), FILENAME, { data: original });
  headers = [...opened.byPath.values()].map((item) => item.member.localOffset);
  opened.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The members (path → data offset) or the refusal's code and message. */
function outcome(open: () => ReturnType<typeof openWheel>): string {
  let opened: ReturnType<typeof openWheel> | undefined;
  try {
    opened = open();
    return JSON.stringify([...opened.byPath.entries()].map(([path, item]) => [path, item.dataOffset, item.member.compressedSize]));
  } catch (error) {
    if (!(error instanceof PystoreError)) throw error;
    return `${error.code}: ${error.message}`;
  } finally {
    opened?.close();
  }
}

function bothWays(data: Buffer, n: number): [string, string] {
  const path = join(dir, `case-${n}.whl`);
  writeFileSync(path, data);
  return [outcome(() => openWheel(path, FILENAME, { data })), outcome(() => openWheel(path, FILENAME))];
}

describe("a wheel's directory read from memory and from its file", () => {
  it("agrees on a sound wheel", () => {
    const [memory, file] = bothWays(original, 0);
    expect(memory).toBe(file);
    expect(memory).toContain("twoway/__init__.py");
  });

  it("refuses a local header whose name differs from the central record's by one byte, both ways", () => {
    for (const header of headers) {
      const data = Buffer.from(original);
      // The name starts after the fixed 30 bytes; its last byte is changed, so the length stays the same.
      const nameEnd = header + 30 + data.readUInt16LE(header + 26);
      data[nameEnd - 1] ^= 0x20;
      const [memory, file] = bothWays(data, header);
      expect(memory).toBe(file);
      expect(memory).toMatch(/^UNSAFE_WHEEL: .*the local header names it/);
    }
  });

  it("agrees on every damaged local header, member by member and byte by byte", () => {
    const random = prng(20261125);
    let refused = 0;
    for (let n = 1; n <= 400; n++) {
      const data = Buffer.from(original);
      const header = headers[Math.floor(random() * headers.length)];
      // The fixed header (30 bytes), its name and a little past it: signature, flags, method, CRC, sizes,
      // name and extra lengths, the name itself.
      const at = header + Math.floor(random() * 48);
      if (random() < 0.5) data[at] ^= 1 << Math.floor(random() * 8);
      else data[at] = random() < 0.5 ? 0xff : 0;
      const [memory, file] = bothWays(data, n);
      expect(memory, `case ${n}: byte ${at}`).toBe(file);
      if (memory.startsWith("UNSAFE_WHEEL")) refused++;
    }
    // The mutations did reach the checks: most damaged headers are refused.
    expect(refused).toBeGreaterThan(200);
  });
});
