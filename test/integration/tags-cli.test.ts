// `pystore tags` through the real CLI (node bin/pystore, built dist/), compared with pypa/packaging.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { packagingTags, type HostAnswer } from "../platform/packaging-oracle.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
const dir = mkdtempSync(join(tmpdir(), "pystore-tags-cli-"));
const pystore = (...args: string[]) => runCli(args, { cwd: dir });

// One python3 run for the file: packaging's lists for the two targets the CLI is asked about.
const oracle = packagingTags([{ kind: "manylinux", arch: "x86_64", glibc: [2, 17], python: [3, 11] }, { kind: "host" }]);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pystore tags", () => {
  it.skipIf(!oracle)("--platform manylinux_2_17_x86_64 --python 3.11 --json matches packaging", async () => {
    const run = await pystore("tags", "--platform", "manylinux_2_17_x86_64", "--python", "3.11", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(["target", "python", "markers", "tags"]);
    expect(out.target).toBe("manylinux_2_17_x86_64-cp311");
    expect(out.python).toBe("3.11");
    expect(out.markers.sys_platform).toBe("linux");
    expect(Object.keys(out.markers)).toEqual([...Object.keys(out.markers)].sort());
    expect(out.tags).toEqual(oracle![0]);
  });

  it.skipIf(!oracle)("the host target matches pip's supported tags and packaging's markers", async () => {
    const host = oracle![1] as HostAnswer;
    const run = await pystore("tags", "--json");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.tags).toEqual(host.pip);
    expect(out.markers).toEqual(host.markers);
    expect(out.python).toBe(host.markers.python_version);
  });

  it("prints a header then one tag per line", async () => {
    const run = await pystore("tags", "--platform", "win_amd64", "--python", "3.12");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("target: win_amd64-cp312");
    expect(lines).toContain('  platform_machine: "AMD64"');
    const header = lines.findIndex((l) => l.startsWith("tags ("));
    expect(lines[header]).toBe(`tags (${lines.length - header - 1}, best first):`);
    expect(lines[header + 1]).toBe("cp312-cp312-win_amd64");
    expect(lines.at(-1)).toBe("py30-none-any");
  });

  it("reads a complete platform file", async () => {
    writeFileSync(
      join(dir, "cp.json"),
      JSON.stringify({
        marker_environment: { implementation_name: "cpython", os_name: "posix", platform_machine: "x86_64", platform_python_implementation: "CPython", platform_system: "Linux", python_version: "3.10", sys_platform: "linux" },
        compatible_tags: ["cp310-cp310-manylinux_2_35_x86_64", "py3-none-any"],
      }),
    );
    const out = JSON.parse((await pystore("tags", "--platform", "cp.json", "--json")).stdout);
    expect(out.target).toBe("manylinux_2_35_x86_64-cp310");
    expect(out.tags).toEqual(["cp310-cp310-manylinux_2_35_x86_64", "py3-none-any"]);
  });

  it.each([
    [["--platform", "solaris_sparc", "--python", "3.11"], "error: Unknown platform `solaris_sparc`"],
    [["--platform", "manylinux_x86_64", "--python", "2.7"], "error: Unsupported Python version `2.7`"],
    [["--platform", "manylinux_x86_64", "--python", "banana"], "error: Invalid Python version `banana`"],
    [["--platform", "missing.json"], "error: Cannot read complete platform file `missing.json`"],
  ])("exits 3 with a clear error for %j", async (args, message) => {
    const run = await pystore("tags", ...args);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/\nhint: /);
  });
});
