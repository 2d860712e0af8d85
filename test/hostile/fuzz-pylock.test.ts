// Fuzzing pylock.toml reading: any text is a lock or INVALID_LOCK naming a dotted path, never another
// exception; a lock pystore writes reads back to the same lock and writes to the same bytes, whatever
// strings, keys and [tool] tables it carries.

import fc from "fast-check";
import { stringify as tomlStringify } from "smol-toml";
import { describe, expect, it } from "vitest";
import { anyText, canonicalVersion, mutated, projectName, wheelFilenameText } from "../../fixtures/fuzz-arbitraries.js";
import { FUZZ_TIMEOUT, fuzzParams, onlyTyped } from "../../fixtures/fuzz-harness.js";
import { PystoreError } from "../../src/errors.js";
import { parsePylock, writePylock, type Pylock, type PylockPackage } from "../../src/standards/pylock.js";

const sha256 = fc.stringMatching(/^[0-9a-f]{64}$/);
// Strings TOML must escape: quotes, backslashes, controls, non-BMP characters.
const tomlString = fc.oneof(
  fc.string({ maxLength: 12, unit: "binary" }),
  fc.constantFrom('"', "\\", "\n", "\u0000", "\u007f", "'''", "\u{1F600}", "a.b", ""),
);
const key = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
  tomlString.filter((k) => k !== ""),
);

const toolValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    tomlString,
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.boolean(),
    fc.array(tomlString, { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;

const wheel = fc.record(
  {
    name: wheelFilenameText,
    url: fc.constantFrom("https://files.example/a/b.whl", "https://files.example/x%20y.whl"),
    size: fc.nat(),
    hashes: sha256.map((h) => ({ sha256: h })),
  },
  { requiredKeys: ["name", "url", "hashes"] },
);

const pkg: fc.Arbitrary<PylockPackage> = fc.record(
  {
    name: projectName,
    version: canonicalVersion,
    marker: fc.constantFrom('sys_platform == "linux"', 'python_version >= "3.9"', 'extra == "test"'),
    requiresPython: fc.constantFrom(">=3.8", ">=3.9,<4"),
    dependencies: fc.array(
      projectName.map((name) => ({ name })),
      { maxLength: 3 },
    ),
    index: fc.constant("https://index.example/simple/"),
    wheels: fc.array(wheel, { minLength: 1, maxLength: 3 }),
    tool: fc.dictionary(key, toolValue, { maxKeys: 3 }),
  },
  { requiredKeys: ["name", "wheels"] },
) as fc.Arbitrary<PylockPackage>;

const lockArb: fc.Arbitrary<Pylock> = fc
  .record({
    packages: fc.uniqueArray(pkg, { maxLength: 4, selector: (p) => `${p.name.toLowerCase().replace(/[-_.]+/g, "-")}==${p.version}` }),
    extras: fc.array(projectName, { maxLength: 2 }),
    tool: fc.option(fc.dictionary(key, toolValue, { maxKeys: 3 }), { nil: undefined }),
  })
  .map(({ packages, extras, tool }) => {
    const lock: Pylock = { lockVersion: "1.0", extras, dependencyGroups: [], defaultGroups: [], createdBy: "pystore", packages };
    if (tool) lock.tool = tool as Record<string, unknown>;
    return lock;
  });

/** Tables with nothing in them are not written (an empty `[tool.x]` says nothing): compare without them. */
function prune(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length ? out : undefined;
}

describe("pylock.toml under fuzzing", () => {
  it("write(parse(write(lock))) == write(lock), and the lock reads back equal", { timeout: FUZZ_TIMEOUT }, () => {
    fc.assert(
      fc.property(lockArb, (lock) => {
        const text = writePylock(lock);
        const back = onlyTyped([], () => parsePylock(text));
        expect(back).not.toBeInstanceOf(PystoreError);
        expect(writePylock(back as Pylock)).toBe(text);
        expect((back as Pylock).packages.map((p) => [p.name, p.version, p.wheels])).toEqual(
          lock.packages.map((p) => [p.name, p.version, p.wheels]),
        );
        expect(prune((back as Pylock).tool)).toEqual(prune(lock.tool));
      }),
      fuzzParams(200),
    );
  });

  it("any TOML document is a lock or INVALID_LOCK naming where", { timeout: FUZZ_TIMEOUT }, () => {
    const doc = fc.oneof(
      lockArb.map((l) => writePylock(l)),
      fc
        .dictionary(
          fc.constantFrom("lock-version", "created-by", "packages", "environments", "requires-python", "tool", "extras"),
          toolValue,
        )
        .map((d) => tomlStringify(d)),
    );
    fc.assert(
      fc.property(fc.oneof(mutated(doc, 3), anyText), (text) => {
        const result = onlyTyped(["INVALID_LOCK"], () => parsePylock(text, "fuzz.toml"));
        if (result instanceof PystoreError) expect(result.message).toMatch(/^fuzz\.toml: /);
      }),
      fuzzParams(500),
    );
  });

  it("structural edits of a valid lock are named by their dotted path", { timeout: FUZZ_TIMEOUT }, () => {
    const hostile = fc.oneof(fc.constant(undefined), toolValue, fc.constant(-1), fc.constant("/etc/passwd"), fc.constant("../../x.whl"));
    fc.assert(
      fc.property(
        lockArb,
        fc.constantFrom("name", "version", "wheels", "marker", "index", "directory", "sdist", "dependencies"),
        hostile,
        (lock, field, value) => {
          if (lock.packages.length === 0) return;
          const raw = JSON.parse(JSON.stringify({ ...lock, packages: lock.packages })) as Record<string, unknown>;
          const doc = {
            "lock-version": "1.0",
            "created-by": "fuzz",
            packages: (raw.packages as Record<string, unknown>[]).map((p) => ({ ...p, [field]: value })),
          };
          let text: string;
          try {
            text = tomlStringify(doc);
          } catch {
            return;
          }
          const result = onlyTyped(["INVALID_LOCK"], () => parsePylock(text, "fuzz.toml"));
          if (result instanceof PystoreError)
            expect(result.message).toMatch(/^fuzz\.toml: (invalid lock at packages\[\d+\]|not valid TOML)/);
        },
      ),
      fuzzParams(200),
    );
  });
});
