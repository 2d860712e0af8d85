// Which stored interpreters fit a target (src/python/match.ts): pure, table-driven.

import { describe, expect, it } from "vitest";
import { matchingPythons, pythonMismatches, wantedFor } from "../../src/python/match.js";
import { resolveTarget } from "../../src/standards/targets.js";
import type { PythonEntry } from "../../src/store/pythons.js";
import { pythonEntry } from "../helpers/python-entry.js";

const entry = pythonEntry;

describe("pythonMismatches", () => {
  const cases: [string, string, string, Partial<PythonEntry>, string[]][] = [
    ["fits", "manylinux_x86_64", "3.11", {}, []],
    ["another X.Y", "manylinux_x86_64", "3.12", {}, ["Python 3.11 (target: 3.12)"]],
    ["another machine", "manylinux_aarch64", "3.11", {}, ["machine x86_64 (target: aarch64)"]],
    ["musl target, glibc build", "musllinux_x86_64", "3.11", {}, ["C library glibc (target: musl)"]],
    ["musl build fits musllinux", "musllinux_x86_64", "3.11", { libc: "musl" }, []],
    ["a plain linux target names no C library", "linux_x86_64", "3.11", { libc: "musl" }, []],
    ["another OS", "macosx_11_0_arm64", "3.11", { machine: "aarch64" }, ["OS linux (target: darwin)"]],
    ["arm64 is aarch64", "manylinux_aarch64", "3.11", { machine: "arm64" }, []],
    ["not CPython", "manylinux_x86_64", "3.11", { implementation: "pypy" }, ["implementation pypy (target: cpython)"]],
  ];
  for (const [label, platform, python, facts, expected] of cases) {
    it(label, () => {
      expect(pythonMismatches(entry(facts), wantedFor(resolveTarget(platform, python)))).toEqual(expected);
    });
  }
});

describe("matchingPythons", () => {
  it("puts the newest version first, then orders by sha256, and leaves out what does not fit", () => {
    const older = entry({ version: "3.11.2", sha256: "1".repeat(64) });
    const newer = entry({ version: "3.11.10", sha256: "2".repeat(64) });
    const twin = entry({ version: "3.11.10", sha256: "0".repeat(64) });
    const arm = entry({ machine: "aarch64", sha256: "3".repeat(64) });
    const found = matchingPythons([older, arm, newer, twin], wantedFor(resolveTarget("manylinux_x86_64", "3.11")));
    expect(found.map((e) => e.sha256[0])).toEqual(["0", "2", "1"]);
  });
});
