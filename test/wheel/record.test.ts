// RECORD checks against a wheel's members (src/wheel/record.ts) and the WHEEL file (src/wheel/wheel-file.ts).

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ACCEPTED_HASHES, checkRecordListing, checkRecordedFile, recordDigest } from "../../src/wheel/record.js";
import { readWheelFields } from "../../src/wheel/wheel-file.js";

const data = Buffer.from("print('hi')\n");
const sha = createHash("sha256").update(data).digest();

function listing(record: string, files: string[]) {
  const members = new Map<string, Buffer>([["p-1.0.dist-info/RECORD", Buffer.from(record)]]);
  return checkRecordListing("p-1.0-py3-none-any.whl", "p-1.0.dist-info", files, (path) => members.get(path));
}

describe("RECORD", () => {
  it("digests every accepted algorithm the way hashlib spells it", () => {
    for (const algorithm of ACCEPTED_HASHES) expect(recordDigest(algorithm, data)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(recordDigest("sha256", data)).toBe(sha.toString("base64url"));
    expect(recordDigest("blake2b", data)).toBe(createHash("blake2b512").update(data).digest("base64url"));
  });

  it("accepts a complete RECORD and checks each member's bytes and size", () => {
    const row = `p/x.py,sha256=${sha.toString("base64url")},${data.length}`;
    const { recorded, unsigned } = listing(`${row}\np-1.0.dist-info/RECORD,,\n`, ["p/x.py", "p-1.0.dist-info/RECORD"]);
    expect(unsigned.has("p-1.0.dist-info/RECORD")).toBe(true);
    checkRecordedFile("w", "p/x.py", data, sha, recorded.get("p/x.py")!);
    expect(() => checkRecordedFile("w", "p/x.py", Buffer.from("other"), sha, recorded.get("p/x.py")!)).toThrow(/size 5 does not match/);
    const b2 = listing(`p/x.py,blake2s=${recordDigest("blake2s", data)},\n`, ["p/x.py", "p-1.0.dist-info/RECORD"]).recorded.get("p/x.py")!;
    checkRecordedFile("w", "p/x.py", data, sha, b2);
    expect(() => checkRecordedFile("w", "p/x.py", Buffer.from("tampered\n"), sha, b2)).toThrow(/blake2s does not match RECORD/);
  });

  it.each([
    ["an unlisted member", "", ["p/x.py"], /present in the wheel but not listed/],
    ["a listed member that is absent", `p/y.py,sha256=${sha.toString("base64url")},1\n`, [], /listed in RECORD but missing/],
    ["a member without a hash", "p/x.py,,\n", ["p/x.py"], /without a hash/],
    ["a weak hash", `p/x.py,md5=${createHash("md5").update(data).digest("base64url")},\n`, ["p/x.py"], /weak or unknown hash "md5"/],
    ["a path listed twice", "p/x.py,,\np/x.py,,\n", ["p/x.py"], /listed twice/],
    ["a path spelled with ./", "./p/x.py,,\n", ["p/x.py"], /RECORD spells it differently/],
  ])("refuses %s with RECORD_MISMATCH", (_label, record, files, message) => {
    expect(() => listing(record, [...files, "p-1.0.dist-info/RECORD"])).toThrow(
      expect.objectContaining({ code: "RECORD_MISMATCH", message: expect.stringMatching(message) }),
    );
  });
});

describe("WHEEL", () => {
  it("reads Root-Is-Purelib and accepts any 1.x Wheel-Version", () => {
    expect(readWheelFields("w", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n").rootIsPurelib).toBe(true);
    expect(readWheelFields("w", "Wheel-Version: 1.9\r\nRoot-Is-Purelib: false\r\n").rootIsPurelib).toBe(false);
  });

  it.each(["2.0", "", "one"])("refuses Wheel-Version %j with UNSAFE_WHEEL", (version) => {
    expect(() => readWheelFields("w.whl", `Wheel-Version: ${version}\n`)).toThrow(
      expect.objectContaining({ code: "UNSAFE_WHEEL", message: expect.stringMatching(/^w\.whl: unsupported Wheel-Version/) }),
    );
  });
});
