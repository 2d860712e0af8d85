// Fuzzing PEP 508: requirement and marker text gets INVALID_REQUIREMENT / INVALID_MARKER (with a caret),
// never another exception; a parsed requirement formats to text that parses back to the same thing;
// evaluating any parsed marker against a real environment answers true or false (or INVALID_MARKER for a
// comparison the spec leaves undefined).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyText, markerText, mutated, requirementText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { evaluateMarker, formatMarker, formatRequirement, parseMarker, parseRequirement } from "../../src/standards/pep508.js";
import { resolveTarget } from "../../src/standards/targets.js";

const CODES = ["INVALID_REQUIREMENT", "INVALID_MARKER"];

const env = resolveTarget("manylinux_x86_64", "3.11").markers;

describe("PEP 508 requirements under fuzzing", () => {
  it("any text is a requirement or a typed error quoting it", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(requirementText, mutated(requirementText, 3), anyText), (text) => {
        const result = onlyTyped(CODES, () => parseRequirement(text));
        if (result instanceof PystoreError) expect(result.message).toContain(JSON.stringify(text));
      }),
      fuzzParams(1500),
    );
  });

  it("parse(format(parse(x))) == parse(x)", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(requirementText, (text) => {
        let req: ReturnType<typeof parseRequirement>;
        try {
          req = parseRequirement(text);
        } catch {
          return;
        }
        const formatted = formatRequirement(req);
        const again = onlyTyped([], () => parseRequirement(formatted));
        expect(formatRequirement(again as ReturnType<typeof parseRequirement>)).toBe(formatted);
      }),
      fuzzParams(1000),
    );
  });
});

describe("PEP 508 markers under fuzzing", () => {
  it("any text is a marker or INVALID_MARKER; a marker evaluates to a boolean and round-trips", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.oneof(markerText, mutated(markerText, 3), anyText),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
        (text, extras) => {
          const marker = onlyTyped(["INVALID_MARKER"], () => parseMarker(text));
          if (marker instanceof PystoreError) return;
          // As in pypa/packaging, a comparison the spec leaves undefined (`~=` between non-versions) is an error.
          const value = onlyTyped(["INVALID_MARKER"], () => evaluateMarker(marker, env, { extras, extra: extras[0] }));
          if (!(value instanceof PystoreError)) expect(typeof value).toBe("boolean");
          const formatted = formatMarker(marker);
          expect(formatMarker(parseMarker(formatted))).toBe(formatted);
        },
      ),
      fuzzParams(1500),
    );
  });

  it("50,000 nested parentheses are INVALID_MARKER, not a stack overflow", () => {
    onlyTyped(CODES, () => parseMarker(`${"(".repeat(50_000)}os_name == "posix"${")".repeat(50_000)}`), 1_000);
    onlyTyped(CODES, () => parseRequirement(`pkg; ${"(".repeat(50_000)}`), 1_000);
  });

  it("deep nesting and long chains stay fast", () => {
    const atom = 'os_name == "posix"';
    onlyTyped(["INVALID_MARKER"], () => parseMarker(`${"(".repeat(2_000)}${atom}${")".repeat(2_000)}`), 1_000);
    onlyTyped(["INVALID_MARKER"], () => parseMarker(Array(5_000).fill(atom).join(" and ")), 1_000);
    onlyTyped(CODES, () => parseRequirement(`pkg${" ".repeat(50_000)}x`), 1_000);
    onlyTyped(CODES, () => parseRequirement(`pkg[${"a,".repeat(20_000)}]`), 1_000);
  });
});
