// tar.gz and .pyz bundles: byte-identical across stores and checkout paths, and runnable, including a
// compiled C extension (imported from a directory bundle and, after extraction, from a .pyz).

import { chmod, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCExtensionWheel, cExtensionInfo } from "../../fixtures/c-extension.js";
import { lockFor, writeTree, writeTwoExecutables, GREETLIB } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { buildBundle, type BundleFormat } from "../../src/bundle/bundle.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { openStore } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { SYSTEM_PYTHON, patchEntryName, run, tempDir } from "./helpers.js";
import { verifyPyz } from "../../src/bundle/verify-pyz.js";
import { verifyTarGz } from "../../src/bundle/verify-tar.js";
import { detectFormat } from "../../src/bundle/formats/registry.js";

const cext = cExtensionInfo(SYSTEM_PYTHON);
const target = resolveTarget("manylinux_x86_64", "3.11");
let dir: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let lockText: string;

beforeAll(async () => {
  dir = await tempDir("formats");
  const greet = await buildWheel(GREETLIB, join(dir.path, "wheels"));
  wheels = [greet];
  if (!cext.unavailable) wheels.push(await buildCExtensionWheel(join(dir.path, "wheels"), SYSTEM_PYTHON));
  lockText = lockFor(wheels.map((wheel) => ({ wheel, path: wheel.filename })));
});
afterAll(async () => {
  await dir?.cleanup();
});

/** A checkout of the sample project plus the wheels at `root`, bundled from its own store. */
async function bundleFrom(root: string, format: BundleFormat, out: string, env: { mtime?: number } = {}): Promise<string> {
  const { project } = await writeTwoExecutables(root);
  await writeTree(project, {
    "src/shared/native.py": "import fastmath\n\n\ndef main():\n    print(fastmath.add(2, 40), fastmath.__file__.endswith('.so'))\n",
  });
  const pyproject = await readFile(join(project, "pyproject.toml"), "utf8");
  await writeTree(project, {
    "pyproject.toml": pyproject.replace('thing-c = "shared.tools:main"', 'thing-c = "shared.tools:main"\nnative = "shared.native:main"'),
  });
  await mkdir(join(root, "wheels"), { recursive: true });
  for (const wheel of wheels) await copyFile(wheel.path, join(root, "wheels", wheel.filename));
  await writeTree(root, { "pylock.toml": lockText });
  const store = await openStore({ dir: join(root, "store") });
  try {
    const result = await buildBundle({
      lock: parsePylock(lockText),
      lockText,
      lockDir: join(root, "wheels"),
      target,
      projectDir: project,
      out,
      format,
      mtime: env.mtime ?? DEFAULT_EPOCH,
      store,
      log: silentLogger,
      offline: true,
    });
    return result.out;
  } finally {
    store.close();
  }
}

describe("deterministic archives", () => {
  it.each(["tar.gz", "pyz"] as const)("two %s bundles from different stores and checkout paths are byte-identical", async (format) => {
    const a = await bundleFrom(join(dir.path, `a-${format}`), format, join(dir.path, `a-${format}`, `app.${format}`));
    const b = await bundleFrom(join(dir.path, `b-${format}`, "deeper"), format, join(dir.path, `b-${format}`, `app.${format}`));
    const bytesA = await readFile(a);
    expect(bytesA.length).toBeGreaterThan(1000);
    expect(bytesA.equals(await readFile(b))).toBe(true);
    // SOURCE_DATE_EPOCH changes the stored times, so the bytes must differ.
    const c = await bundleFrom(join(dir.path, `c-${format}`), format, join(dir.path, `c-${format}`, `app.${format}`), {
      mtime: 1700000000,
    });
    expect(bytesA.equals(await readFile(c))).toBe(false);
  });

  it("a tar.gz unpacks with tar into a runnable bundle with normalised owners and times", async () => {
    const root = join(dir.path, "tar-run");
    const archive = await bundleFrom(root, "tar.gz", join(root, "app.tar.gz"));
    const listing = run("tar", ["-tvzf", archive, "--numeric-owner"]);
    expect(listing.status).toBe(0);
    const lines = listing.stdout.trim().split("\n");
    expect(lines.every((l) => / 0\/0 /.test(l) && l.includes("1980-01-01"))).toBe(true);
    const names = run("tar", ["-tzf", archive]).stdout.trim().split("\n");
    expect(names).toEqual([...names].sort());
    expect(names).toContain("things/bin/thing-a");
    const unpack = join(root, "unpacked");
    await mkdir(unpack);
    expect(run("tar", ["-xzf", archive, "-C", unpack]).status).toBe(0);
    const out = run(join(unpack, "things/bin/thing-a"), [], { env: { PATH: "/usr/bin:/bin", HOME: join(root, "home") } });
    expect(out.stdout).toBe("A FROM SHARED! [] __main__\n");
  });

  it("a .pyz runs with python3: one executable picked by the first argument", async () => {
    const root = join(dir.path, "pyz-run");
    const pyz = await bundleFrom(root, "pyz", join(root, "app.pyz"));
    const out = run(SYSTEM_PYTHON, [pyz, "thing-c", "hi"], { env: { PATH: "/usr/bin:/bin", HOME: join(root, "home") } });
    expect(out.stdout).toBe("C HI!\n");
    expect(out.status).toBe(3);
    const script = run(SYSTEM_PYTHON, [pyz, "thing-a", "q"], { env: { PATH: "/usr/bin:/bin", HOME: join(root, "home") } });
    expect(script.stdout).toBe("A FROM SHARED! ['q'] __main__\n");
    const none = run(SYSTEM_PYTHON, [pyz], { env: { PATH: "/usr/bin:/bin", HOME: join(root, "home") } });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("one of: native, thing-a, thing-b, thing-c");
  });

  it("verifyPyz accepts an untouched .pyz and names renamed entries as missing and extra", async () => {
    const root = join(dir.path, "pyz-verify");
    const pyz = await bundleFrom(root, "pyz", join(root, "app.pyz"));
    expect(await verifyPyz(pyz)).toEqual({ changed: [], missing: [], extra: [] });
    const tampered = join(root, "tampered.pyz");
    await writeFile(tampered, patchEntryName(await readFile(pyz), "app/libs/src/shared/tools.py", "app/libs/src/shared/toolz.py"));
    expect(await verifyPyz(tampered)).toEqual({
      changed: [],
      missing: ["app/libs/src/shared/tools.py"],
      extra: ["app/libs/src/shared/toolz.py"],
    });
  });

  it("verifyTarGz accepts an untouched tar.gz (and a faithful repack) and names modified, re-moded, missing and extra members", async () => {
    const root = join(dir.path, "tar-verify");
    const archive = await bundleFrom(root, "tar.gz", join(root, "app.tar.gz"));
    expect(await verifyTarGz(archive)).toEqual({ changed: [], missing: [], extra: [] });
    // Rewrite the archive with GNU tar: its own headers and ordering, the same contents.
    const unpack = join(root, "unpacked");
    await mkdir(unpack);
    expect(run("tar", ["-xzf", archive, "-C", unpack]).status).toBe(0);
    const repack = (name: string) => {
      const path = join(root, name);
      expect(run("tar", ["-czf", path, "-C", unpack, "things"]).stderr).toBe("");
      return path;
    };
    expect(await verifyTarGz(repack("same.tar.gz"))).toEqual({ changed: [], missing: [], extra: [] });

    await writeFile(join(unpack, "things/app/libs/src/shared/tools.py"), "raise SystemExit('tampered')\n");
    await chmod(join(unpack, "things/bin/thing-b"), 0o644);
    await rm(join(unpack, "things/.pystore/boot.py"));
    await writeFile(join(unpack, "things/site-packages/implant.pth"), "import os\n");
    await writeFile(join(unpack, "beside.txt"), "outside the bundle directory\n");
    const tampered = join(root, "tampered.tar.gz");
    expect(run("tar", ["-czf", tampered, "-C", unpack, "things", "beside.txt"]).status).toBe(0);
    expect(await verifyTarGz(tampered)).toEqual({
      changed: ["app/libs/src/shared/tools.py", "bin/thing-b"],
      missing: [".pystore/boot.py"],
      extra: ["beside.txt", "site-packages/implant.pth"],
    });

    // Not a bundle, and not an archive at all: typed errors, not a crash.
    const plain = join(root, "plain.tar.gz");
    expect(run("tar", ["-czf", plain, "-C", unpack, "beside.txt"]).status).toBe(0);
    await expect(verifyTarGz(plain)).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    const broken = join(root, "broken.tar.gz");
    const bytes = await readFile(archive);
    await writeFile(broken, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(verifyTarGz(broken)).rejects.toMatchObject({ code: "BUNDLE_MODIFIED" });
  });
});

// Conditional on the machine: compiling the extension needs gcc and the Python headers.
describe.skipIf(cext.unavailable !== undefined)("compiled C extension", () => {
  it("imports from a directory bundle", async () => {
    const root = join(dir.path, "cext-dir");
    const out = await bundleFrom(root, "dir", join(root, "bundle"));
    const result = run(join(out, "bin/native"), [], { env: { PATH: "/usr/bin:/bin", HOME: join(root, "home") } });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("42 True\n");
  });

  it("imports from a .pyz after extraction to a cache keyed by the bundle, with a fallback when HOME is read-only", async () => {
    const root = join(dir.path, "cext-pyz");
    const pyz = await bundleFrom(root, "pyz", join(root, "app.pyz"));
    const home = join(root, "home");
    await mkdir(home);
    const first = run(SYSTEM_PYTHON, [pyz, "native"], { env: { PATH: "/usr/bin:/bin", HOME: home } });
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe("42 True\n");
    const cached = await readdir(join(home, ".cache/pystore/pyz"));
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(join(home, ".cache/pystore/pyz", cached[0], ".complete"))).isFile()).toBe(true);
    // Second run reuses the extraction.
    expect(run(SYSTEM_PYTHON, [pyz, "native"], { env: { PATH: "/usr/bin:/bin", HOME: home } }).stdout).toBe("42 True\n");
    const tmp = join(root, "tmp");
    await mkdir(tmp);
    // HOME is a regular file: unusable even for root, who ignores permission bits.
    const fileHome = join(root, "home-is-a-file");
    await writeFile(fileHome, "");
    const fallback = run(SYSTEM_PYTHON, [pyz, "native"], { env: { PATH: "/usr/bin:/bin", HOME: fileHome, TMPDIR: tmp } });
    expect(fallback.stderr).toBe("");
    expect(fallback.stdout).toBe("42 True\n");
    expect((await readdir(tmp)).some((d) => d.startsWith("pystore-pyz-"))).toBe(true);
  });
});

describe("detectFormat", () => {
  it("knows a tar.gz by its gzip magic, a .pyz by its name, and a directory (or nothing) as a directory bundle", async () => {
    const root = join(dir.path, "detect");
    await mkdir(join(root, "tree"), { recursive: true });
    await writeFile(join(root, "a.tgz"), Buffer.from([0x1f, 0x8b, 8, 0]));
    await writeFile(join(root, "gzip-named.pyz"), Buffer.from([0x1f, 0x8b, 8, 0]));
    await writeFile(join(root, "app.pyz"), "#!/usr/bin/env python3.11\n");
    await writeFile(join(root, "pylock.toml"), "lock-version = '1.0'\n");
    expect((await detectFormat(join(root, "a.tgz"))).name).toBe("tar.gz");
    expect((await detectFormat(join(root, "gzip-named.pyz"))).name).toBe("tar.gz");
    expect((await detectFormat(join(root, "app.pyz"))).name).toBe("pyz");
    expect((await detectFormat(join(root, "tree"))).name).toBe("dir");
    expect((await detectFormat(join(root, "absent"))).name).toBe("dir");
    await expect(detectFormat(join(root, "pylock.toml"))).rejects.toMatchObject({ code: "USAGE" });
  });
});
