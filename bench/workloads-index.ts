// Benchmark workloads 1 and 2, against the generated index on 127.0.0.1: resolve + lock
// (`pystore lock` vs `pip install --dry-run --report`; cold, warm, and warm with nothing changed) and
// download + install (`pystore fetch` + `pystore bundle` vs `pip install --no-deps --target -r
// requirements.txt`), cold and warm.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IndexServer } from "../fixtures/index-server.js";
import type { BuiltWheel, WheelSpec } from "../fixtures/wheels.js";
import { parsePylock } from "../src/standards/pylock.js";
import { compare, type Row } from "./compare.js";
import { validateResolution } from "./validate.js";
import {
  combine,
  failure,
  installedShape,
  measure,
  pipEnv,
  PYSTORE_BIN,
  pystoreEnv,
  type Timed,
  timeCommand,
  type Measure,
} from "./harness.js";

export interface IndexContext {
  runs: number;
  work: string;
  server: IndexServer;
  /** The index URL the tools use (the fixture, or the PyPI-headers proxy in front of it). */
  indexUrl: string;
  wheels: BuiltWheel[];
  roots: string[];
  specs: WheelSpec[];
}

// pip caches HTTP responses only from https origins and --trusted-host hosts; without this flag its
// "warm" cache would stay empty on a plain-http loopback index (against PyPI it is always on).
const PIP_INDEX = (url: string) => ["--index-url", url, "--trusted-host", "127.0.0.1"];

const canonical = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

let counter = 0;
/** A fresh directory under the bench's work dir (removed with it at the end). */
async function fresh(ctx: IndexContext, label: string): Promise<string> {
  const dir = join(ctx.work, `${label}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function pystoreTimed(ctx: IndexContext, label: string, args: string[], store: string, cwd: string): Promise<Timed> {
  const result = await timeCommand(process.execPath, [PYSTORE_BIN, ...args], { cwd, env: pystoreEnv(store, join(ctx.work, "home")) });
  if (result.code !== 0) throw failure(`pystore ${label}`, result);
  return result;
}

async function pystore(ctx: IndexContext, label: string, args: string[], store: string, cwd: string): Promise<Measure> {
  return measure(await pystoreTimed(ctx, label, args, store, cwd));
}

/** What `pystore lock` says on stderr when its memo answered (src/app/lock.ts): nothing was resolved. */
const MEMO_ANSWERED = "nothing resolved)";

async function pip(ctx: IndexContext, label: string, args: string[], cwd: string): Promise<Measure> {
  const result = await timeCommand("python3", ["-m", "pip", ...args], { cwd, env: pipEnv(join(ctx.work, "home")) });
  if (result.code !== 0) throw failure(`pip ${label}`, result);
  return measure(result);
}

interface RequestCounts {
  total: number;
  /** Requests carrying If-None-Match / If-Modified-Since (cache revalidation). */
  conditional: number;
  pages: number;
  metadata: number;
  wheels: number;
}

/** What one command asked the index for (measured once, outside the timings). */
async function countRequests(server: IndexServer, run: () => Promise<unknown>): Promise<RequestCounts | string> {
  const before = server.requests.length;
  try {
    await run();
    const made = server.requests.slice(before);
    const paths = made.map((r) => r.path.split("?")[0]);
    return {
      total: made.length,
      conditional: made.filter((r) => r.headers["if-none-match"] !== undefined || r.headers["if-modified-since"] !== undefined).length,
      pages: paths.filter((p) => p.startsWith("/simple/")).length,
      metadata: paths.filter((p) => p.endsWith(".metadata")).length,
      wheels: paths.filter((p) => p.endsWith(".whl")).length,
    };
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

export interface LockOutcome {
  rows: Row[];
  /** A pylock.toml pystore wrote (undefined when `pystore lock` is broken). */
  lockPath?: string;
  /** `name==version` pins both tools can install from, with every wheel's hash. */
  requirementsPath?: string;
}

export async function lockWorkload(ctx: IndexContext): Promise<LockOutcome> {
  const { server, roots, indexUrl } = ctx;
  const lockArgs = (out: string) => ["lock", "-o", out, "--index-url", indexUrl, ...roots];
  const pipArgs = (report: string, cache: string[]) => [
    "install",
    "--dry-run",
    "--ignore-installed",
    "--quiet",
    "--report",
    report,
    ...PIP_INDEX(indexUrl),
    ...cache,
    ...roots,
  ];

  // Warm-ups (untimed): one run of each fills the warm store and pip's warm cache, and yields the
  // lock and report that the agreement check and workload 2 use.
  const warmStore = join(await fresh(ctx, "lock-warm"), "store");
  const pipCache = join(await fresh(ctx, "pip-cache-lock"), "cache");
  const firstDir = await fresh(ctx, "lock-first");
  const lockPath = join(firstDir, "pylock.toml");
  const reportPath = join(firstDir, "pip-report.json");
  const pystoreRequests = await countRequests(server, () => pystore(ctx, "lock", lockArgs(lockPath), warmStore, firstDir));
  const pipRequests = await countRequests(server, () =>
    pip(ctx, "install --dry-run", pipArgs(reportPath, ["--cache-dir", pipCache]), firstDir),
  );
  const pystoreWarmRequests = await countRequests(server, () =>
    pystore(ctx, "lock", lockArgs(join(firstDir, "again.toml")), warmStore, firstDir),
  );
  const pipWarmRequests = await countRequests(server, () =>
    pip(ctx, "install --dry-run", pipArgs(join(firstDir, "again.json"), ["--cache-dir", pipCache]), firstDir),
  );

  // The issue's case: `pystore lock` again on its own lock with nothing changed. The first re-lock resolves
  // (it starts from the lock it wrote, so it is the one that can record the memo); the next answers from it.
  const relockRequests: (RequestCounts | string)[] = [];
  for (let i = 0; i < 2; i++)
    relockRequests.push(await countRequests(server, () => pystore(ctx, "lock", lockArgs(lockPath), warmStore, firstDir)));

  const pins = { pystore: await lockPins(lockPath), pip: await reportPins(reportPath) };
  const agree = pins.pystore !== undefined && pins.pip !== undefined && JSON.stringify(pins.pystore) === JSON.stringify(pins.pip);
  const lockBroken = typeof pystoreRequests === "string" ? pystoreRequests : undefined;

  const cold = await compare(
    ctx.runs,
    lockBroken
      ? undefined
      : async () => {
          const dir = await fresh(ctx, "lock-cold");
          return pystore(ctx, "lock", lockArgs(join(dir, "pylock.toml")), join(dir, "store"), dir);
        },
    async () => {
      const dir = await fresh(ctx, "pip-lock-cold");
      return pip(ctx, "install --dry-run", pipArgs(join(dir, "report.json"), ["--no-cache-dir"]), dir);
    },
    lockBroken,
  );
  const warm = await compare(
    ctx.runs,
    lockBroken
      ? undefined
      : async () => {
          const dir = await fresh(ctx, "lock-warm-run");
          return pystore(ctx, "lock", lockArgs(join(dir, "pylock.toml")), warmStore, dir);
        },
    async () => {
      const dir = await fresh(ctx, "pip-lock-warm");
      return pip(ctx, "install --dry-run", pipArgs(join(dir, "report.json"), ["--cache-dir", pipCache]), dir);
    },
    lockBroken,
  );

  const relockBroken = lockBroken ?? relockRequests.find((r): r is string => typeof r === "string");
  // Counted, so the row says whether it measured the memo's answer or a resolution.
  let memoAnswered = 0;
  const unchanged = await compare(
    ctx.runs,
    relockBroken
      ? undefined
      : async () => {
          const result = await pystoreTimed(ctx, "lock", lockArgs(lockPath), warmStore, firstDir);
          if (result.stderr.includes(MEMO_ANSWERED)) memoAnswered++;
          return measure(result);
        },
    async () => {
      const dir = await fresh(ctx, "pip-lock-unchanged");
      return pip(ctx, "install --dry-run", pipArgs(join(dir, "report.json"), ["--cache-dir", pipCache]), dir);
    },
    relockBroken,
  );

  const pystoreCommand = `pystore lock -o pylock.toml --index-url URL ${roots.join(" ")}`;
  const details = {
    rootRequirements: roots,
    resolvedPackages: { pystore: pins.pystore?.length, pip: pins.pip?.length },
    sameResolution: agree,
    // Different answers can both be right (resolvers prefer different candidates); these say whether they are.
    problems: {
      pystore: pins.pystore ? validateResolution(pins.pystore, ctx.specs, roots) : "no lock",
      pip: pins.pip ? validateResolution(pins.pip, ctx.specs, roots) : "no report",
    },
    differences: pinDifferences(pins.pystore ?? [], pins.pip ?? []),
    pins: pins,
    indexRequests: {
      pystoreCold: pystoreRequests,
      pipCold: pipRequests,
      pystoreWarm: pystoreWarmRequests,
      pipWarm: pipWarmRequests,
      // Re-locks of the same lock: the first resolves and records the memo, the second is answered by it.
      pystoreRelock: relockRequests,
    },
  };
  const rows: Row[] = [
    {
      workload: "1. resolve + lock",
      label: "cold (empty store / no pip cache)",
      pystoreCommand: `${pystoreCommand} (empty store)`,
      pipCommand:
        "pip install --dry-run --ignore-installed --report out.json --index-url URL --trusted-host 127.0.0.1 --no-cache-dir ROOTS",
      ...cold,
      details,
    },
    {
      workload: "1. resolve + lock",
      label: "warm (second run)",
      pystoreCommand: `${pystoreCommand} (store from a previous lock)`,
      pipCommand:
        "pip install --dry-run --ignore-installed --report out.json --index-url URL --trusted-host 127.0.0.1 --cache-dir WARM ROOTS",
      ...warm,
    },
    {
      workload: "1. resolve + lock",
      label: "warm, nothing changed (same lock again)",
      pystoreCommand: `${pystoreCommand} (the same lock again, from a store whose memo answers for it)`,
      pipCommand:
        "pip install --dry-run --ignore-installed --report out.json --index-url URL --trusted-host 127.0.0.1 --cache-dir WARM ROOTS",
      ...unchanged,
      details: { memoAnswered: `${memoAnswered} of ${unchanged.pystore.summary?.runs ?? 0} runs` },
    },
  ];

  // The pins to install in workload 2: pystore's lock when it works, else pip's report.
  const pinned = pins.pystore ?? pins.pip;
  let requirementsPath: string | undefined;
  if (pinned) {
    requirementsPath = join(firstDir, "requirements.txt");
    await writeFile(requirementsPath, requirementsWithHashes(pinned, ctx.wheels));
  }
  return { rows, lockPath: lockBroken ? undefined : lockPath, requirementsPath };
}

/** Projects pinned differently (or only by one tool): `{ name, pystore, pip }`. */
function pinDifferences(a: string[], b: string[]): { name: string; pystore?: string; pip?: string }[] {
  const left = new Map(a.map((p) => p.split("==") as [string, string]));
  const right = new Map(b.map((p) => p.split("==") as [string, string]));
  return [...new Set([...left.keys(), ...right.keys()])]
    .sort()
    .filter((name) => left.get(name) !== right.get(name))
    .map((name) => ({ name, pystore: left.get(name), pip: right.get(name) }));
}

async function lockPins(path: string): Promise<string[] | undefined> {
  try {
    const lock = parsePylock(await readFile(path, "utf8"), path);
    return lock.packages.map((p) => `${canonical(p.name)}==${p.version}`).sort();
  } catch {
    return undefined;
  }
}

async function reportPins(path: string): Promise<string[] | undefined> {
  try {
    const report = JSON.parse(await readFile(path, "utf8")) as { install: { metadata: { name: string; version: string } }[] };
    return report.install.map((i) => `${canonical(i.metadata.name)}==${i.metadata.version}`).sort();
  } catch {
    return undefined;
  }
}

/** pip's hash-checking format: every wheel of each pinned version may be the one pip picks. */
function requirementsWithHashes(pins: string[], wheels: BuiltWheel[]): string {
  return `${pins
    .map((pin) => {
      const [name, version] = pin.split("==");
      const hashes = wheels
        .filter((w) => canonical(w.filename.split("-")[0]) === name && w.filename.split("-")[1] === version)
        .map((w) => `--hash=sha256:${w.sha256}`);
      return [pin, ...hashes].join(" \\\n    ");
    })
    .join("\n")}\n`;
}

export async function installWorkload(ctx: IndexContext, lock: LockOutcome): Promise<Row[]> {
  const requirements = lock.requirementsPath;
  if (!requirements) {
    const error = { error: "no resolved set: both lockers failed" };
    return [{ workload: "2. download + install", label: "cold", pystoreCommand: "", pipCommand: "", pystore: error, pip: error }];
  }
  const lockPath = lock.lockPath;
  const broken = lockPath ? undefined : "needs the lock from workload 1 (pystore lock failed)";
  const fetchArgs = ["fetch", "--platform", "host", "-l", lockPath ?? ""];
  const bundleArgs = (out: string) => ["bundle", "--platform", "host", "-l", lockPath ?? "", "-o", out];
  const pipArgs = (target: string, cache: string[]) => [
    "install",
    "--no-deps",
    "--no-compile",
    "--quiet",
    "--target",
    target,
    "-r",
    requirements,
    ...PIP_INDEX(ctx.indexUrl),
    ...cache,
  ];

  const warmStore = join(await fresh(ctx, "install-warm"), "store");
  const pipCache = join(await fresh(ctx, "pip-cache-install"), "cache");
  const primeDir = await fresh(ctx, "install-prime");
  let primeError: string | undefined;
  const indexRequests: Record<string, RequestCounts | string> = {};
  if (!broken) {
    indexRequests.pystoreFetchCold = await countRequests(ctx.server, () => pystore(ctx, "fetch", fetchArgs, warmStore, primeDir));
    indexRequests.pystoreBundleAfterFetch = await countRequests(ctx.server, () =>
      pystore(ctx, "bundle", bundleArgs(join(primeDir, "bundle")), warmStore, primeDir),
    );
    primeError = [indexRequests.pystoreFetchCold, indexRequests.pystoreBundleAfterFetch].find((r): r is string => typeof r === "string");
  }
  indexRequests.pipCold = await countRequests(ctx.server, () =>
    pip(ctx, "install --target", pipArgs(join(primeDir, "target"), ["--cache-dir", pipCache]), primeDir),
  );
  indexRequests.pipWarm = await countRequests(ctx.server, () =>
    pip(ctx, "install --target", pipArgs(join(primeDir, "target-again"), ["--cache-dir", pipCache]), primeDir),
  );
  // pystore's bundle holds site-packages plus its manifest and launcher files; pip's target also gets bin/.
  const installed = {
    pystoreSitePackages: await installedShape(join(primeDir, "bundle", "site-packages")),
    pipTarget: await installedShape(join(primeDir, "target")),
  };

  const cold = await compare(
    ctx.runs,
    broken || primeError
      ? undefined
      : async () => {
          const dir = await fresh(ctx, "install-cold");
          const store = join(dir, "store");
          const fetch = await pystore(ctx, "fetch", fetchArgs, store, dir);
          const bundle = await pystore(ctx, "bundle", bundleArgs(join(dir, "bundle")), store, dir);
          return combine({ fetch, bundle });
        },
    async () => {
      const dir = await fresh(ctx, "pip-install-cold");
      return pip(ctx, "install --target", pipArgs(join(dir, "target"), ["--no-cache-dir"]), dir);
    },
    broken ?? primeError,
  );
  const warm = await compare(
    ctx.runs,
    broken || primeError
      ? undefined
      : async () => {
          const dir = await fresh(ctx, "install-warm-run");
          return pystore(ctx, "bundle", bundleArgs(join(dir, "bundle")), warmStore, dir);
        },
    async () => {
      const dir = await fresh(ctx, "pip-install-warm");
      return pip(ctx, "install --target", pipArgs(join(dir, "target"), ["--cache-dir", pipCache]), dir);
    },
    broken ?? primeError,
  );
  const pipCommand =
    "pip install --no-deps --no-compile --target DIR -r requirements-with-hashes.txt --index-url URL --trusted-host 127.0.0.1";
  const details = {
    packages: (await readFile(requirements, "utf8")).split("\n").filter((l) => /^\S/.test(l)).length,
    installed,
    indexRequests,
  };
  return [
    {
      workload: "2. download + install",
      label: "cold (empty store / no pip cache)",
      pystoreCommand: "pystore fetch --platform host -l pylock.toml && pystore bundle -l pylock.toml -o DIR (empty store)",
      pipCommand: `${pipCommand} --no-cache-dir`,
      ...cold,
      details,
    },
    {
      workload: "2. download + install",
      label: "warm (store / cache filled)",
      pystoreCommand: "pystore bundle -l pylock.toml -o DIR (filled store)",
      pipCommand: `${pipCommand} --cache-dir WARM`,
      ...warm,
    },
  ];
}
