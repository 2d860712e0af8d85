// Fuzzing .netrc: any file is entries or INVALID_NETRC with a line number, never another exception, and
// no message ever quotes a token (it may be a password).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyText, netrcText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { netrcLookup, parseNetrc } from "../../src/index-client/netrc.js";

const CANARY = "canary-Nt7pQ2";

describe(".netrc under fuzzing", () => {
  it("any text is entries or INVALID_NETRC naming the line", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(netrcText, anyText), fc.string({ maxLength: 20 }), (text, host) => {
        const result = onlyTyped(["INVALID_NETRC"], () => parseNetrc(text, "fuzz.netrc"));
        if (result instanceof PystoreError) {
          expect(result.message).toMatch(/^fuzz\.netrc:\d+: /);
          return;
        }
        onlyTyped([], () => netrcLookup(result, host));
      }),
      fuzzParams(1500),
    );
  });

  it("a secret next to any malformed token never reaches the message", { timeout: FUZZ_TIMEOUT }, () => {
    const secretLine = fc.constantFrom(
      `password ${CANARY}`,
      `login ${CANARY}`,
      `account ${CANARY}`,
      `password "${CANARY} x"`,
      `machine ${CANARY}`,
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(netrcText, secretLine, anyText), { minLength: 1, maxLength: 5 }), (parts) => {
        const result = onlyTyped(["INVALID_NETRC"], () => parseNetrc(parts.join("\n"), "fuzz.netrc"));
        if (result instanceof PystoreError) {
          expect(result.message).not.toContain(CANARY);
          expect(result.hint ?? "").not.toContain(CANARY);
        }
      }),
      fuzzParams(1000),
    );
  });

  it("long files and unterminated quotes stay fast", () => {
    onlyTyped(["INVALID_NETRC"], () => parseNetrc(`machine a password "${"x".repeat(200_000)}`), 500);
    onlyTyped(["INVALID_NETRC"], () => parseNetrc("machine a login b\n".repeat(20_000)), 1_000);
    onlyTyped(["INVALID_NETRC"], () => parseNetrc(`macdef m\n${"line\n".repeat(50_000)}`), 1_000);
    onlyTyped(["INVALID_NETRC"], () => parseNetrc(`${"# comment\n".repeat(50_000)}`), 1_000);
  });
});
