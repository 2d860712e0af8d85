// src/errors.ts: error codes → exit codes, agreement with docs/exit-codes.md, caret rendering.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, EXIT, PystoreError, caretMessage, exitCodeFor } from "../../src/errors.js";

describe("error model", () => {
  it("maps every code to the exit code of its area", () => {
    expect(new PystoreError("INVALID_VERSION", "bad").exitCode).toBe(3);
    expect(new PystoreError("HASH_MISMATCH", "bad").exitCode).toBe(6);
    expect(new PystoreError("LOCK_STALE", "stale").exitCode).toBe(1);
    expect(exitCodeFor(new Error("boom"))).toBe(70);
  });

  it("keeps docs/exit-codes.md in step with the code table", () => {
    const doc = readFileSync(new URL("../../docs/exit-codes.md", import.meta.url), "utf8");
    const rows = doc.split("\n").filter((line) => /^\| \d+ \|/.test(line));
    const documented = new Map<string, number>();
    for (const row of rows) {
      const cells = row.split("|").map((c) => c.trim());
      const exit = Number(cells[1]);
      expect(EXIT[cells[2] as keyof typeof EXIT]).toBe(exit);
      for (const code of cells[4].matchAll(/`([A-Z_]+)`/g)) documented.set(code[1], exit);
    }
    for (const [code, area] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), `${code} is documented`).toBe(EXIT[area]);
    }
    expect(documented.size).toBe(Object.keys(ERROR_CODES).length);
  });

  it("draws a caret under the bad span", () => {
    expect(caretMessage("Expected a version", "foo >=x", 6, 1)).toBe("Expected a version\n    foo >=x\n          ^");
    expect(caretMessage("Bad", "abc def", 4, 3)).toBe("Bad\n    abc def\n        ^~~");
  });
});
