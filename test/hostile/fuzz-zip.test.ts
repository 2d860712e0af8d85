// Fuzzing the wheel's zip reader (src/wheel/zip.ts), admission (src/wheel/vet.ts) and the range reader of
// core metadata: real wheels built by code, then bytes flipped, fields overwritten with extreme values, and
// cuts. Every outcome is entries (and their bytes) or a typed refusal, never another exception, a hang, or
// an allocation past what the archive declares; and what admission lets through, a reader refuses only
// for an ordinary member's own bytes.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { FUZZ_TIMEOUT, fuzzParams, onlyTypedAsync } from "../../fixtures/fuzz-harness.js";
import { wheelBytes } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { readMetadataFromBuffer } from "../../src/index-client/range-metadata.js";
import { checkWheelContents, vetWheel } from "../../src/wheel/vet.js";
import { openWheel, readEntrySync } from "../../src/wheel/zip.js";

const FILENAME = "fuzzpkg-1.0-py3-none-any.whl";
let wheels: Buffer[] = [];

beforeAll(async () => {
  wheels = [
    await wheelBytes({ name: "fuzzpkg", version: "1.0" }),
    await wheelBytes({
      name: "fuzzpkg",
      version: "1.0",
      files: { "fuzzpkg/__init__.py": "x = 1\n".repeat(500), "fuzzpkg/data.bin": Buffer.alloc(4096, 7) },
      entryPoints: { console_scripts: { fz: "fuzzpkg:main" } },
    }),
  ];
});

type Mutation = { kind: "flip" | "set32" | "set16" | "cut" | "splice"; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("flip", "set32", "set16", "cut", "splice"),
  at: fc.nat(),
  value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff, 0x04034b50, 0x02014b50, 0x06054b50), fc.nat()),
});

/** Offsets near the end are where the central directory and its end record live: aim there half the time. */
function mutate(original: Buffer, mutations: Mutation[], tailBias: boolean): Buffer {
  let data = Buffer.from(original);
  for (const m of mutations) {
    if (data.length < 8) break;
    const span = tailBias ? Math.min(data.length, 400) : data.length;
    const at = data.length - span + (m.at % span);
    switch (m.kind) {
      case "flip":
        data[at] ^= 1 << (m.value % 8);
        break;
      case "set32":
        if (at + 4 <= data.length) data.writeUInt32LE(m.value >>> 0, at);
        break;
      case "set16":
        if (at + 2 <= data.length) data.writeUInt16LE(m.value & 0xffff, at);
        break;
      case "cut":
        data = data.subarray(0, at);
        break;
      case "splice":
        data = Buffer.concat([data.subarray(0, at), data.subarray(Math.min(data.length, at + (m.value % 64)))]);
        break;
    }
  }
  return data;
}

async function readAll(data: Buffer): Promise<number> {
  const opened = openWheel("/nonexistent/fuzz.whl", FILENAME, { data });
  try {
    let total = 0;
    for (const item of opened.byPath.values()) {
      const bytes = readEntrySync(opened.bytes, FILENAME, item);
      // Never more than the archive's own header promised.
      expect(bytes.length).toBe(item.member.uncompressedSize);
      total += bytes.length;
    }
    return total;
  } finally {
    opened.close();
  }
}

describe("zip reader under fuzzing", () => {
  it("mutated wheels give entries or UNSAFE_WHEEL", { timeout: FUZZ_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (which, mutations, tail) => {
        const data = mutate(wheels[which % wheels.length], mutations, tail);
        const result = await onlyTypedAsync(["UNSAFE_WHEEL"], () => readAll(data));
        if (result instanceof PystoreError) expect(result.message).toContain(FILENAME);
      }),
      fuzzParams(400),
    );
  });

  it("core metadata from a mutated wheel is text or a typed refusal", { timeout: FUZZ_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (which, mutations, tail) => {
        const data = mutate(wheels[which % wheels.length], mutations, tail);
        await onlyTypedAsync(["INVALID_INDEX_RESPONSE", "INVALID_METADATA", "UNSAFE_WHEEL", "HASH_MISMATCH"], () =>
          readMetadataFromBuffer(data, FILENAME, FILENAME),
        );
      }),
      fuzzParams(400),
    );
  });

  it("what admission lets through is refused by a reader only for an ordinary member's bytes", { timeout: FUZZ_TIMEOUT }, async () => {
    const codes = ["UNSAFE_WHEEL", "RECORD_MISMATCH", "INVALID_METADATA", "INVALID_RECORD", "INVALID_PYPROJECT", "INVALID_VERSION"];
    // The members admission reads itself (src/wheel/vet.ts): a defect in these is refused there.
    const readAtAdmission = ["RECORD", "METADATA", "WHEEL", "entry_points.txt"].map((f) => `fuzzpkg-1.0.dist-info/${f}`);
    let admittedButRefused = 0;
    // Flips aimed at the ordinary members' compressed bytes (a small share of a wheel: random offsets
    // rarely land there), then anything else.
    const aimed = fc.array(fc.record({ member: fc.nat(), at: fc.nat(), bit: fc.nat(7) }), { minLength: 1, maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(fc.nat(), aimed, fc.array(mutation, { maxLength: 2 }), fc.boolean(), async (which, flips, mutations, tail) => {
        const original = wheels[which % wheels.length];
        const opened = openWheel("/nonexistent/fuzz.whl", FILENAME, { data: original });
        const ordinary = [...opened.byPath.values()].filter((item) => !readAtAdmission.includes(item.path));
        opened.close();
        const flipped = Buffer.from(original);
        for (const flip of flips) {
          const item = ordinary[flip.member % ordinary.length];
          flipped[item.dataOffset + (flip.at % Math.max(1, item.member.compressedSize))] ^= 1 << flip.bit;
        }
        const data = mutations.length > 0 ? mutate(flipped, mutations, tail) : flipped;
        const admitted = await onlyTypedAsync(codes, () => vetWheel("/nonexistent/fuzz.whl", FILENAME, { data }));
        const full = await onlyTypedAsync(codes, () => checkWheelContents("/nonexistent/fuzz.whl", FILENAME, { data }));
        if (admitted instanceof PystoreError) {
          expect(full).toBeInstanceOf(PystoreError);
          return;
        }
        if (!(full instanceof PystoreError)) return;
        admittedButRefused++;
        expect(["UNSAFE_WHEEL", "RECORD_MISMATCH"]).toContain(full.code);
        const member = full.details?.entry ?? full.details?.file;
        expect(typeof member, full.message).toBe("string");
        expect(readAtAdmission).not.toContain(member);
        expect(full.message).toContain(`${FILENAME}: `);
      }),
      fuzzParams(400),
    );
    // Flipped bytes inside a member's data are the common case: the property above did not pass vacuously.
    expect(admittedButRefused).toBeGreaterThan(0);
  });

  it("an untouched wheel reads whole (the mutations above start from something valid)", async () => {
    for (const w of wheels) expect(await readAll(w)).toBeGreaterThan(0);
    expect(await readMetadataFromBuffer(wheels[0], FILENAME, FILENAME)).toContain("Name: fuzzpkg");
  });
});
