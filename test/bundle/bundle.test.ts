// buildBundle end to end (library level): real wheels, a real store, real Python running the launchers.

import { copyFile, readFile, readdir, stat, symlink, writeFile, rename, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { lockFor, writeTwoExecutables, GREETLIB, writeWebApp } from "../../fixtures/projects.js";
import { buildBundle, type BundleRequest } from "../../src/bundle/bundle.js";
import { MANIFEST_FILE, verifyBundle } from "../../src/bundle/manifest.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import { PystoreError } from "../../src/errors.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { openStore, type Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { SYSTEM_PYTHON, run, tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
let store: Store;
let pipWheel: string;
let greet: BuiltWheel;
const target = resolveTarget("manylinux_x86_64", "3.11");
const cleanEnv: Record<string, string> = { PATH: "/usr/bin:/bin" };

beforeAll(async () => {
  dir = await tempDir("bundle");
  // Python's bytecode cache goes under $HOME/.cache: keep it inside the test's temp dir.
  cleanEnv.HOME = join(dir.path, "home");
  store = await openStore({ dir: join(dir.path, "store") });
  const pipName = (await readdir("/usr/share/python-wheels")).find((f) => f.startsWith("pip-"))!;
  await mkdir(join(dir.path, "wheels"), { recursive: true });
  pipWheel = join(dir.path, "wheels", pipName);
  await copyFile(join("/usr/share/python-wheels", pipName), pipWheel);
  greet = await buildWheel(GREETLIB, join(dir.path, "wheels"));
});
afterAll(async () => {
  store?.close();
  await dir?.cleanup();
});

let n = 0;
function request(lockText: string, extra: Partial<BundleRequest>): BundleRequest {
  return {
    lock: parsePylock(lockText),
    lockText,
    lockDir: join(dir.path, "wheels"),
    target,
    out: join(dir.path, `out-${n++}`),
    format: "dir",
    mtime: DEFAULT_EPOCH,
    store,
    log: silentLogger,
    offline: true,
    ...extra,
  };
}

describe("buildBundle", () => {
  it("bundles pip with --dep-scripts; bin/pip runs through the launcher, also via a symlink", async () => {
    const pip = await buildWheelFromFile(pipWheel);
    const req = request(lockFor([{ wheel: pip, path: pip.filename }]), { depScripts: true });
    const result = await buildBundle(req);
    expect(result.executables).toContain("pip");
    const out = run(join(result.out, "bin/pip"), ["--version"], { env: cleanEnv });
    expect(out.stderr).toBe("");
    expect(out.stdout).toMatch(new RegExp(`^pip \\d+\\.\\d+(\\.\\d+)? from ${result.out}/site-packages/pip \\(python 3\\.11\\)`));
    const link = join(dir.path, `pip-link-${n}`);
    await symlink(join(result.out, "bin/pip"), link);
    expect(run(link, ["--version"], { env: cleanEnv }).stdout).toContain(`${result.out}/site-packages/pip`);
    expect(await verifyBundle(result.out)).toEqual({ changed: [], missing: [], extra: [] });
  });

  it("two script executables and an entry point share src/ and ../common-lib", async () => {
    const { project } = await writeTwoExecutables(join(dir.path, `proj-${n}`));
    const result = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project }));
    expect(result.executables).toEqual(["thing-a", "thing-b", "thing-c"]);
    const a = run(join(result.out, "bin/thing-a"), ["x", "y"], { env: cleanEnv });
    expect(a.stdout).toBe("A FROM SHARED! ['x', 'y'] __main__\n");
    const b = run(join(result.out, "bin/thing-b"), ["7"], { env: cleanEnv });
    expect(b.stdout).toBe("b from shared thing_b.py\n");
    expect(b.status).toBe(7);
    const c = run(join(result.out, "bin/thing-c"), ["z"], { env: cleanEnv });
    expect(c.stdout).toBe("C Z!\n");
    expect(c.status).toBe(3);
    const manifest = JSON.parse(await readFile(join(result.out, MANIFEST_FILE), "utf8"));
    expect(manifest.paths).toEqual(["app/libs/src", "app/libs/common-lib"]);
  });

  it("runs isolated: PYTHONPATH, the current directory and the user site are ignored", async () => {
    const project = join(dir.path, `iso-${n}`);
    await writeWebApp(project);
    const evil = join(dir.path, `evil-${n}`);
    await mkdir(join(evil, "greetlib"), { recursive: true });
    await writeFile(join(evil, "greetlib/__init__.py"), "raise SystemExit('shadowed!')\n");
    await writeFile(join(project, "probe.py"), "");
    const result = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project }));
    const probe = run("/bin/sh", ["-c", `cd ${evil} && PYTHONPATH=${evil} ${join(result.out, "bin/hello-web")} not-a-port`], {
      env: { ...cleanEnv, PYTHONPATH: evil },
    });
    // main() fails parsing the port, after greetlib imported fine from site-packages (not the shadow).
    expect(probe.stderr).toContain("ValueError");
    expect(probe.stderr).not.toContain("shadowed!");
  });

  it("refuses a wrong Python with a message naming expected and found", async () => {
    const other = resolveTarget("manylinux_x86_64", "3.12");
    const { project } = await writeTwoExecutables(join(dir.path, `proj-${n}`));
    const result = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project, target: other }));
    const out = run(join(result.out, "bin/thing-a"), [], { env: { ...cleanEnv, PYSTORE_PYTHON: SYSTEM_PYTHON } });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(
      "thing-a: this bundle was built for target manylinux_2_28_x86_64-cp312 and needs Python CPython 3.12 (found CPython 3.11",
    );
    expect(out.stderr).toContain("hint: install Python 3.12");
    expect(out.stdout).toBe("");
  });

  it("reports OFFLINE_MISSING naming wheels that are neither stored nor local", async () => {
    const ghost = await buildWheel({ name: "ghost", version: "1.0" }, join(dir.path, "ghost"));
    const req = request(lockFor([{ wheel: ghost, url: "https://example.invalid/ghost-1.0-py3-none-any.whl" }]), {});
    const error = await buildBundle(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("OFFLINE_MISSING");
    expect((error as PystoreError).message).toContain("ghost-1.0-py3-none-any.whl");
    await expect(stat(req.out)).rejects.toThrow();
  });

  it("replaces an older bundle at OUT atomically but refuses to replace anything else", async () => {
    const { project } = await writeTwoExecutables(join(dir.path, `proj-${n}`));
    const first = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project }));
    await writeFile(join(first.out, "bin/stale-extra"), "old");
    const second = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project, out: first.out }));
    expect(second.out).toBe(first.out);
    expect(await verifyBundle(second.out)).toEqual({ changed: [], missing: [], extra: [] });
    const precious = join(dir.path, `precious-${n}`);
    await mkdir(precious);
    await writeFile(join(precious, "keep.txt"), "mine");
    const error = await buildBundle(
      request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project, out: precious }),
    ).catch((e: unknown) => e);
    expect((error as PystoreError).code).toBe("BUNDLE_FAILED");
    expect(await readdir(precious)).toEqual(["keep.txt"]);
    expect((await readdir(dir.path)).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  });

  it("gives a wheel's #!python .data/scripts launchers (with --dep-scripts) that see the bundle's site-packages", async () => {
    const tool = await buildWheel(
      {
        name: "datatool",
        version: "2.0",
        files: {
          "datatool/__init__.py": "VALUE = 'from site-packages'\n",
          // Imports its own package: only works with the bundle's sys.path, not a bare python3.
          "datatool-2.0.data/scripts/datatool-run":
            "#!python\nimport sys, datatool\nprint(datatool.VALUE, sys.argv[1:], __name__)\nsys.exit(4)\n",
          "datatool-2.0.data/scripts/shell-helper": "#!/bin/sh\necho shell\n",
        },
        modes: { "datatool-2.0.data/scripts/shell-helper": 0o755 },
      },
      join(dir.path, "wheels"),
    );
    const lock = lockFor([{ wheel: tool, path: tool.filename }]);
    const result = await buildBundle(request(lock, { depScripts: true }));
    // Only the Python script gets a launcher; both stay in scripts/.
    expect(result.executables).toEqual(["datatool-run"]);
    expect((await readdir(join(result.out, "scripts"))).sort()).toEqual(["datatool-run", "shell-helper"]);
    const out = run(join(result.out, "bin/datatool-run"), ["a", "b c"], { env: cleanEnv });
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe("from site-packages ['a', 'b c'] __main__\n");
    expect(out.status).toBe(4);
    const manifest = JSON.parse(await readFile(join(result.out, MANIFEST_FILE), "utf8"));
    expect(manifest.executables).toEqual([
      { name: "datatool-run", kind: "script", target: "scripts/datatool-run", origin: "datatool 2.0 (.data/scripts)" },
    ]);
    expect(await verifyBundle(result.out)).toEqual({ changed: [], missing: [], extra: [] });

    // A .pyz runs the same script from inside the archive.
    const pyz = await buildBundle(request(lock, { depScripts: true, format: "pyz", out: join(dir.path, `datatool-${n}.pyz`) }));
    const zipped = run(SYSTEM_PYTHON, [pyz.out, "x"], { env: cleanEnv });
    expect(zipped.stderr).toBe("");
    expect(zipped.stdout).toBe("from site-packages ['x'] __main__\n");

    // Without --dep-scripts: no launcher, the file is still installed.
    const plain = await buildBundle(request(lock, {}));
    expect(plain.executables).toEqual([]);
    expect((await readdir(join(plain.out, "scripts"))).sort()).toEqual(["datatool-run", "shell-helper"]);
  });

  it("a bundle with compiled code for a newer glibc than the machine's refuses to start, naming both", async () => {
    const host = run(SYSTEM_PYTHON, ["-c", "import os; print(os.confstr('CS_GNU_LIBC_VERSION') or '')"]).stdout.trim();
    const nativeFiles = { "nativepkg/__init__.py": "", "nativepkg/_speedups.cpython-311-x86_64-linux-gnu.so": "not really ELF" };
    const wheelsDir = join(dir.path, "wheels");
    // The requirement comes from the compiled wheels' own tags: a wheel built for glibc 2.99 needs 2.99.
    const futureWheel = await buildWheel(
      { name: "nativepkg", version: "1.0", tags: "cp311-cp311-manylinux_2_99_x86_64", files: nativeFiles },
      wheelsDir,
    );
    const { project } = await writeTwoExecutables(join(dir.path, `proj-${n}`));
    const future = await buildBundle(
      request(lockFor([{ wheel: futureWheel, path: futureWheel.filename }]), {
        projectDir: project,
        target: resolveTarget("manylinux_2_99_x86_64", "3.11"),
      }),
    );
    const launch = JSON.parse(await readFile(join(future.out, ".pystore/launch.json"), "utf8"));
    expect(launch.libc).toEqual({ kind: "glibc", version: "2.99" });
    const out = run(join(future.out, "bin/thing-c"), [], { env: cleanEnv });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(`thing-c: this bundle was built for target manylinux_2_99_x86_64-cp311 and needs`);
    expect(out.stderr).toContain(`glibc 2.99 or newer (found ${host.startsWith("glibc ") ? host : "an unknown C library"})`);

    // A manylinux_2_17 wheel in a bundle for the default target (glibc 2.28) asks only for 2.17.
    const todayWheel = await buildWheel(
      { name: "nativepkg", version: "1.0", tags: "cp311-cp311-manylinux_2_17_x86_64", files: nativeFiles },
      wheelsDir,
    );
    const lock = lockFor([{ wheel: todayWheel, path: todayWheel.filename }]);
    const today = await buildBundle(request(lock, { projectDir: project }));
    expect(JSON.parse(await readFile(join(today.out, ".pystore/launch.json"), "utf8")).libc).toEqual({ kind: "glibc", version: "2.17" });
    if (process.arch === "x64" && host.startsWith("glibc ") && Number(host.split(".")[1]) >= 17) {
      const ok = run(join(today.out, "bin/thing-c"), ["z"], { env: cleanEnv });
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toBe("C Z!\n");
    }
    // Pure bundles carry no libc requirement.
    const pure = await buildBundle(
      request(lockFor([{ wheel: greet, path: greet.filename }]), {
        projectDir: project,
        target: resolveTarget("manylinux_2_99_x86_64", "3.11"),
      }),
    );
    expect(JSON.parse(await readFile(join(pure.out, ".pystore/launch.json"), "utf8")).libc).toBeUndefined();
  });

  it("verify names changed, missing and extra files", async () => {
    const { project } = await writeTwoExecutables(join(dir.path, `proj-${n}`));
    const result = await buildBundle(request(lockFor([{ wheel: greet, path: greet.filename }]), { projectDir: project }));
    await writeFile(join(result.out, "app/libs/src/shared/__init__.py"), "NAME = 'tampered'\n");
    await rename(join(result.out, "bin/thing-b"), join(result.out, "bin/thing-b.bak"));
    expect(await verifyBundle(result.out)).toEqual({
      changed: ["app/libs/src/shared/__init__.py"],
      missing: ["bin/thing-b"],
      extra: ["bin/thing-b.bak"],
    });
  });
});

async function buildWheelFromFile(path: string): Promise<BuiltWheel> {
  const { createHash } = await import("node:crypto");
  const bytes = await readFile(path);
  return {
    filename: path.split("/").pop()!,
    path,
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    metadata: "",
  };
}
