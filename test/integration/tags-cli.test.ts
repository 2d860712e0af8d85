// `pystore tags` through the real CLI (node bin/pystore, built dist/), compared with pypa/packaging.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { packagingTags, type HostAnswer } from "../platform/packaging-oracle.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
const dir = mkdtempSync(join(tmpdir(), "pystore-tags-cli-"));
// The host-probe cache goes to the temp dir, not the runner's ~/.cache.
const pystore = (...args: string[]) => runCli(args, { cwd: dir, env: { XDG_CACHE_HOME: join(dir, "cache") } });

// One python3 run for the file: packaging's lists for the two targets the CLI is asked about.
const oracle = packagingTags([{ kind: "manylinux", arch: "x86_64", glibc: [2, 17], python: [3, 11] }, { kind: "host" }]);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pystore tags", () => {
  it.skipIf(!oracle)("--platform manylinux_2_17_x86_64 --python 3.11 --json matches packaging", async () => {
    const run = await pystore("tags", "--platform", "manylinux_2_17_x86_64", "--python", "3.11", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    // --json output has its keys sorted at every depth, like every command's.
    expect(Object.keys(out)).toEqual(["markers", "python", "tags", "target"]);
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
        marker_environment: {
          implementation_name: "cpython",
          os_name: "posix",
          platform_machine: "x86_64",
          platform_python_implementation: "CPython",
          platform_system: "Linux",
          python_version: "3.10",
          sys_platform: "linux",
        },
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

// The host probe is cached on disk: count the probes with a python3 wrapper that logs each run.
describe.skipIf(!oracle)("the host probe cache", () => {
  const wrapper = join(dir, "logged-python3");
  const log = join(dir, "probes.log");
  writeFileSync(wrapper, `#!/bin/sh\necho probe >> '${log}'\nexec python3 "$@"\n`);
  chmodSync(wrapper, 0o755);
  const probes = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0);
  const hostTags = async (cache: string, extra: NodeJS.ProcessEnv = {}) => {
    const run = await runCli(["tags", "--json"], { cwd: dir, env: { PYSTORE_PYTHON: wrapper, XDG_CACHE_HOME: cache, ...extra } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  };
  const cacheFiles = (cache: string) =>
    existsSync(join(cache, "pystore")) ? readdirSync(join(cache, "pystore")).filter((f) => /^host-.*\.json$/.test(f)) : [];

  it("a second process reuses the probe, with the same answer; touching the interpreter invalidates it", async () => {
    const cache = join(dir, "cache-reuse");
    const before = probes();
    const first = await hostTags(cache);
    expect(probes()).toBe(before + 1);
    expect(cacheFiles(cache)).toHaveLength(1);
    const second = await hostTags(cache);
    expect(probes()).toBe(before + 1);
    expect(second).toEqual(first);
    expect(second.tags).toEqual((oracle![1] as HostAnswer).pip);

    utimesSync(wrapper, new Date(), new Date(Date.now() + 5_000));
    expect(await hostTags(cache)).toEqual(first);
    expect(probes()).toBe(before + 2);
    await hostTags(cache);
    expect(probes()).toBe(before + 2);
  });

  it("rewrites a corrupt cache file", async () => {
    const cache = join(dir, "cache-corrupt");
    const first = await hostTags(cache);
    const [name] = cacheFiles(cache);
    const file = join(cache, "pystore", name);
    writeFileSync(file, '{"format": 1, "probe": {"markers": ');
    const before = probes();
    expect(await hostTags(cache)).toEqual(first);
    expect(probes()).toBe(before + 1);
    expect(() => JSON.parse(readFileSync(file, "utf8"))).not.toThrow();
    await hostTags(cache);
    expect(probes()).toBe(before + 1);
  });

  it("still works, probing every time, when the cache directory cannot be created or is switched off", async () => {
    // A regular file where the cache directory should be: mkdir fails even for root, unlike chmod.
    const blocked = join(dir, "not-a-dir");
    writeFileSync(blocked, "");
    const before = probes();
    const first = await hostTags(blocked);
    await hostTags(blocked);
    expect(probes()).toBe(before + 2);

    const off = join(dir, "cache-off");
    mkdirSync(off);
    expect(await hostTags(off, { PYSTORE_NO_HOST_CACHE: "1" })).toEqual(first);
    await hostTags(off, { PYSTORE_NO_HOST_CACHE: "1" });
    expect(probes()).toBe(before + 4);
    expect(cacheFiles(off)).toEqual([]);
  });
});
