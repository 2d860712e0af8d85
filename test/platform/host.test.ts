// Host detection and target loading, checked against the machine's own python3 and pypa/packaging.

import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectHost, interpret } from "../../src/platform/host.js";
import { loadTarget } from "../../src/platform/target-loader.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { refusal } from "../helpers/refusal.js";
import { packagingTags, type HostAnswer } from "./packaging-oracle.js";

// One python3 run for the whole file: pypa/packaging's view of this machine.
const oracle = packagingTags([{ kind: "host" }])?.[0] as HostAnswer | undefined;
const dir = mkdtempSync(join(tmpdir(), "pystore-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// detectHost() reads process.env: keep its on-disk probe cache in the temp dir (each test file runs in its own process).
process.env.XDG_CACHE_HOME = join(dir, "cache");

// Host detection needs a python3; machines without one cannot run these.
describe.skipIf(!oracle)("the host target", () => {
  const { pip, sys_tags: sysTags, markers: hostMarkers } = oracle!;

  it("has pip's supported-tag list, tag for tag", async () => {
    const target = await loadTarget("host", undefined);
    expect(pip.length).toBeGreaterThan(10);
    expect(target.tags).toEqual(pip);
  });

  it("differs from this packaging's sys_tags() only by cp3X-none-any (added in packaging 22)", async () => {
    const target = await loadTarget("host", undefined);
    const interpreterAny = `cp${target.python.replace(".", "")}-none-any`;
    const withoutInterpreterAny = target.tags.filter((t) => t !== interpreterAny);
    if (sysTags.includes(interpreterAny)) expect(target.tags).toEqual(sysTags);
    else expect(withoutInterpreterAny).toEqual(sysTags);
  });

  it("reports packaging's default marker environment", async () => {
    const target = await loadTarget("host", undefined);
    expect(target.markers).toEqual(hostMarkers);
    expect(target.id).toBe(`${target.platform}-cp${hostMarkers.python_version!.replace(".", "")}`);
  });

  it("is detected once per process", async () => {
    expect(detectHost()).toBe(detectHost());
  });

  it("keeps the host platform but takes another Python from --python", async () => {
    const host = await loadTarget("host", undefined);
    const other = host.python === "3.9" ? "3.10" : "3.9";
    const target = await loadTarget("host", other);
    expect(target.platform).toBe(host.platform);
    expect(target.python).toBe(other);
    expect(target.tags[0]).toBe(`cp${other.replace(".", "")}-cp${other.replace(".", "")}-${host.platform}`);
    expect(target.markers.python_version).toBe(other);
    expect(target.markers.python_full_version).toBe(`${other}.0`);
    expect(target.markers.platform_release).toBe(host.markers.platform_release);
  });

  it("uses the host's Python for a named platform when --python is absent", async () => {
    const target = await loadTarget("win_amd64", undefined);
    expect(target.python).toBe(hostMarkers.python_version);
    expect(target.platform).toBe("win_amd64");
  });
});

describe("loadTarget", () => {
  it("resolves named platforms exactly like resolveTarget", async () => {
    expect(await loadTarget("manylinux_2_17_x86_64", "3.11")).toEqual(resolveTarget("manylinux_2_17_x86_64", "3.11"));
  });

  it("rejects an unknown platform before looking at the host", async () => {
    const error = await refusal(() => loadTarget("nonsense", undefined, { env: { PYSTORE_PYTHON: "/nonexistent/python" } }));
    expect(error.code).toBe("INVALID_TARGET");
    expect(error.message).toContain("`nonsense`");
  });

  it("names the interpreter when host detection fails", async () => {
    const error = await refusal(() => loadTarget("host", undefined, { env: { PYSTORE_PYTHON: join(dir, "no-python") } }));
    expect(error.code).toBe("INVALID_TARGET");
    expect(error.message).toContain("no-python");
    expect(error.hint).toContain("--platform");
  });

  it("rejects an interpreter that does not answer the probe, and caches nothing for it", async () => {
    const liar = join(dir, "liar-python");
    writeFileSync(liar, "#!/bin/sh\necho not json\n");
    chmodSync(liar, 0o755);
    const cache = join(dir, "liar-cache");
    const error = await refusal(() => loadTarget("host", undefined, { env: { PYSTORE_PYTHON: liar, XDG_CACHE_HOME: cache } }));
    expect(error.code).toBe("INVALID_TARGET");
    expect(error.message).toContain("liar-python");
    expect(error.message).toContain("not json");
    expect(existsSync(cache)).toBe(false);
  });

  it("reads a complete platform file relative to cwd", async () => {
    const file = {
      marker_environment: {
        implementation_name: "cpython",
        os_name: "posix",
        platform_machine: "aarch64",
        platform_python_implementation: "CPython",
        platform_system: "Linux",
        python_version: "3.12",
        sys_platform: "linux",
      },
      compatible_tags: ["cp312-cp312-musllinux_1_2_aarch64", "py3-none-any"],
    };
    writeFileSync(join(dir, "plat.json"), JSON.stringify(file));
    const target = await loadTarget("plat.json", undefined, { cwd: dir });
    expect(target.id).toBe("musllinux_1_2_aarch64-cp312");
    expect(target.tags).toEqual(file.compatible_tags);
    expect((await loadTarget("plat.json", "3.12", { cwd: dir })).id).toBe(target.id);
    const conflict = await refusal(() => loadTarget("plat.json", "3.11", { cwd: dir }));
    expect(conflict.code).toBe("INVALID_TARGET");
    expect(conflict.message).toContain("Python 3.12");
  });

  it("rejects unreadable and malformed complete platform files", async () => {
    const missing = await refusal(() => loadTarget("missing.json", undefined, { cwd: dir }));
    expect(missing.code).toBe("INVALID_PLATFORM_FILE");
    expect(missing.message).toContain("`missing.json`");
    expect(missing.message).toContain("ENOENT");
    writeFileSync(join(dir, "bad.json"), "{not json");
    const bad = await refusal(() => loadTarget("bad.json", undefined, { cwd: dir }));
    expect(bad.code).toBe("INVALID_PLATFORM_FILE");
    expect(bad.message).toContain("not JSON");
    writeFileSync(join(dir, "empty.json"), JSON.stringify({ marker_environment: {}, compatible_tags: [] }));
    expect((await refusal(() => loadTarget("empty.json", undefined, { cwd: dir }))).message).toContain("is missing");
  });
});

describe("interpret (host facts → platform)", () => {
  const base = {
    markers: {
      implementation_name: "cpython",
      implementation_version: "3.12.1",
      os_name: "posix",
      platform_machine: "x86_64",
      platform_python_implementation: "CPython",
      platform_release: "6.1",
      platform_system: "Linux",
      platform_version: "#1",
      python_full_version: "3.12.1",
      python_version: "3.12",
      sys_platform: "linux",
    },
    version: [3, 12] as [number, number],
    platform: "linux-x86_64",
    is64: true,
    glibc: "glibc 2.31" as string | null,
    musl: null as [number, number] | null,
    mac: "",
  };

  it.each([
    ["glibc", {}, { os: "linux", arch: "x86_64", libc: { kind: "glibc", major: 2, minor: 31 } }],
    ["musl", { glibc: null, musl: [1, 2] }, { os: "linux", arch: "x86_64", libc: { kind: "musl", major: 1, minor: 2 } }],
    ["no libc found", { glibc: null }, { os: "linux", arch: "x86_64" }],
    ["32-bit Python on x86_64", { is64: false }, { os: "linux", arch: "i686", libc: { kind: "glibc", major: 2, minor: 31 } }],
    [
      "32-bit Python on aarch64",
      { is64: false, platform: "linux-aarch64" },
      { os: "linux", arch: "armv7l", libc: { kind: "glibc", major: 2, minor: 31 } },
    ],
    [
      "macOS arm64",
      { platform: "macosx-11.0-arm64", mac: "14.2.1", glibc: null, markers: { ...base.markers, platform_machine: "arm64" } },
      { os: "macos", arch: "arm64", version: [14, 2] },
    ],
    ["Windows", { platform: "win-amd64", glibc: null }, { os: "windows", platform: "win_amd64" }],
  ])("%s", (_label, patch, spec) => {
    expect(interpret("python3", { ...base, ...patch } as typeof base).spec).toEqual(spec);
  });

  it("refuses non-CPython interpreters and unknown platforms", () => {
    const pypy = { ...base, markers: { ...base.markers, implementation_name: "pypy" } };
    expect(() => interpret("pypy3", pypy)).toThrow(/pypy3.*pypy/);
    expect(() => interpret("python3", { ...base, platform: "freebsd-13.2-amd64" })).toThrow("freebsd-13.2-amd64");
  });
});
