// Bundle planning with plain data: which packages go in, the launch files each format carries, systemd
// units, the manifest skeleton, and the options a format refuses. No files, no store, no Python.

import { describe, expect, it } from "vitest";
import type { ProjectInfo } from "../../src/bundle/app-code.js";
import { bundleFormat, chooseFormat } from "../../src/bundle/formats/registry.js";
import { planBundle, planSelection, type ContentsInput } from "../../src/bundle/plan.js";
import type { InstalledWheel } from "../../src/install/core.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { lockFor, GREETLIB } from "../../fixtures/projects.js";

const target = resolveTarget("manylinux_x86_64", "3.11");
const greet = {
  filename: "greetlib-1.0.0-py3-none-any.whl",
  name: GREETLIB.name,
  version: GREETLIB.version,
  sha256: "ab".repeat(32),
  size: 100,
};
const native = {
  filename: "fastmath-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl",
  name: "fastmath",
  version: "1.0.0",
  sha256: "CD".repeat(32),
  size: 100,
};
const lock = parsePylock(lockFor([greet, native].map((wheel) => ({ wheel: wheel as never, path: wheel.filename }))));

const project: ProjectInfo = {
  dir: "/work/web",
  name: "Hello_Web",
  libs: [],
  projectScripts: { "hello-web": "hello_web.server:main" },
  toolScripts: { tool: "bin/tool.py" },
};

function installed(name: string, opts: Partial<InstalledWheel> = {}): InstalledWheel {
  return {
    filename: `${name}-1.0.0-py3-none-any.whl`,
    name,
    version: "1.0.0",
    distInfo: `site-packages/${name}-1.0.0.dist-info`,
    files: [],
    entryPoints: [],
    pythonScripts: [],
    hasNativeCode: false,
    ...opts,
  };
}

function contents(extra: Partial<ContentsInput> = {}): ContentsInput {
  const selection = planSelection({ lock, target, project, format: bundleFormat("dir") });
  return {
    selection,
    target,
    format: bundleFormat("dir"),
    project,
    installed: [installed("greetlib")],
    paths: ["app/libs/src"],
    depScripts: false,
    lockSha256: "11".repeat(32),
    createdBy: "pystore test",
    ...extra,
  };
}

describe("planSelection", () => {
  it("selects the target's wheels, names the bundle after the project and lists each digest once, lower-case", () => {
    const selection = planSelection({ lock, target, project, format: bundleFormat("tar.gz") });
    expect(selection.name).toBe("Hello_Web");
    expect(selection.packages.map((p) => p.wheel.name)).toEqual([native.filename, greet.filename]);
    expect(selection.digests).toEqual(["ab".repeat(32), "cd".repeat(32)]);
    expect(planSelection({ lock, target, format: bundleFormat("dir") }).name).toBe("bundle");
  });

  it("resolves the unit prefix from the canonical name and refuses --systemd where the format cannot carry it", () => {
    expect(planSelection({ lock, target, project, format: bundleFormat("dir"), systemd: {} }).units).toEqual({
      prefix: "/opt/hello-web",
      user: undefined,
    });
    expect(() => planSelection({ lock, target, project, format: bundleFormat("pyz"), systemd: {} })).toThrow(
      /--systemd needs a dir or tar.gz/,
    );
    expect(() => planSelection({ lock, target, project, format: bundleFormat("dir"), systemd: { prefix: "opt" } })).toThrow(/--prefix/);
  });
});

describe("planBundle", () => {
  it("a tree bundle: launch config, bootstrap, one sh launcher per executable, units when asked", () => {
    const input = contents();
    input.selection = planSelection({ lock, target, project, format: bundleFormat("dir"), systemd: { user: "www" } });
    const plan = planBundle(input);
    expect(plan.executables.map((e) => e.name)).toEqual(["hello-web", "tool"]);
    expect(plan.files.map((f) => [f.path, f.mode.toString(8)])).toEqual([
      [".pystore/launch.json", "644"],
      [".pystore/boot.py", "644"],
      ["bin/hello-web", "755"],
      ["bin/tool", "755"],
      ["systemd/hello-web.service", "644"],
      ["systemd/hello-web-tool.service", "644"],
    ]);
    expect(plan.files.find((f) => f.path === "systemd/hello-web-tool.service")?.text).toContain(
      "ExecStart=/opt/hello-web/bin/tool\nWorkingDirectory=/opt/hello-web\n",
    );
    expect(plan.scripts).toEqual([
      { name: "tool", origin: "[tool.pystore.scripts]", path: "app/scripts/bin/tool.py", source: "/work/web/bin/tool.py" },
    ]);
    const config = JSON.parse(plan.files[0].text);
    expect(config).toMatchObject({
      formatVersion: 1,
      name: "Hello_Web",
      python: "3.11",
      implementation: "CPython",
      paths: ["app/libs/src"],
    });
    expect(config.machine).toBeUndefined();
    expect(config.libc).toBeUndefined();
  });

  it("the manifest skeleton: packages by canonical name, executables with their targets, no file list", () => {
    const plan = planBundle(contents());
    expect(plan.manifest).toEqual({
      formatVersion: 1,
      createdBy: "pystore test",
      name: "Hello_Web",
      target: { id: target.id, platform: target.platform, python: "3.11", implementation: "cp" },
      lock: { sha256: "11".repeat(32) },
      packages: [
        { name: "fastmath", version: "1.0.0", wheel: native.filename, sha256: "cd".repeat(32) },
        { name: "greetlib", version: "1.0.0", wheel: greet.filename, sha256: "ab".repeat(32) },
      ],
      executables: [
        { name: "hello-web", kind: "entry", target: "hello_web.server:main", origin: "[project.scripts]" },
        { name: "tool", kind: "script", target: "app/scripts/bin/tool.py", origin: "[tool.pystore.scripts]" },
      ],
      paths: ["app/libs/src"],
      sitePackages: "site-packages",
      nativeCode: false,
    });
  });

  it("compiled code adds the machine and the glibc its wheels need to the launch config", () => {
    const wheel = installed("fastmath", { filename: native.filename, hasNativeCode: true });
    const plan = planBundle(contents({ installed: [wheel] }));
    expect(JSON.parse(plan.files[0].text)).toMatchObject({ machine: "x86_64", libc: { kind: "glibc", version: "2.17" } });
    expect(plan.manifest.nativeCode).toBe(true);
  });

  it("Windows targets get .cmd launchers", () => {
    const win = resolveTarget("win_amd64", "3.12");
    const plan = planBundle(contents({ target: win }));
    expect(plan.files.filter((f) => f.path.startsWith("bin/")).map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ["bin/hello-web.cmd", "644"],
      ["bin/tool.cmd", "644"],
    ]);
  });

  it("a .pyz: __main__.py and a launch config keyed by the site-packages files, extracting only compiled code", () => {
    const siteFiles = [{ path: "greetlib/__init__.py", sha256: "00".repeat(32), mode: "0644" }];
    const plan = planBundle(contents({ format: bundleFormat("pyz"), siteFiles }));
    expect(plan.files.map((f) => f.path)).toEqual([".pystore/launch.json", "__main__.py"]);
    const config = JSON.parse(plan.files[0].text);
    expect(config.extract).toBe(false);
    expect(config.bundleHash).toMatch(/^[0-9a-f]{64}$/);
    const other = JSON.parse(planBundle(contents({ format: bundleFormat("pyz"), siteFiles: [] })).files[0].text);
    expect(other.bundleHash).not.toBe(config.bundleHash);
    expect(() => planBundle(contents({ format: bundleFormat("pyz") }))).toThrow(/site-packages file list/);
  });

  it("reports shadowed executables as warnings instead of logging them", () => {
    const wheel = installed("greetlib", { entryPoints: [{ group: "console_scripts", name: "tool", module: "greetlib", attr: "main" }] });
    const plan = planBundle(contents({ installed: [wheel], depScripts: true }));
    expect(plan.warnings).toEqual([
      'executable "tool" from greetlib 1.0.0 (console_scripts) is shadowed by the one from [tool.pystore.scripts]',
    ]);
  });
});

describe("chooseFormat", () => {
  it.each([
    [undefined, "out", "dir"],
    [undefined, "out.tar.gz", "tar.gz"],
    [undefined, "out.tgz", "tar.gz"],
    [undefined, "out.pyz", "pyz"],
    ["dir", "out.pyz", "dir"],
  ])("--format %s -o %s → %s", (format, out, expected) => {
    expect(chooseFormat(format, out)).toBe(expected);
  });

  it("refuses an unknown --format, naming the known ones", () => {
    expect(() => chooseFormat("zip", "out")).toThrow(/unknown --format "zip"/);
    expect(() => chooseFormat("toString", "out")).toThrow(/unknown --format/);
  });
});
