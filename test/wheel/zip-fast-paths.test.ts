// The fast paths of the zip structure reader and the name checks (src/wheel/zip-layout.ts, src/wheel/safety.ts)
// against the general rules they stand in for: the same names, the same refusals with the same messages.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ACCEPTED_WHEELS, HOSTILE_WHEELS } from "../../fixtures/hostile-wheels.js";
import { prng } from "../../fixtures/prng.js";
import { PystoreError } from "../../src/errors.js";
import { checkArchiveEntries, checkEntryName, collisionKey, type ArchiveEntryInfo } from "../../src/wheel/safety.js";
import {
  checkLocalLayout,
  decodeName,
  decodeNameAt,
  type EndRecords,
  parseCentralDirectory,
  readEndRecords,
  scanExtra,
  type ZipMember,
} from "../../src/wheel/zip-layout.js";

const FLAG_UTF8 = 0x0800;

type Outcome = { value: unknown } | { code: string; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (error) {
    if (!(error instanceof PystoreError)) throw error;
    return { code: error.code, message: error.message };
  }
}

function randomBytes(random: () => number, length: number, alphabet: readonly number[]): Buffer {
  return Buffer.from(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]));
}

const ASCII_BYTES = Array.from({ length: 0x80 }, (_, i) => i);
const ANY_BYTES = Array.from({ length: 0x100 }, (_, i) => i);

describe("decodeName and a byte-order mark", () => {
  it("keeps a leading U+FEFF, as Python's zipfile does, in both paths", () => {
    const raw = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x2f, 0x62]);
    const python = spawnSync(
      "python3",
      ["-c", "import sys; print(bytes.fromhex(sys.argv[1]).decode('utf-8').encode('unicode_escape').decode())", raw.toString("hex")],
      {
        encoding: "utf8",
      },
    );
    expect(python.stdout.trim()).toBe("\\ufeffa/b");
    expect(decodeName("w.whl", raw, FLAG_UTF8)).toBe("\ufeffa/b");
    const framed = Buffer.concat([Buffer.from("xx"), raw]);
    expect(decodeNameAt("w.whl", framed, 2, framed.length, FLAG_UTF8)).toBe("\ufeffa/b");
  });
});

describe("decodeNameAt, the ASCII fast path, against decodeName", () => {
  const named: [string, Buffer][] = [
    ["an ASCII path", Buffer.from("pkg/mod.py")],
    ["an empty name", Buffer.alloc(0)],
    ["ASCII control characters", Buffer.from("a\u0000b\u001f\u007f")],
    ["UTF-8 Latin letters", Buffer.from("pkg/ünïcode.py")],
    ["UTF-8 CJK and an emoji", Buffer.from("包/文件🙂.py")],
    ["cp437 bytes (ü é in cp437), not UTF-8", Buffer.from([0x70, 0x81, 0x82, 0x2e, 0x70, 0x79])],
    ["a lone continuation byte", Buffer.from([0x61, 0x80])],
    ["an overlong slash", Buffer.from([0x61, 0xc0, 0xaf, 0x62])],
    ["an encoded surrogate", Buffer.from([0xed, 0xa0, 0x80])],
    ["a truncated sequence", Buffer.from([0x61, 0xe6, 0x96])],
    ["a byte order mark", Buffer.from([0xef, 0xbb, 0xbf, 0x61])],
    ["latin1 0xff", Buffer.from([0x61, 0xff])],
  ];
  const random = prng(20261125);
  const generated: [string, Buffer][] = Array.from({ length: 400 }, (_, i) => [
    `random name ${i}`,
    randomBytes(random, Math.floor(random() * 24), i % 2 === 0 ? ASCII_BYTES : ANY_BYTES),
  ]);

  const sameAsGeneral = (raw: Buffer) => {
    for (const flags of [0, FLAG_UTF8, FLAG_UTF8 | 0x0008]) {
      // Inside a larger directory, as parseCentralDirectory reads it.
      const before = Buffer.from([0xff, 0x00, 0xc3]);
      const directory = Buffer.concat([before, raw, Buffer.from([0xa9, 0x41])]);
      const fast = outcome(() => decodeNameAt("w.whl", directory, before.length, before.length + raw.length, flags));
      expect(fast, `${raw.toString("hex")} flags ${flags}`).toEqual(outcome(() => decodeName("w.whl", raw, flags)));
    }
  };

  it.each(named)("%s: the same name or the same refusal, with and without the UTF-8 flag", (_label, raw) => sameAsGeneral(raw));

  it("the same on generated names, ASCII and not", () => {
    for (const [, raw] of generated) sameAsGeneral(raw);
  });

  it("reads ASCII as itself and refuses non-ASCII without the flag (cp437 to Python)", () => {
    expect(decodeNameAt("w.whl", Buffer.from("xx/a.py"), 2, 7, 0)).toBe("/a.py");
    const cp437 = Buffer.from([0x70, 0x81]);
    expect(outcome(() => decodeNameAt("w.whl", cp437, 0, 2, 0))).toMatchObject({ message: /UTF-8 flag is not set/ });
    expect(outcome(() => decodeNameAt("w.whl", cp437, 0, 2, FLAG_UTF8))).toMatchObject({ message: /not valid UTF-8/ });
    expect(decodeNameAt("w.whl", Buffer.from("ü"), 0, 2, FLAG_UTF8)).toBe("ü");
  });
});

/** The extra-field rule as a Map of fields, the way it was read before scanExtra. */
function referenceExtra(extra: Buffer, where: string): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  let p = 0;
  while (p < extra.length) {
    const fail = (why: string) => {
      throw new PystoreError("UNSAFE_WHEEL", `w.whl: refusing archive entry "n": ${why}`);
    };
    if (p + 4 > extra.length) fail(`truncated extra field in the ${where}`);
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (p + 4 + len > extra.length) fail(`extra field 0x${id.toString(16)} overruns the ${where}`);
    if (fields.has(id)) fail(`extra field 0x${id.toString(16)} appears twice in the ${where}`);
    if (id === 0x7075) fail(`a second (Unicode path) name in the ${where}`);
    fields.set(id, extra.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return fields;
}

describe("scanExtra against the field-map reading", () => {
  const random = prng(427);
  const blocks: Buffer[] = Array.from({ length: 600 }, (_, i) => {
    const parts: Buffer[] = [];
    // Up to 20 fields: past the look-back limit, so the set path and its hand-over are covered.
    const count = Math.floor(random() * 21);
    const ids = i % 3 === 0 ? [0x0001, 0x5455, 0x7875, 0x000a] : Array.from({ length: 40 }, (_, k) => k + 2);
    for (let f = 0; f < count; f++) {
      const length = Math.floor(random() * 12);
      const header = Buffer.alloc(4);
      header.writeUInt16LE(ids[Math.floor(random() * ids.length)], 0);
      header.writeUInt16LE(random() < 0.03 ? length + 5 : length, 2);
      parts.push(header, randomBytes(random, length, ANY_BYTES));
    }
    if (i % 50 === 7) parts.push(Buffer.from([0x75, 0x70, 0x00, 0x00]));
    if (random() < 0.05) parts.push(randomBytes(random, 1 + Math.floor(random() * 3), ANY_BYTES));
    return Buffer.concat(parts);
  });

  it("gives the same refusal, or the same ZIP64 field, on generated blocks", () => {
    const refusals = new Set<string>();
    for (const block of blocks) {
      const expected = outcome(() => referenceExtra(block, "local header").get(0x0001));
      const offset = 5;
      const framed = Buffer.concat([Buffer.alloc(offset, 0x01), block, Buffer.alloc(3, 0x01)]);
      const found = outcome(() => {
        const at = scanExtra("w.whl", "n", framed, offset, offset + block.length, "local header");
        return at < 0 ? undefined : framed.subarray(at, at + framed.readUInt16LE(at - 2));
      });
      expect(found, block.toString("hex")).toEqual(expected);
      for (const kind of ["truncated", "overruns", "twice", "Unicode path"])
        if ("message" in expected && expected.message.includes(kind)) refusals.add(kind);
    }
    // Every kind of refusal was generated, and blocks that pass.
    expect([...refusals].sort()).toEqual(["Unicode path", "overruns", "truncated", "twice"]);
    expect(blocks.filter((b) => "value" in outcome(() => referenceExtra(b, "local header"))).length).toBeGreaterThan(100);
  });
});

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** checkEntryName's checks in their order, without its fast path. */
function referenceEntryName(name: string): string {
  const fail = (why: string) => {
    throw new PystoreError("UNSAFE_WHEEL", `w.whl: refusing archive entry ${JSON.stringify(name)}: ${why}`);
  };
  if (name.length === 0) fail("empty name");
  if (CONTROL.test(name)) fail("control character in name");
  if (name.includes("\\")) fail("backslash in name (Windows path separator)");
  if (name.startsWith("/")) fail("absolute path");
  if (/^[A-Za-z]:/.test(name)) fail("drive-letter path");
  if (name.includes(":")) fail("colon in name (a drive or a data stream on Windows)");
  const kept: string[] = [];
  for (const segment of name.replace(/\/+$/, "").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") fail("path escapes the install directory (..)");
    kept.push(segment);
  }
  if (kept.length === 0) fail("name has no path component");
  return kept.join("/");
}

const NAME_PIECES = [
  "a",
  "b",
  "Z",
  "é",
  "İ",
  "ß",
  "/",
  "/",
  "/",
  ".",
  "..",
  "\\",
  ":",
  "C:",
  "\u0000",
  "\u0085",
  "\u202e",
  " ",
  "-",
  "x.py",
];

function randomName(random: () => number): string {
  const count = Math.floor(random() * 7);
  return Array.from({ length: count }, () => NAME_PIECES[Math.floor(random() * NAME_PIECES.length)]).join("");
}

describe("checkEntryName's fast path against its checks in order", () => {
  const random = prng(7768);
  const names = ["pkg/mod.py", "pkg/", "./pkg", "pkg//a", "a/./b", "a/..", "..", "/a", "C:a", "a:b", "a\\b", "", ".", "ünï/cödé"];
  for (let i = 0; i < 1500; i++) names.push(randomName(random));

  it("gives the same normalised name or the same refusal", () => {
    for (const name of names)
      expect(
        outcome(() => checkEntryName("w.whl", name)),
        name,
      ).toEqual(outcome(() => referenceEntryName(name)));
  });
});

/** checkArchiveEntries' duplicate and file-under-file rules as they were written before the walk stopped early. */
function referenceConflicts(names: string[]): string[] {
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const name of names) {
    const normalised = referenceEntryName(name);
    if (normalised !== name.replace(/\/$/, ""))
      throw new PystoreError("UNSAFE_WHEEL", `w.whl: refusing archive entry ${JSON.stringify(name)}: not canonical`);
    const key = collisionKey(normalised);
    if (seen.has(key)) throw new PystoreError("UNSAFE_WHEEL", `w.whl: refusing archive entry ${JSON.stringify(name)}: duplicate`);
    seen.set(key, name);
    if (!name.endsWith("/")) files.push(normalised);
  }
  const fileKeys = new Set(files.map(collisionKey));
  for (const file of files) {
    const lower = collisionKey(file);
    for (let i = lower.lastIndexOf("/"); i > 0; i = lower.lastIndexOf("/", i - 1)) {
      const parent = lower.slice(0, i);
      if (fileKeys.has(parent))
        throw new PystoreError("UNSAFE_WHEEL", `w.whl: refusing archive entry ${JSON.stringify(file)}: through ${JSON.stringify(parent)}`);
    }
  }
  return files;
}

describe("checkArchiveEntries' parent walk against the full walk", () => {
  const random = prng(29);
  const segments = ["a", "A", "b", "c", "d.py"];
  const archives: string[][] = Array.from({ length: 800 }, () => {
    const count = 1 + Math.floor(random() * 8);
    return Array.from({ length: count }, () => {
      const depth = 1 + Math.floor(random() * 4);
      const name = Array.from({ length: depth }, () => segments[Math.floor(random() * segments.length)]).join("/");
      return random() < 0.1 ? `${name}/` : name;
    });
  });
  const entry = (name: string): ArchiveEntryInfo => ({
    name,
    compressedSize: 1,
    uncompressedSize: 1,
    externalAttributes: ((name.endsWith("/") ? 0o40755 : 0o100644) << 16) >>> 0,
  });

  it("accepts the same archives, and refuses the same entry through the same parent", () => {
    let refused = 0;
    for (const names of archives) {
      const expected = outcome(() => referenceConflicts(names));
      const found = outcome(() => checkArchiveEntries("w.whl", names.map(entry)));
      if ("value" in expected) expect(found, names.join(" ")).toEqual(expected);
      else {
        refused++;
        expect(found, names.join(" ")).toMatchObject({ code: "UNSAFE_WHEEL" });
        // The same entry, and for a file under a file the same parent.
        const entryOf = (o: Outcome) => ("message" in o ? /archive entry ("[^"]*")/.exec(o.message)?.[1] : undefined);
        expect(entryOf(found), names.join(" ")).toBe(entryOf(expected));
        const parent = /through ("[^"]*")/.exec((expected as { message: string }).message)?.[1];
        if (parent) expect((found as { message: string }).message).toContain(`runs through the file ${parent}`);
      }
    }
    // The generated archives reach both outcomes.
    expect(refused).toBeGreaterThan(50);
    expect(refused).toBeLessThan(archives.length - 50);
  });
});

describe("checkLocalLayout in place (the archive in memory) against reading each header", () => {
  const random = prng(30);
  const archives: Buffer[] = [...ACCEPTED_WHEELS.map((w) => w.bytes()), ...HOSTILE_WHEELS.map((w) => w.bytes())];
  // Local headers mutated where the two paths read differently (bounds, lengths, names, extra fields).
  for (const original of ACCEPTED_WHEELS.map((w) => w.bytes())) {
    for (let i = 0; i < 40; i++) {
      const copy = Buffer.from(original);
      const at = Math.floor(random() * Math.min(copy.length, 400));
      if (random() < 0.5) copy[at] ^= 1 << Math.floor(random() * 8);
      else if (at + 2 <= copy.length) copy.writeUInt16LE([0, 1, 0xffff, 64, 65, 200][Math.floor(random() * 6)], at);
      archives.push(copy, copy.subarray(0, Math.max(0, copy.length - 1 - Math.floor(random() * 2000))));
    }
  }

  it("gives the same data offsets or the same refusal", () => {
    let compared = 0;
    for (const zip of archives) {
      const read = (start: number, length: number) => zip.subarray(Math.max(0, start), Math.max(0, start + length));
      let end: EndRecords;
      let members: ZipMember[];
      try {
        end = readEndRecords(read, zip.length, "w.whl");
        members = parseCentralDirectory(read(end.cdOffset, end.cdSize), end, "w.whl");
      } catch {
        continue;
      }
      compared++;
      expect(outcome(() => checkLocalLayout("w.whl", members, end, read, zip))).toEqual(
        outcome(() => checkLocalLayout("w.whl", members, end, read)),
      );
    }
    expect(compared).toBeGreaterThan(200);
  });
});
