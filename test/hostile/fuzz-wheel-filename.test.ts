// Fuzzing wheel and sdist filenames and platform tags: hostile names get INVALID_WHEEL_FILENAME /
// INVALID_SDIST_FILENAME quoting them, a compressed tag set cannot expand without bound, and tag
// ranking never throws whatever the index calls its files.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyText, mutated, platformTagText, wheelFilenameText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { bestWheel, platformLibc, rankWheel } from "../../src/standards/tags.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { isWheelFilename, parseSdistFilename, parseWheelFilename } from "../../src/standards/wheel-filename.js";

const anyFilename = fc.oneof(wheelFilenameText, mutated(wheelFilenameText, 3), anyText);
const target = resolveTarget("manylinux_x86_64", "3.11");

describe("wheel filenames under fuzzing", () => {
  it("any text is a wheel filename or INVALID_WHEEL_FILENAME quoting it", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(anyFilename, (name) => {
        const result = onlyTyped(["INVALID_WHEEL_FILENAME"], () => parseWheelFilename(name));
        expect(isWheelFilename(name)).toBe(!(result instanceof PystoreError));
        if (result instanceof PystoreError) {
          expect(result.message).toContain(`\`${name}\``);
          return;
        }
        // What was parsed is what the name says: rebuilding the name from the parts gives it back.
        const parts = name.slice(0, -4).split("-");
        const build = result.buildTag ? `-${parts[2]}` : "";
        const rebuilt = `${result.name}-${result.version}${build}-${result.pythonTags.join(".")}-${result.abiTags.join(".")}-${result.platformTags.join(".")}.whl`;
        expect(rebuilt).toBe(name);
        if (result.buildTag) expect(result.buildTag.number).toBe(Number(/^\d+/.exec(parts[2])![0]));
        expect(result.tags.length).toBeGreaterThan(0);
        expect(new Set(result.tags).size).toBe(result.tags.length);
      }),
      fuzzParams(1500),
    );
  });

  it("build tags of any size order by their digits", () => {
    const small = { filename: "pkg-1.0-9007199254740992-py3-none-any.whl", tags: ["py3-none-any"] };
    const large = { filename: "pkg-1.0-9007199254740993-py3-none-any.whl", tags: ["py3-none-any"] };
    const none = { filename: "pkg-1.0-py3-none-any.whl", tags: ["py3-none-any"] };
    expect(bestWheel(target, [large, small, none])?.filename).toBe(large.filename);
    expect(bestWheel(target, [none, small, large])?.filename).toBe(large.filename);
    expect(bestWheel(target, [none, { ...small, filename: "pkg-1.0-0-py3-none-any.whl" }])?.filename).toBe("pkg-1.0-0-py3-none-any.whl");
  });

  it("a compressed tag set that would expand past the limit is refused, not expanded", () => {
    const many = (prefix: string) => Array.from({ length: 300 }, (_, i) => `${prefix}${i}`).join(".");
    const name = `bomb-1.0-${many("py")}-${many("abi")}-${many("plat")}.whl`;
    const error = onlyTyped(["INVALID_WHEEL_FILENAME"], () => parseWheelFilename(name), 200);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).message).toContain("27000000 tags");
  });

  it("any text is an sdist filename or INVALID_SDIST_FILENAME", { timeout: FUZZ_TIMEOUT }, () => {
    const sdist = fc.oneof(
      wheelFilenameText.map((w) => w.replace(/-[^-]+-[^-]+-[^-]+\.whl$/, ".tar.gz")),
      mutated(fc.constant("pkg-name-1.0.post1.tar.gz"), 4),
      anyText,
    );
    fc.assert(
      fc.property(sdist, (name) => {
        onlyTyped(["INVALID_SDIST_FILENAME"], () => parseSdistFilename(name));
      }),
      fuzzParams(1000),
    );
  });
});

describe("platform tags under fuzzing", () => {
  it("platformLibc reads any tag text without throwing", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(platformTagText, (tag) => {
        const libc = onlyTyped([], () => platformLibc(tag));
        if (libc && !(libc instanceof PystoreError)) {
          expect(Number.isInteger(libc.major) && Number.isInteger(libc.minor)).toBe(true);
        }
      }),
      fuzzParams(1000),
    );
  });

  it("ranking any set of index filenames never throws, and the best wheel is one that fits", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(wheelFilenameText, anyFilename), { maxLength: 8 }), (names) => {
        const wheels = names.filter(isWheelFilename).map((filename) => ({ filename, tags: parseWheelFilename(filename).tags }));
        const best = onlyTyped([], () => bestWheel(target, wheels));
        if (best === undefined) {
          for (const w of wheels) expect(rankWheel(target, w.tags)).toBeUndefined();
        } else if (!(best instanceof PystoreError)) {
          expect(rankWheel(target, best.tags)).not.toBeUndefined();
          // The choice does not depend on the order the index listed the files in.
          expect(bestWheel(target, [...wheels].reverse())?.filename).toBe(best.filename);
        }
      }),
      fuzzParams(800),
    );
  });
});
