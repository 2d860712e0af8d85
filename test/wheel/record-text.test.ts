// RECORD's bytes as text (src/wheel/record.ts): ASCII is read as it is, anything else must be valid UTF-8,
// and the rows come out the same whatever the line ends.

import { describe, expect, it } from "vitest";
import { checkRecordListing } from "../../src/wheel/record.js";

const DIST_INFO = "pkg-1.0.dist-info";
const RECORD = `${DIST_INFO}/RECORD`;

function listing(record: Buffer, files: string[]) {
  const all = [...files, RECORD];
  return checkRecordListing("pkg-1.0-py3-none-any.whl", DIST_INFO, all, (path) => (path === RECORD ? record : undefined));
}

describe("RECORD text", () => {
  it("reads an ASCII RECORD, with LF, CRLF or CR line ends", () => {
    for (const end of ["\n", "\r\n", "\r"]) {
      const text = ["pkg/__init__.py,sha256=AAAA,3", `${RECORD},,`].join(end) + end;
      const { recorded } = listing(Buffer.from(text, "ascii"), ["pkg/__init__.py"]);
      expect([...recorded.keys()]).toEqual(["pkg/__init__.py", RECORD]);
      expect(recorded.get("pkg/__init__.py")).toEqual({ path: "pkg/__init__.py", hash: { algorithm: "sha256", digest: "AAAA" }, size: 3 });
    }
  });

  it("reads UTF-8 names as UTF-8, matching the members' names", () => {
    const name = "pkg/données/文件🙂.py";
    const { recorded } = listing(Buffer.from(`${name},sha256=AAAA,3\n${RECORD},,\n`, "utf8"), [name]);
    expect(recorded.has(name)).toBe(true);
  });

  it("refuses bytes that are not UTF-8, even where latin1 would read them", () => {
    // 0xE9 is "é" in latin1 and a truncated sequence in UTF-8.
    const bytes = Buffer.concat([Buffer.from("pkg/caf"), Buffer.from([0xe9]), Buffer.from(`.py,sha256=AAAA,3\n${RECORD},,\n`)]);
    expect(() => listing(bytes, ["pkg/café.py"])).toThrow(
      expect.objectContaining({ code: "RECORD_MISMATCH", message: expect.stringContaining("not valid UTF-8") }),
    );
  });
});
