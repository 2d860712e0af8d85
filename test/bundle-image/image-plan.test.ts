// The pure parts of image bundles: which executable the image runs, the prefix, PATH merged into a
// base's Env, targets as OCI platforms, and the config on top of a base.

import { describe, expect, it } from "vitest";
import { DEFAULT_PATH, imageConfig, type ImageInput, mergeEnv } from "../../src/bundle/image/config.js";
import { chooseEntrypoint, imagePrefix } from "../../src/bundle/image/entrypoint.js";
import { checkBasePlatform, platformOfTag, targetPlatform } from "../../src/bundle/image/platform.js";
import { resolveTarget } from "../../src/standards/targets.js";

const exe = (name: string, origin = "[project.scripts]") => ({ name, kind: "entry" as const, target: "m:f", origin });

describe("chooseEntrypoint", () => {
  it.each([
    ["the only executable", { name: "app", executables: [exe("tool", "dep 1.0 (console_scripts)")] }, "tool"],
    [
      "the project's only one among dependencies'",
      { name: "app", executables: [exe("alembic", "alembic 1.0 (console_scripts)"), exe("serve")] },
      "serve",
    ],
    ["the one named like the project", { name: "My_App", executables: [exe("my-app"), exe("worker")] }, "my-app"],
    ["none when there are none", { name: "app", executables: [] }, undefined],
  ])("picks %s", (_label, manifest, expected) => {
    expect(chooseEntrypoint(manifest, undefined)).toBe(expected);
  });

  it("takes the requested one, and refuses an unknown or an ambiguous choice, listing the executables", () => {
    const manifest = { name: "app", executables: [exe("a"), exe("b", "[tool.pystore.scripts]")] };
    expect(chooseEntrypoint(manifest, "b")).toBe("b");
    expect(() => chooseEntrypoint(manifest, "c")).toThrow(/--entrypoint "c" is not an executable of the bundle/);
    try {
      chooseEntrypoint(manifest, undefined);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe("the bundle has 2 executables; say which one the image runs with --entrypoint NAME");
      expect((error as { hint: string }).hint).toBe("choose one of: a ([project.scripts]), b ([tool.pystore.scripts])");
    }
  });
});

describe("imagePrefix", () => {
  it("defaults to /opt/<normalised name> and refuses what is not an absolute normalised path", () => {
    expect(imagePrefix("My_App", undefined)).toBe("/opt/my-app");
    expect(imagePrefix("x", "/srv/app")).toBe("/srv/app");
    for (const bad of ["srv/app", "/", "/srv/../etc", "/srv//app", "/srv/app/", "/srv/a b", "/srv/./app"])
      expect(() => imagePrefix("x", bad), bad).toThrow(/--prefix/);
  });
});

describe("mergeEnv", () => {
  it("puts the bundle's bin first on the base's PATH, once, and keeps every other variable in place", () => {
    expect(mergeEnv(["LANG=C", "PATH=/usr/bin:/opt/a/bin:/bin", "X=1"], "/opt/a/bin")).toEqual([
      "LANG=C",
      "PATH=/opt/a/bin:/usr/bin:/bin",
      "X=1",
    ]);
    expect(mergeEnv(undefined, "/opt/a/bin")).toEqual([`PATH=/opt/a/bin:${DEFAULT_PATH}`]);
    expect(mergeEnv(["LANG=C"], "/opt/a/bin")).toEqual([`PATH=/opt/a/bin:${DEFAULT_PATH}`, "LANG=C"]);
  });
});

describe("platforms", () => {
  it("maps Linux targets and platform tags to GOOS/GOARCH, and refuses other systems", () => {
    expect(targetPlatform(resolveTarget("manylinux_x86_64", "3.11"))).toEqual({ os: "linux", architecture: "amd64" });
    expect(targetPlatform(resolveTarget("manylinux_aarch64", "3.11"))).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(platformOfTag("musllinux_1_2_armv7l", "t")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(platformOfTag("manylinux2014_x86_64", "t")).toEqual({ os: "linux", architecture: "amd64" });
    expect(() => targetPlatform(resolveTarget("win_amd64", "3.11"))).toThrow(/an OCI image runs Linux processes; the target .* is win32/);
    expect(() => platformOfTag("macosx_11_0_arm64", "t")).toThrow(/runs Linux processes/);
  });

  it("accepts a base that leaves the variant out, and names both platforms when they differ", () => {
    expect(() =>
      checkBasePlatform({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "arm64", variant: "v8" }, "t", "b"),
    ).not.toThrow();
    expect(() =>
      checkBasePlatform({ os: "linux", architecture: "arm", variant: "v6" }, { os: "linux", architecture: "arm", variant: "v7" }, "t", "b"),
    ).toThrow("the base image b is linux/arm/v6, but the target t needs linux/arm/v7");
  });
});

describe("imageConfig", () => {
  const input: ImageInput = {
    manifest: {
      formatVersion: 1,
      createdBy: "pystore 9.9",
      name: "app",
      target: { id: "tgt", platform: "manylinux_2_28_x86_64", python: "3.11", implementation: "cp" },
      lock: null,
      packages: [],
      executables: [],
      paths: [],
      sitePackages: "site-packages",
      nativeCode: false,
    },
    bundleHash: "ab",
    prefix: "/opt/app",
    entrypoint: "serve",
    platform: { os: "linux", architecture: "amd64" },
    created: 315532800,
    layer: { digest: "sha256:1", size: 1, diffId: "sha256:2" },
  };

  it("keeps a base's fields, layers and history, replaces Cmd by the Entrypoint, and has no lock label without a lock", () => {
    const config = imageConfig({
      ...input,
      base: {
        digest: "sha256:b",
        layers: [],
        config: {
          architecture: "amd64",
          os: "linux",
          config: { Cmd: ["python3"], User: "app", Env: ["PATH=/usr/bin"], Labels: { a: "1", "org.opencontainers.image.title": "base" } },
          rootfs: { type: "layers", diff_ids: ["sha256:0"] },
          history: [{ created_by: "base" }],
          "os.version": "kept",
        },
      },
    });
    expect(config.config).toEqual({
      User: "app",
      Env: ["PATH=/opt/app/bin:/usr/bin"],
      Entrypoint: ["/opt/app/bin/serve"],
      WorkingDir: "/opt/app",
      Labels: {
        a: "1",
        "org.opencontainers.image.title": "app",
        "org.opencontainers.image.created": "1980-01-01T00:00:00Z",
        "dev.pystore.bundle.hash": "ab",
        "dev.pystore.bundle.target": "tgt",
      },
    });
    expect(config["os.version"]).toBe("kept");
    expect(config.rootfs.diff_ids).toEqual(["sha256:0", "sha256:2"]);
    expect(config.history).toEqual([
      { created_by: "base" },
      { created: "1980-01-01T00:00:00Z", created_by: "pystore 9.9 bundle", comment: "app for tgt" },
    ]);
  });

  it("keeps a base's Entrypoint and Cmd when the bundle has no executable", () => {
    const config = imageConfig({
      ...input,
      entrypoint: undefined,
      base: {
        digest: "d",
        layers: [],
        config: { architecture: "amd64", os: "linux", config: { Cmd: ["python3"] }, rootfs: { type: "layers", diff_ids: [] } },
      },
    });
    expect(config.config?.Cmd).toEqual(["python3"]);
    expect(config.config?.Entrypoint).toBeUndefined();
  });
});
