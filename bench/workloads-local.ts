// Benchmark workloads 3 and 4, no index involved: bundling Debian's real setuptools/pip/wheel wheels
// (vs `pip install --no-index --find-links`) and CLI start-up (vs `python3 -m pip --version`).

import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lockFor } from "../fixtures/projects.js";
import { compare, type Row } from "./compare.js";
import { failure, installedShape, measure, pipEnv, PYSTORE_BIN, pystoreEnv, REPO_ROOT, timeCommand } from "./harness.js";

const DEBIAN_WHEELS = "/usr/share/python-wheels";
const PROJECTS = ["setuptools", "pip", "wheel"];

let counter = 0;
async function fresh(work: string, label: string): Promise<string> {
  const dir = join(work, `${label}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The Debian wheels named by PROJECTS, copied beside the lock (pystore only reads `path` wheels inside
 * the project) and locked with relative paths. The copy is setup, not timed.
 */
async function debianLock(dir: string): Promise<{ lockPath: string; filenames: string[] }> {
  const names = (await readdir(DEBIAN_WHEELS)).filter((f) => f.endsWith(".whl") && PROJECTS.includes(f.split("-")[0].toLowerCase())).sort();
  if (names.length !== PROJECTS.length)
    throw new Error(`expected ${PROJECTS.join(", ")} wheels in ${DEBIAN_WHEELS}, found: ${names.join(", ") || "none"}`);
  const locked = await Promise.all(
    names.map(async (filename) => {
      const bytes = await readFile(join(DEBIAN_WHEELS, filename));
      const path = join(dir, "wheels", filename);
      await mkdir(join(dir, "wheels"), { recursive: true });
      await writeFile(path, bytes);
      return {
        wheel: { filename, path, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, metadata: "" },
        path: `wheels/${filename}`,
      };
    }),
  );
  const lockPath = join(dir, "pylock.toml");
  await writeFile(lockPath, lockFor(locked));
  return { lockPath, filenames: names };
}

export async function realWheelsWorkload(runs: number, work: string): Promise<Row[]> {
  const home = join(work, "home");
  const setup = await fresh(work, "debian");
  let lockPath: string | undefined;
  let filenames: string[] = [];
  let setupError: string | undefined;
  try {
    ({ lockPath, filenames } = await debianLock(setup));
  } catch (error) {
    setupError = (error as Error).message;
  }
  const bundle = async (store: string, cwd: string) => {
    const result = await timeCommand(
      process.execPath,
      [PYSTORE_BIN, "bundle", "--platform", "host", "-l", lockPath!, "-o", join(cwd, "bundle")],
      { cwd, env: pystoreEnv(store, home) },
    );
    if (result.code !== 0) throw failure("pystore bundle", result);
    return measure(result);
  };
  let lastPipTarget = "";
  const pip = async () => {
    const dir = await fresh(work, "pip-debian");
    lastPipTarget = join(dir, "target");
    const args = [
      "-m",
      "pip",
      "install",
      "--no-index",
      "--find-links",
      DEBIAN_WHEELS,
      "--target",
      join(dir, "target"),
      "--no-deps",
      "--no-compile",
      "--quiet",
      ...PROJECTS,
    ];
    const result = await timeCommand("python3", args, { cwd: dir, env: pipEnv(home) });
    if (result.code !== 0) throw failure("pip install --find-links", result);
    return measure(result);
  };

  const warmStore = join(await fresh(work, "debian-warm"), "store");
  let primeError = setupError;
  const primeDir = await fresh(work, "debian-prime");
  if (!primeError) await bundle(warmStore, primeDir).catch((error: Error) => (primeError = error.message));
  const pipPrime = await pip().catch(() => undefined);
  const pipPrimeTarget = lastPipTarget;
  const cold = await compare(
    runs,
    setupError
      ? undefined
      : async () => {
          const dir = await fresh(work, "debian-cold");
          return bundle(join(dir, "store"), dir);
        },
    pip,
    setupError,
  );
  const warm = await compare(
    runs,
    primeError
      ? undefined
      : async () => {
          const dir = await fresh(work, "debian-warm-run");
          return bundle(warmStore, dir);
        },
    pip,
    primeError,
  );
  const pipCommand = `pip install --no-index --find-links ${DEBIAN_WHEELS} --target DIR --no-deps --no-compile ${PROJECTS.join(" ")}`;
  const details = {
    wheels: filenames,
    installed: {
      pystoreSitePackages: await installedShape(join(primeDir, "bundle", "site-packages")),
      pipTarget: pipPrime ? await installedShape(pipPrimeTarget) : "pip failed",
    },
  };
  return [
    {
      workload: "3. real wheels (Debian)",
      label: "cold store (imports the wheels)",
      pystoreCommand: "pystore bundle -l pylock.toml -o DIR (lock with path = wheels/<Debian wheel>; empty store)",
      pipCommand,
      ...cold,
      details,
    },
    {
      workload: "3. real wheels (Debian)",
      label: "warm store",
      pystoreCommand: "pystore bundle -l pylock.toml -o DIR (filled store)",
      pipCommand,
      ...warm,
    },
  ];
}

export async function startupWorkload(runs: number, work: string): Promise<Row[]> {
  const home = join(work, "home");
  const store = join(await fresh(work, "startup"), "store");
  const pystore =
    (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    async () => {
      const result = await timeCommand(process.execPath, [PYSTORE_BIN, ...args], {
        cwd: REPO_ROOT,
        env: { ...pystoreEnv(store, home), ...extraEnv },
      });
      if (result.code !== 0) throw failure(`pystore ${args.join(" ")}`, result);
      return measure(result);
    };
  const pip = async () => {
    const result = await timeCommand("python3", ["-m", "pip", "--version"], { cwd: REPO_ROOT, env: pipEnv(home) });
    if (result.code !== 0) throw failure("pip --version", result);
    return measure(result);
  };
  // Start-up is short and noisy: twice the runs, still seconds in total.
  const version = await compare(runs * 2, pystore(["--version"]), pip);
  // The first `tags` probes python3 and caches the answer under XDG_CACHE_HOME; later runs read it.
  const tags = await compare(runs * 2, pystore(["tags"]), pip);
  const tagsUncached = await compare(runs * 2, pystore(["tags"], { PYSTORE_NO_HOST_CACHE: "1" }), pip);
  return [
    {
      workload: "4. CLI start-up",
      label: "--version",
      pystoreCommand: "pystore --version",
      pipCommand: "python3 -m pip --version",
      ...version,
    },
    {
      workload: "4. CLI start-up",
      label: "tags (host probe cached on disk)",
      pystoreCommand: "pystore tags",
      pipCommand: "python3 -m pip --version",
      ...tags,
    },
    {
      workload: "4. CLI start-up",
      label: "tags, PYSTORE_NO_HOST_CACHE=1 (runs python3)",
      pystoreCommand: "PYSTORE_NO_HOST_CACHE=1 pystore tags",
      pipCommand: "python3 -m pip --version",
      ...tagsUncached,
    },
  ];
}
