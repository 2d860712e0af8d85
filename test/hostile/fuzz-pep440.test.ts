// Fuzzing PEP 440: hostile version and specifier text gets INVALID_VERSION / INVALID_SPECIFIER and
// nothing else; canonical versions round-trip; the order is total and agrees with pypa/packaging.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyText, canonicalVersion, mutated, specifierText, versionText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_SEED, FUZZ_TIMEOUT, fuzzParams, fuzzRuns, onlyTyped, within } from "../../fixtures/fuzz-harness.js";
import { prng } from "../../fixtures/prng.js";
import { PystoreError } from "../../src/errors.js";
import {
  compareVersions,
  filterVersions,
  isValidVersion,
  normalizeVersion,
  parseSpecifierSet,
  parseVersion,
  sortVersions,
  specifierContains,
} from "../../src/standards/pep440.js";

const ORACLE = fileURLToPath(new URL("../../fixtures/fuzz-packaging-oracle.py", import.meta.url));
const anyVersion = fc.oneof(versionText, mutated(versionText, 3), anyText);
const sign = (n: number) => Math.sign(n) + 0;

describe("PEP 440 versions under fuzzing", () => {
  it("any text is a version or INVALID_VERSION quoting it", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(anyVersion, (text) => {
        const result = onlyTyped(["INVALID_VERSION"], () => parseVersion(text));
        if (result instanceof PystoreError) {
          expect(result.message).toContain(JSON.stringify(text));
          expect(isValidVersion(text)).toBe(false);
        } else {
          expect(isValidVersion(text)).toBe(true);
        }
      }),
      fuzzParams(1500),
    );
  });

  it("normalizing is idempotent and keeps the version's place in the order", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(versionText, (text) => {
        if (!isValidVersion(text)) return;
        const normalized = normalizeVersion(text);
        expect(normalizeVersion(normalized)).toBe(normalized);
        expect(compareVersions(text, normalized)).toBe(0);
      }),
      fuzzParams(1500),
    );
  });

  it("format(parse(x)) == x for canonical versions", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(canonicalVersion, (text) => {
        expect(parseVersion(text).normalized).toBe(text);
      }),
      fuzzParams(1000),
    );
  });

  it("the order is total: antisymmetric, transitive, and equal normal forms compare equal", { timeout: FUZZ_TIMEOUT }, () => {
    const valid = fc.oneof(versionText, canonicalVersion).filter(isValidVersion);
    fc.assert(
      fc.property(valid, valid, valid, (a, b, c) => {
        const ab = sign(compareVersions(a, b));
        expect(sign(compareVersions(b, a))).toBe(-ab);
        if (normalizeVersion(a) === normalizeVersion(b)) expect(ab).toBe(0);
        const bc = sign(compareVersions(b, c));
        if (ab <= 0 && bc <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        if (ab === 0 && bc === 0) expect(compareVersions(a, c)).toBe(0);
        const sorted = sortVersions([a, b, c]);
        for (let i = 1; i < sorted.length; i++) expect(compareVersions(sorted[i - 1], sorted[i])).toBeLessThanOrEqual(0);
      }),
      fuzzParams(1500),
    );
  });

  it("numbers beyond 2^53 keep their digits and their order", () => {
    expect(normalizeVersion("99999999999999999999.1")).toBe("99999999999999999999.1");
    expect(normalizeVersion("1.0.dev9007199254740993")).toBe("1.0.dev9007199254740993");
    expect(compareVersions("9007199254740993", "9007199254740992")).toBe(1);
    expect(compareVersions("1+9007199254740993", "1+9007199254740992")).toBe(1);
    expect(specifierContains(">9007199254740992", "9007199254740993")).toBe(true);
    expect(specifierContains("~=1.9007199254740993", "1.9007199254740992")).toBe(false);
  });

  it("pathological lengths stay fast", () => {
    const cases = [
      `1${".0".repeat(20_000)}x`,
      `${"1".repeat(50_000)}`,
      `1${"a".repeat(50_000)}`,
      `1.0+${"a.".repeat(20_000)}`,
      `1.0${"-".repeat(20_000)}1`,
      `${" ".repeat(50_000)}1${" ".repeat(50_000)}!`,
    ];
    for (const text of cases) within(500, () => onlyTyped(["INVALID_VERSION"], () => parseVersion(text), 500));
  });
});

describe("PEP 440 specifiers under fuzzing", () => {
  const anySpec = fc.oneof(specifierText, mutated(specifierText, 3), anyText);

  it("any text is a specifier set or INVALID_SPECIFIER; sets round-trip through their text", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(anySpec, (text) => {
        const set = onlyTyped(["INVALID_SPECIFIER"], () => parseSpecifierSet(text));
        if (set instanceof PystoreError) return;
        expect(parseSpecifierSet(set.text).text).toBe(set.text);
      }),
      fuzzParams(1500),
    );
  });

  it("containment never throws for a valid set and any version text", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(specifierText, fc.array(anyVersion, { maxLength: 4 }), fc.boolean(), (spec, versions, pre) => {
        let set: ReturnType<typeof parseSpecifierSet>;
        try {
          set = parseSpecifierSet(spec);
        } catch {
          return;
        }
        for (const v of versions) onlyTyped([], () => specifierContains(set, v, { prereleases: pre }));
        const kept = onlyTyped([], () => filterVersions(set, versions));
        expect(Array.isArray(kept)).toBe(true);
      }),
      fuzzParams(1000),
    );
  });

  it("pathological specifiers stay fast", () => {
    const cases = [`==${"1.".repeat(20_000)}*`, `${">=1,".repeat(10_000)}`, `~=${"1".repeat(50_000)}.`, `===${"x".repeat(50_000)}`];
    for (const text of cases) onlyTyped(["INVALID_SPECIFIER"], () => parseSpecifierSet(text), 500);
  });
});

// The oracle: one python3 process answers for a whole generated batch.
const python = spawnSync("python3", ["-c", "import packaging"], { encoding: "utf8" });
const pipPackaging = spawnSync("python3", ["-c", "import pip._vendor.packaging"], { encoding: "utf8" });
const haveOracle = python.status === 0 || pipPackaging.status === 0;

describe.skipIf(!haveOracle)("PEP 440 against pypa/packaging", () => {
  it("validity, normal form and order agree on generated versions", { timeout: FUZZ_TIMEOUT }, () => {
    const count = fuzzRuns(400);
    const versions = fc.sample(fc.oneof(versionText, canonicalVersion, mutated(versionText, 2)), { seed: FUZZ_SEED, numRuns: count });
    const random = prng(FUZZ_SEED);
    const specs = fc.sample(specifierText, { seed: FUZZ_SEED + 1, numRuns: count });
    // Containment is compared for valid versions only: what a set says about text that is no version at all
    // changed between packaging releases (pystore never offers such a version as a candidate).
    const valid = versions.filter(isValidVersion);
    const pairs = specs.map((s) => [s, valid[Math.floor(random() * valid.length)].trim()]);
    const run = spawnSync("python3", [ORACLE], { input: JSON.stringify({ versions, pairs }), encoding: "utf8", maxBuffer: 64 << 20 });
    expect(run.stderr).toBe("");
    const oracle = JSON.parse(run.stdout) as {
      normalized: (string | null)[];
      sorted: string[];
      steps: number[];
      contains: (boolean | string)[];
    };
    versions.forEach((text, i) => {
      const ours = isValidVersion(text) ? normalizeVersion(text) : null;
      expect({ text, normalized: ours }).toEqual({ text, normalized: oracle.normalized[i] });
    });
    oracle.steps.forEach((step, i) => {
      const [a, b] = [oracle.sorted[i], oracle.sorted[i + 1]];
      expect({ a, b, cmp: sign(compareVersions(a, b)) }).toEqual({ a, b, cmp: step });
    });
    pairs.forEach(([spec, version], i) => {
      let ours: boolean | string;
      try {
        ours = specifierContains(spec, version, { prereleases: true });
      } catch {
        ours = "invalid";
      }
      const theirs = oracle.contains[i];
      expect({ spec, version, contains: ours }).toEqual({ spec, version, contains: theirs });
    });
  });
});
