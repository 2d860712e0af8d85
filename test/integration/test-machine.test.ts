// The machine the suite runs on has what the conditional tests need (.ci/run installs it), so a
// missing tool fails here, loudly, instead of silently skipping the tests that depend on it.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cExtensionInfo } from "../../fixtures/c-extension.js";
import { packagingTags } from "../platform/packaging-oracle.js";

const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

describe("the test machine", () => {
  it("has python3 with pip and the packaging pip vendors (tag and marker cross-checks)", () => {
    expect(ok("python3", ["-m", "pip", "--version"])).toBe(true);
    expect(packagingTags([{ kind: "host" }])).toBeDefined();
  });

  it("has gcc and the Python headers (compiled-extension bundles)", () => {
    expect(cExtensionInfo().unavailable).toBeUndefined();
  });

  it("has Debian's real wheels, tinyproxy and nginx", () => {
    const wheels = readdirSync("/usr/share/python-wheels");
    for (const name of ["pip", "setuptools", "wheel"])
      expect(
        wheels.some((f) => f.startsWith(`${name}-`) && f.endsWith(".whl")),
        name,
      ).toBe(true);
    expect(["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"].some((p) => existsSync(p))).toBe(true);
    expect(["/usr/sbin/nginx", "/usr/bin/nginx"].some((p) => existsSync(p))).toBe(true);
  });

  it("can make a network namespace with no interfaces (air-gap test) and has a second filesystem (EXDEV test)", () => {
    expect(ok("unshare", ["-n", "true"])).toBe(true);
    expect(statSync("/dev/shm").dev).not.toBe(statSync("/tmp").dev);
  });
});
