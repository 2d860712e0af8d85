// Where a bundle is written, through the real CLI: an output path that cannot exist (/proc), full and
// read-only filesystems (small tmpfs mounts), and an archive written to a filesystem with room for the
// archive but not for a staged copy of the tree.

import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
let work: { path: string; cleanup: () => Promise<void> };
const mounts: string[] = [];

/** Mount a tmpfs with `options` at `dir`; a reason instead when this machine does not allow it (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(dir: string, options: string): string | undefined {
  const result = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8", timeout: 10_000 });
  if (result.status !== 0) return `mount -t tmpfs is not permitted here: ${(result.stderr || String(result.error)).trim()}`;
  mounts.push(dir);
  return undefined;
}

/** Probed once: the tmpfs tests need a real small filesystem and are skipped, saying why, without one. */
const probeDir = join("/tmp", `pystore-mount-probe-${process.pid}`);
spawnSync("mkdir", ["-p", probeDir]);
const cannotMount = mountTmpfs(probeDir, "size=64k");
if (!cannotMount) spawnSync("umount", [probeDir], { timeout: 10_000 });
mounts.length = 0;
spawnSync("rmdir", [probeDir]);
const tmpfsTitle = (title: string) => (cannotMount ? `${title} (skipped: ${cannotMount})` : title);

const cli = (args: string[], timeoutMs = 60_000) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "0" }, timeoutMs });

let compressibleLock: string;
let randomLock: string;

beforeAll(async () => {
  work = await tempDir("bundle-output");
  // 6 MiB that gzip squeezes to a few KiB: a staged copy of the tree cannot fit where the archive does.
  const text = "the same line of Python comments, again and again\n".repeat(20_000);
  const files: Record<string, string> = { "roomy/__init__.py": "X = 1\n" };
  for (let i = 0; i < 6; i++) files[`roomy/data${i}.txt`] = text;
  const roomy = await buildWheel({ name: "roomy", version: "1.0", files }, join(work.path, "wheels"));
  // 1 MiB of random bytes: neither the tree nor any archive of it fits in 256 KiB.
  const noisy = await buildWheel(
    { name: "noisy", version: "1.0", files: { "noisy/__init__.py": "X = 1\n", "noisy/blob.bin": randomBytes(1 << 20) } },
    join(work.path, "wheels"),
  );
  await writeTree(work.path, {
    "compressible.toml": lockFor([{ wheel: roomy, path: join("wheels", roomy.filename) }]),
    "random.toml": lockFor([{ wheel: noisy, path: join("wheels", noisy.filename) }]),
  });
  compressibleLock = join(work.path, "compressible.toml");
  randomLock = join(work.path, "random.toml");
  // Fill the store first, so only the bundle's own writes go to the small filesystems.
  for (const lock of [compressibleLock, randomLock]) expect((await cli(["bundle", "-l", lock, ...TARGET, "-o", "warm"])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const dir of mounts.reverse()) spawnSync("umount", ["-l", dir], { timeout: 10_000 });
  await work?.cleanup();
});

async function newMount(name: string, options: string): Promise<string> {
  const dir = join(work.path, name);
  await mkdir(dir);
  const problem = mountTmpfs(dir, options);
  if (problem) throw new Error(problem);
  return dir;
}

describe("bundle -o under /proc", () => {
  it.each(["dir", "tar.gz", "pyz"])(
    "fails at once with an IO error naming the path (%s)",
    async (format) => {
      const started = Date.now();
      const result = await cli(["bundle", "-l", compressibleLock, ...TARGET, "--format", format, "-o", "/proc/x/out"], 20_000);
      expect(result.stderr).not.toContain("internal error");
      expect(result.code).toBe(EXIT.invalidInput);
      expect(result.stderr).toContain("/proc/x");
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    30_000,
  );
});

describe.skipIf(cannotMount !== undefined)("bundles on small filesystems", () => {
  it(tmpfsTitle("writes a tar.gz and a .pyz into a filesystem that holds the archive but not a staged tree"), async () => {
    const small = await newMount("small", "size=1m");
    for (const name of ["app.tar.gz", "app.pyz"]) {
      const result = await cli(["bundle", "-l", compressibleLock, ...TARGET, "-o", join(small, name)]);
      expect(result.stderr).not.toMatch(/error/);
      expect(result.code).toBe(0);
      expect((await stat(join(small, name))).size).toBeLessThan(512 * 1024);
      const verified = await cli(["bundle", "verify", join(small, name)]);
      expect(verified.code).toBe(0);
    }
    expect((await readdir(small)).sort()).toEqual(["app.pyz", "app.tar.gz"]);
  }, 120_000);

  it.each(["dir", "tar.gz", "pyz"])(
    tmpfsTitle("a full disk while writing a %s bundle is an IO error naming the path, and leaves nothing"),
    async (format) => {
      const full = await newMount(`full-${format}`, "size=256k");
      const out = join(full, `app-${format}`);
      const result = await cli(["bundle", "-l", randomLock, ...TARGET, "--format", format, "-o", out]);
      expect(result.stderr).not.toContain("internal error");
      expect(result.code).toBe(EXIT.invalidInput);
      expect(result.stderr).toContain(out);
      expect(result.stderr).toMatch(/no space left/i);
      expect(await readdir(full)).toEqual([]);
    },
    60_000,
  );

  it.each(["dir", "tar.gz", "pyz"])(
    tmpfsTitle("a read-only filesystem is an IO error naming the path (%s)"),
    async (format) => {
      const readonly = await newMount(`ro-${format}`, "size=64k,ro");
      const out = join(readonly, "app");
      const result = await cli(["bundle", "-l", compressibleLock, ...TARGET, "--format", format, "-o", out]);
      expect(result.stderr).not.toContain("internal error");
      expect(result.code).toBe(EXIT.invalidInput);
      expect(result.stderr).toContain(readonly);
      expect(result.stderr).toMatch(/read-only/i);
      expect(await readdir(readonly)).toEqual([]);
    },
    60_000,
  );
});
