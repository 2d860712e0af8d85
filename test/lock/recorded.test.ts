// recordedInputs: a lock's [tool.pystore] table read back as defaults for `lock --check` and re-locks.

import { describe, expect, it } from "vitest";
import { inputsTable, type LockInputs } from "../../src/lock/inputs.js";
import { recordedInputs } from "../../src/lock/recorded.js";
import type { Pylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { parseRequirement } from "../../src/standards/pep508.js";

const base = (tool?: Record<string, unknown>): Pylock => ({
  lockVersion: "1.0",
  extras: [],
  dependencyGroups: [],
  defaultGroups: [],
  createdBy: "test",
  packages: [],
  ...(tool ? { tool } : {}),
});

describe("recordedInputs", () => {
  it("round-trips what inputsTable writes", () => {
    const inputs: LockInputs = {
      rootName: "root",
      requirements: [parseRequirement("alpha>=1")],
      constraints: [],
      extras: ["fast"],
      groups: [],
      targets: [resolveTarget("win_amd64", "3.11"), resolveTarget("manylinux_x86_64", "3.12")],
      indexUrl: "https://user:secret@example.org/simple/",
      extraIndexUrls: ["https://extra.example.org/simple/"],
      findLinks: ["./wheels"],
      indexStrategy: "unsafe-best-match",
      prerelease: "disallow",
      excludeNewer: "2024-06-01T00:00:00.000Z",
      requirementFiles: ["reqs/base.in"],
    };
    const recorded = recordedInputs(base({ pystore: inputsTable(inputs) }))!;
    expect(recorded.targets).toEqual([
      { platform: inputs.targets[1].platform, python: "3.12" },
      { platform: "win_amd64", python: "3.11" },
    ]);
    expect(recorded.indexUrl).toBe("https://example.org/simple/");
    expect(recorded.extraIndexUrls).toEqual(["https://extra.example.org/simple/"]);
    expect(recorded.findLinks).toEqual(["./wheels"]);
    expect(recorded.indexStrategy).toBe("unsafe-best-match");
    expect(recorded.noIndex).toBe(false);
    expect(recorded.prerelease).toBe("disallow");
    expect(recorded.excludeNewer).toBe("2024-06-01T00:00:00.000Z");
    expect(recorded.extras).toEqual(["fast"]);
    expect(recorded.requirementFiles).toEqual(["reqs/base.in"]);
    expect(recorded.requirements).toEqual(["alpha>=1"]);
  });

  it("is undefined without a [tool.pystore] table and skips malformed keys", () => {
    expect(recordedInputs(base())).toBeUndefined();
    const recorded = recordedInputs(
      base({
        pystore: { targets: [{ platform: 3 }, "x", { platform: "win_amd64", python: "3.11" }], "index-strategy": "bogus", extras: [1] },
      }),
    )!;
    expect(recorded.targets).toEqual([{ platform: "win_amd64", python: "3.11" }]);
    expect(recorded.indexStrategy).toBeUndefined();
    expect(recorded.extras).toBeUndefined();
  });
});
