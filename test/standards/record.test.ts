// RECORD files (binary distribution format spec): CSV parsing and formatting, quoting, hashes.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatRecord, parseRecord } from "../../src/standards/record.js";

const digest = (s: string) => createHash("sha256").update(s).digest("base64url");

describe("RECORD", () => {
  it("parses the spec's example shape", () => {
    const text = [
      `tests/__init__.py,sha256=${digest("")},0`,
      `sample/__init__.py,sha256=${digest("x = 1\n")},6`,
      "sample-1.0.dist-info/RECORD,,",
      "",
    ].join("\n");
    expect(parseRecord(text)).toEqual([
      { path: "tests/__init__.py", hash: { algorithm: "sha256", digest: digest("") }, size: 0 },
      { path: "sample/__init__.py", hash: { algorithm: "sha256", digest: digest("x = 1\n") }, size: 6 },
      { path: "sample-1.0.dist-info/RECORD" },
    ]);
  });

  it("round-trips quoted paths with commas, quotes and CRLF line ends", () => {
    const rows = [
      { path: "data/a,b.txt", hash: { algorithm: "sha256", digest: digest("a") }, size: 1 },
      { path: 'data/say "hi".txt', hash: { algorithm: "sha512", digest: "abc_-" }, size: 12 },
      { path: "plain.py" },
    ];
    const text = formatRecord(rows);
    expect(text).toBe(`"data/a,b.txt",sha256=${digest("a")},1\n"data/say ""hi"".txt",sha512=abc_-,12\nplain.py,,\n`);
    expect(parseRecord(text)).toEqual(rows);
    expect(parseRecord(text.replace(/\n/g, "\r\n"))).toEqual(rows);
  });

  it.each([
    ["a.py", 1],
    ["a.py,sha256=x", 2],
    ["a.py,sha256=x,1,extra", 4],
  ])("counts the fields of %j, on the line it is on whatever the line ends and blank lines", (row, found) => {
    for (const end of ["\n", "\r\n", "\r"]) {
      for (const quoted of [false, true]) {
        // A quote anywhere in the text takes the quoting parser; both must say the same.
        const first = quoted ? '"ok.py",,' : "ok.py,,";
        const text = [first, "", row, ""].join(end);
        expect(() => parseRecord(text, "R")).toThrow(`Invalid RECORD R, line 3: expected 3 fields (path,hash,size), found ${found}`);
      }
    }
  });

  it("tolerates base64 padding and a missing final newline", () => {
    expect(parseRecord("a.py,sha256=AAAA==,3")).toEqual([{ path: "a.py", hash: { algorithm: "sha256", digest: "AAAA" }, size: 3 }]);
  });

  it.each([
    ["a.py,sha256=x", "expected 3 fields"],
    ["a.py,sha256=x,1,extra", "expected 3 fields"],
    ["a.py,sha256,1", "is not <algorithm>="],
    ["a.py,sha256=a+b/,1", "is not <algorithm>="],
    ["a.py,,-1", "is not a non-negative integer"],
    ["a.py,,1.5", "is not a non-negative integer"],
    [",,", "empty path"],
    ['"a.py,,1', "unterminated"],
    ['a"b.py,,1', "quote inside"],
    ['"a"b,,1', "after a closing quote"],
  ])("rejects %j with INVALID_RECORD", (text, fragment) => {
    expect(() => parseRecord(`ok.py,,\n${text}\n`, "x.dist-info/RECORD")).toThrow(
      expect.objectContaining({ code: "INVALID_RECORD", message: expect.stringContaining(fragment) }),
    );
    expect(() => parseRecord(`ok.py,,\n${text}\n`, "x.dist-info/RECORD")).toThrow(/x\.dist-info\/RECORD, line 2/);
  });
});
