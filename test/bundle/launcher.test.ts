// Launchers and bootstraps run by real sh and python3 on hand-made mini bundles; .cmd text.

import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bootScript,
  cmdLauncher,
  launchConfig,
  libcRequirement,
  libcRequirementForWheels,
  pyzMain,
  shLauncher,
} from "../../src/bundle/launcher.js";
import { SYSTEM_PYTHON, run, tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("launcher");
});
afterAll(async () => {
  await dir?.cleanup();
});

const config = { python: "3.11", target: "manylinux_2_28_x86_64-cp311" };

/** A minimal hand-made bundle: one entry point printing what the bootstrap set up. */
async function miniBundle(root: string, exeConfig: Record<string, unknown> = {}): Promise<void> {
  await mkdir(join(root, "bin"), { recursive: true });
  await mkdir(join(root, ".pystore"), { recursive: true });
  await mkdir(join(root, "app/libs/src/probe"), { recursive: true });
  await mkdir(join(root, "site-packages"), { recursive: true });
  await writeFile(join(root, "site-packages/extra.pth"), "import sys; sys.pth_ran = True\n");
  await writeFile(
    join(root, "app/libs/src/probe/__init__.py"),
    "import sys, json\n\ndef main():\n    print(json.dumps({'argv': sys.argv, 'path0': sys.path[0], 'pth': getattr(sys, 'pth_ran', False), 'exit': callable(exit), 'no_user': not any('.local' in p for p in sys.path)}))\n    return 5\n",
  );
  const cfg = launchConfig(
    {
      name: "mini",
      target: config.target,
      python: "3.11",
      implementation: "CPython",
      sysPlatform: "linux",
      paths: ["app/libs/src"],
      sitePackages: "site-packages",
      ...exeConfig,
    },
    [{ name: "probe", kind: "entry", module: "probe", attr: "main", origin: "test" }],
  );
  await writeFile(join(root, ".pystore/launch.json"), JSON.stringify(cfg));
  await writeFile(join(root, ".pystore/boot.py"), bootScript());
  await writeFile(join(root, "bin/probe"), shLauncher("probe", config));
  await chmod(join(root, "bin/probe"), 0o755);
}

describe("launchers", () => {
  it("the sh launcher and both Python bootstraps are syntactically valid", async () => {
    await writeFile(join(dir.path, "l.sh"), shLauncher("it's", config));
    expect(run("sh", ["-n", join(dir.path, "l.sh")]).status).toBe(0);
    for (const [name, text] of [
      ["boot.py", bootScript()],
      ["main.py", pyzMain()],
    ]) {
      await writeFile(join(dir.path, name), text);
      const compiled = run(SYSTEM_PYTHON, ["-m", "py_compile", join(dir.path, name)]);
      expect(compiled.stderr).toBe("");
    }
  });

  it("runs the entry point with argv[0] as invoked, the exit code passed through, .pth files run and builtins present", async () => {
    // A space and a quote in the path: every expansion in the launcher must be quoted.
    const root = join(dir.path, "mini it's here");
    await miniBundle(root);
    const out = run(join(root, "bin/probe"), ["--flag", "two words"], { env: { PATH: "/usr/bin:/bin", HOME: join(dir.path, "home") } });
    expect(out.status).toBe(5);
    const seen = JSON.parse(out.stdout);
    expect(seen.argv).toEqual([join(root, "bin/probe"), "--flag", "two words"]);
    expect(seen.path0).toBe(join(root, "app/libs/src"));
    expect(seen.pth).toBe(true);
    expect(seen.exit).toBe(true);
  });

  it("prefers $PYSTORE_PYTHON and explains a missing interpreter", async () => {
    const root = join(dir.path, "mini2");
    await miniBundle(root);
    const bogus = run(join(root, "bin/probe"), [], {
      env: { PATH: "/nonexistent-bin", PYSTORE_PYTHON: SYSTEM_PYTHON, HOME: join(dir.path, "home") },
    });
    expect(bogus.status).toBe(5);
    const none = run("/bin/sh", [join(root, "bin/probe")], { env: { PATH: "/nonexistent-bin" } });
    expect(none.status).toBe(127);
    expect(none.stderr).toContain("probe: no Python found: this bundle needs Python 3.11");
  });

  it("checks the machine only when the bundle holds compiled code", async () => {
    const root = join(dir.path, "mini3");
    await miniBundle(root, { machine: "aarch64" });
    const out = run(join(root, "bin/probe"), [], { env: { PATH: "/usr/bin:/bin", HOME: join(dir.path, "home") } });
    if (process.arch === "x64") {
      expect(out.status).toBe(1);
      expect(out.stderr).toContain("needs platform linux aarch64 (found linux x86_64)");
    } else {
      expect(out.status).toBe(5);
    }
  });

  it("checks the C library of bundles with compiled code: glibc at least the target's, or musl", async () => {
    // What this machine's Python reports, asked independently of the bootstrap.
    const host = run(SYSTEM_PYTHON, ["-c", "import os; print(os.confstr('CS_GNU_LIBC_VERSION') or '')"]).stdout.trim();
    const env = { PATH: "/usr/bin:/bin", HOME: join(dir.path, "home") };
    const machine = process.arch === "arm64" ? "aarch64" : "x86_64";

    const newer = join(dir.path, "mini-glibc-new");
    await miniBundle(newer, { machine, libc: { kind: "glibc", version: "2.99" } });
    const refused = run(join(newer, "bin/probe"), [], { env });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe("");
    const found = host.startsWith("glibc ") ? host : "an unknown C library";
    expect(refused.stderr).toContain(
      `probe: this bundle was built for target ${config.target} and needs glibc 2.99 or newer (found ${found})`,
    );
    expect(refused.stderr).toContain("hint: run it on a machine with glibc 2.99 or newer");
    expect(run(join(newer, "bin/probe"), [], { env: { ...env, PYSTORE_NO_TARGET_CHECK: "1" } }).status).toBe(5);

    const musl = join(dir.path, "mini-musl");
    await miniBundle(musl, { machine, libc: { kind: "musl", version: "1.2" } });
    const notMusl = run(join(musl, "bin/probe"), [], { env });
    if (host.startsWith("glibc ")) {
      expect(notMusl.status).toBe(1);
      expect(notMusl.stderr).toContain(`needs musl libc (found ${host})`);
    }

    if (host.startsWith("glibc ")) {
      // 2.17 is older than any glibc a Python 3.11 machine has (and 2.5 compares as a version, not text).
      for (const version of ["2.17", "2.5"]) {
        const older = join(dir.path, `mini-glibc-${version}`);
        await miniBundle(older, { machine, libc: { kind: "glibc", version } });
        const ran = run(join(older, "bin/probe"), [], { env });
        expect(ran.stderr).toBe("");
        expect(ran.status).toBe(5);
      }
    }
  });

  it("reads the libc requirement from manylinux and musllinux platform names only", () => {
    expect(libcRequirement("manylinux_2_28_x86_64")).toEqual({ kind: "glibc", version: "2.28" });
    expect(libcRequirement("manylinux2014_aarch64")).toEqual({ kind: "glibc", version: "2.17" });
    expect(libcRequirement("manylinux1_x86_64")).toEqual({ kind: "glibc", version: "2.5" });
    expect(libcRequirement("musllinux_1_1_x86_64")).toEqual({ kind: "musl", version: "1.1" });
    expect(libcRequirement("linux_x86_64")).toBeUndefined();
    expect(libcRequirement("macosx_11_0_arm64")).toBeUndefined();
    expect(libcRequirement("win_amd64")).toBeUndefined();
  });

  it("asks for the libc the compiled wheels need, not the target's", () => {
    const host = "manylinux_2_36_x86_64";
    expect(libcRequirementForWheels([["manylinux_2_17_x86_64", "manylinux2014_x86_64"]], host)).toEqual({ kind: "glibc", version: "2.17" });
    expect(libcRequirementForWheels([["manylinux_2_17_x86_64"], ["manylinux_2_28_x86_64"]], host)).toEqual({
      kind: "glibc",
      version: "2.28",
    });
    expect(libcRequirementForWheels([["manylinux1_x86_64"], ["manylinux_2_12_x86_64"]], host)).toEqual({ kind: "glibc", version: "2.12" });
    // A plain linux_* wheel promises nothing: only the target vouches for it.
    expect(libcRequirementForWheels([["manylinux_2_17_x86_64"], ["linux_x86_64"]], host)).toEqual({ kind: "glibc", version: "2.36" });
    expect(libcRequirementForWheels([["musllinux_1_1_x86_64"]], "musllinux_1_2_x86_64")).toEqual({ kind: "musl", version: "1.1" });
    expect(libcRequirementForWheels([["manylinux_2_17_x86_64"]], "macosx_11_0_arm64")).toBeUndefined();
  });

  it("caches bytecode under an absolute, writable cache home only; relative or missing homes leave the prefix alone", async () => {
    const root = join(dir.path, "mini-pycache");
    await miniBundle(root);
    await writeFile(
      join(root, "app/libs/src/probe/__init__.py"),
      "import sys, json\n\ndef main():\n    print(json.dumps(sys.pycache_prefix))\n    return 0\n",
    );
    const cwd = join(dir.path, "pycache-cwd");
    await mkdir(cwd, { recursive: true });
    const probe = (env: Record<string, string>) => {
      const out = run(join(root, "bin/probe"), [], { cwd, env: { PATH: "/usr/bin:/bin", ...env } });
      expect(out.stderr).toBe("");
      return JSON.parse(out.stdout) as string | null;
    };

    const home = join(dir.path, "pycache-home");
    await mkdir(home, { recursive: true });
    const prefix = probe({ HOME: home });
    expect(prefix).toBe(join(home, ".cache/pystore/pycache"));
    // The bytecode really went there (the prefix mirrors the source directory's absolute path).
    expect(readdirSync(prefix!, { recursive: true }).some((f) => String(f).endsWith(".pyc"))).toBe(true);
    expect(probe({ HOME: home, XDG_CACHE_HOME: join(dir.path, "xdg") })).toBe(join(dir.path, "xdg/pystore/pycache"));

    // Relative bases would resolve against the current directory: ignored (XDG falls back to HOME).
    expect(probe({ HOME: "nonexistent" })).toBeNull();
    expect(probe({ HOME: home, XDG_CACHE_HOME: "rel-cache" })).toBe(join(home, ".cache/pystore/pycache"));
    expect(probe({ HOME: "nonexistent", XDG_CACHE_HOME: "rel-cache" })).toBeNull();
    // A missing absolute HOME would need new directories under "/": left alone too, even for root.
    expect(probe({ HOME: "/nonexistent-pystore-home" })).toBeNull();
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync("/nonexistent-pystore-home")).toBe(false);
  });

  it("writes .cmd launchers with CRLF line ends for Windows targets", () => {
    const text = cmdLauncher("tool", { python: "3.12", target: "win_amd64-cp312" });
    expect(text.split("\r\n")[0]).toBe("@echo off");
    expect(text).toContain('set "PYSTORE_PY=py -3.12"');
    expect(text).toContain('-S -s -E "%PYSTORE_ROOT%\\.pystore\\boot.py" "tool" "%~f0" %*');
    expect(text.replace(/\r\n/g, "")).not.toContain("\n");
  });
});
