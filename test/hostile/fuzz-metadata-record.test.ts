// Fuzzing core metadata and RECORD: a wheel's METADATA gets INVALID_METADATA and its RECORD gets
// INVALID_RECORD for anything malformed, never another exception; RECORD rows round-trip through the
// writer.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { metadataText, recordText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { parseCoreMetadata } from "../../src/standards/metadata.js";
import { formatRecord, parseRecord, type RecordRow } from "../../src/standards/record.js";

describe("core metadata under fuzzing", () => {
  it("any header soup is metadata or INVALID_METADATA naming the field", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(metadataText, (text) => {
        const result = onlyTyped(["INVALID_METADATA"], () => parseCoreMetadata(text, "fuzz/METADATA"));
        if (result instanceof PystoreError) {
          expect(result.message).toMatch(/^Invalid core metadata in fuzz\/METADATA: [A-Za-z-]+: /);
          return;
        }
        expect(result.name).not.toBe("");
        expect(result.providesExtra).toEqual([...new Set(result.providesExtra)].sort());
      }),
      fuzzParams(600),
    );
  });

  it("a huge header block stays fast", () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `Provides-Extra: e${i}`).join("\n");
    onlyTyped(["INVALID_METADATA"], () => parseCoreMetadata(`Metadata-Version: 2.1\nName: big\nVersion: 1\n${lines}\n`), 2_000);
    const continued = `Metadata-Version: 2.1\nName: big\nVersion: 1\nSummary: x\n${" more\n".repeat(50_000)}`;
    onlyTyped(["INVALID_METADATA"], () => parseCoreMetadata(continued), 2_000);
  });
});

const rowArb: fc.Arbitrary<RecordRow> = fc.record(
  {
    path: fc.string({ minLength: 1, maxLength: 20, unit: "binary" }).filter((p) => p.trim() !== "" || p.length > 0),
    hash: fc.record({ algorithm: fc.constantFrom("sha256", "sha512", "blake2b"), digest: fc.stringMatching(/^[A-Za-z0-9_-]{1,43}$/) }),
    size: fc.nat(),
  },
  { requiredKeys: ["path"] },
);

describe("RECORD under fuzzing", () => {
  it("any CSV-ish text is rows or INVALID_RECORD with a line number", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(recordText, (text) => {
        const result = onlyTyped(["INVALID_RECORD"], () => parseRecord(text, "fuzz/RECORD"));
        if (result instanceof PystoreError) {
          expect(result.message).toMatch(/^Invalid RECORD fuzz\/RECORD, line \d+: /);
          return;
        }
        for (const row of result) {
          expect(row.path).not.toBe("");
          if (row.size !== undefined) expect(Number.isSafeInteger(row.size)).toBe(true);
        }
      }),
      fuzzParams(600),
    );
  });

  it("text without quotes reads the same through the plain parser as through the quoting one", { timeout: FUZZ_TIMEOUT }, () => {
    // parseRecord cuts an unquoted RECORD's fields straight from each line; a quoted first field (the same
    // value, in CSV) sends the same text through the general parser. Both must give the same rows or the
    // same refusal, line number included.
    const plainText = fc
      .array(fc.stringMatching(/^[a-z.=/_,0-9 -]{0,24}$/), { maxLength: 6 })
      .chain((lines) => fc.tuple(fc.constant(lines), fc.constantFrom("\n", "\r\n", "\r"), fc.boolean()))
      .map(([lines, end, final]) => lines.join(end) + (final ? end : ""));
    const outcome = (text: string) => {
      const result = onlyTyped(["INVALID_RECORD"], () => parseRecord(text, "R"));
      return result instanceof PystoreError ? result.message : result;
    };
    fc.assert(
      fc.property(plainText, (text) => {
        const lines = text.split(/(\r\n|\r|\n)/);
        const at = lines.findIndex((line, i) => i % 2 === 0 && line !== "");
        if (at < 0) return;
        const cut = lines[at].indexOf(",");
        const first = cut < 0 ? lines[at] : lines[at].slice(0, cut);
        lines[at] = `"${first}"${cut < 0 ? "" : lines[at].slice(cut)}`;
        expect(outcome(lines.join(""))).toEqual(outcome(text));
      }),
      fuzzParams(600),
    );
  });

  it("parse(format(rows)) == rows", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 6 }), (rows) => {
        // A path that is only line breaks would be an empty row once written; the writer never gets one.
        const written = rows.filter((r) => r.path.replace(/[\r\n]/g, "") !== "");
        expect(parseRecord(formatRecord(written))).toEqual(written);
      }),
      fuzzParams(400),
    );
  });

  it("a size past 2^53 is refused, not rounded", () => {
    const error = onlyTyped(["INVALID_RECORD"], () => parseRecord("a.py,,99999999999999999999\n"));
    expect(error).toBeInstanceOf(PystoreError);
  });
});
