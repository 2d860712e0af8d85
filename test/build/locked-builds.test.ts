// A lock's built packages: `[packages.tool.pystore]` written and read back byte-stable, and a target's
// selection taking a fitting wheel first, else the build recorded for it (by id, else by tags).

import { describe, expect, it } from "vitest";
import { builtDigests, buildsTable, packageBuilds } from "../../src/lock/built-wheels.js";
import { selectForTarget } from "../../src/lock/select.js";
import { type Pylock, type PylockPackage, parsePylock, writePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";

const sha = (c: string) => c.repeat(64);
const linux = resolveTarget("manylinux_x86_64", "3.11");
const windows = resolveTarget("win_amd64", "3.11");

function lockWith(pkg: PylockPackage): Pylock {
  return {
    lockVersion: "1.0",
    extras: [],
    dependencyGroups: [],
    defaultGroups: [],
    createdBy: "pystore",
    packages: [pkg],
  };
}

const built: PylockPackage = {
  name: "cadd",
  version: "1.0",
  sdist: { name: "cadd-1.0.tar.gz", url: "https://files.test/cadd-1.0.tar.gz", size: 674, hashes: { sha256: sha("a") } },
  wheels: [
    {
      name: "cadd-1.0-cp311-cp311-win_amd64.whl",
      url: "https://files.test/cadd-1.0-cp311-cp311-win_amd64.whl",
      hashes: { sha256: sha("b") },
    },
  ],
  tool: {
    pystore: buildsTable({
      network: false,
      built: [
        {
          target: linux.id,
          wheel: "cadd-1.0-cp311-cp311-linux_x86_64.whl",
          sha256: sha("c"),
          size: 7557,
          buildWheels: ["wheel-0.38.4-py3-none-any.whl", "setuptools-66.1.1-py3-none-any.whl"],
        },
      ],
      buildWheels: [
        { name: "wheel", version: "0.38.4", filename: "wheel-0.38.4-py3-none-any.whl", url: "https://files.test/w.whl", sha256: sha("d") },
        {
          name: "setuptools",
          version: "66.1.1",
          filename: "setuptools-66.1.1-py3-none-any.whl",
          url: "https://files.test/s.whl",
          sha256: sha("e"),
          size: 12,
        },
      ],
    }),
  },
};

describe("built packages in a lock", () => {
  it("round-trips through the pylock writer, sorted, byte-stable", () => {
    const text = writePylock(lockWith(built));
    const read = parsePylock(text);
    expect(writePylock(read)).toBe(text);
    const builds = packageBuilds(read.packages[0])!;
    expect(builds.built[0].buildWheels).toEqual(["setuptools-66.1.1-py3-none-any.whl", "wheel-0.38.4-py3-none-any.whl"]);
    expect(builds.buildWheels.map((w) => w.name)).toEqual(["setuptools", "wheel"]);
    expect(builtDigests(read.packages)).toEqual([sha("c"), sha("d"), sha("e")]);
  });

  it("selects the index's wheel where it fits, and the build elsewhere", () => {
    const lock = parsePylock(writePylock(lockWith(built)));
    const win = selectForTarget(lock, windows)[0];
    expect(win.wheel.name).toBe("cadd-1.0-cp311-cp311-win_amd64.whl");
    expect(win.build).toBeUndefined();
    const lin = selectForTarget(lock, linux)[0];
    expect(lin.sha256).toBe(sha("c"));
    expect(lin.build?.sdist).toEqual({ name: "cadd-1.0.tar.gz", url: "https://files.test/cadd-1.0.tar.gz", size: 674, sha256: sha("a") });
    expect(lin.build?.buildWheels.map((w) => w.filename)).toEqual(["setuptools-66.1.1-py3-none-any.whl", "wheel-0.38.4-py3-none-any.whl"]);
  });

  it("refuses a build naming an environment wheel the lock does not list", () => {
    const table = structuredClone(built.tool!.pystore) as { built: { "build-wheels": string[] }[] };
    table.built[0]["build-wheels"] = ["ghost-1.0-py3-none-any.whl"];
    expect(() => packageBuilds({ ...built, tool: { pystore: table } })).toThrow(/names a wheel build-wheels does not list/);
  });
});
