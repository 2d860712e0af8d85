// lockChanges: what a re-lock moved, per package, as `lock --upgrade` reports it.

import { describe, expect, it } from "vitest";
import { formatChange, lockChanges } from "../../src/lock/changes.js";
import type { Pylock } from "../../src/standards/pylock.js";

const lock = (packages: [string, string][]): Pylock => ({
  lockVersion: "1.0",
  extras: [],
  dependencyGroups: [],
  defaultGroups: [],
  createdBy: "test",
  packages: packages.map(([name, version]) => ({ name, version })) as Pylock["packages"],
});

describe("lockChanges", () => {
  it("lists upgraded, added and removed packages by canonical name, and nothing for an equal lock", () => {
    const before = lock([
      ["Alpha", "1.0"],
      ["beta", "1.0"],
      ["delta", "3.0"],
    ]);
    const after = lock([
      ["alpha", "2.0"],
      ["delta", "3.0"],
      ["gamma", "1.0"],
    ]);
    const changes = lockChanges(before, after);
    expect(changes).toEqual([
      { name: "alpha", old: "1.0", new: "2.0" },
      { name: "beta", old: "1.0", new: null },
      { name: "gamma", old: null, new: "1.0" },
    ]);
    expect(changes.map(formatChange)).toEqual(["alpha 1.0 → 2.0", "beta 1.0 → (removed)", "gamma (added) → 1.0"]);
    expect(lockChanges(before, before)).toEqual([]);
  });

  it("compares every version a package is locked at (per-target entries)", () => {
    const before = lock([
      ["numpy", "1.26.4"],
      ["numpy", "2.0.0"],
    ]);
    expect(
      lockChanges(
        before,
        lock([
          ["numpy", "2.0.0"],
          ["numpy", "1.26.4"],
        ]),
      ),
    ).toEqual([]);
    expect(lockChanges(before, lock([["numpy", "2.1.0"]]))).toEqual([{ name: "numpy", old: "1.26.4, 2.0.0", new: "2.1.0" }]);
  });
});
