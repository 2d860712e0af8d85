// Start-up of a 30-package bundle: sources only (read-only, so every start compiles), sources with a warm
// user cache, build-time bytecode, build-time bytecode with an embedded interpreter, and a venv with pip's
// bytecode, beside a bare interpreter. Measures only; asserts nothing about speed.
//
//   npm run build && npx vitest run --config bench/startup.config.ts
//   BENCH_RUNS=41 …   runs per measurement (default 21; the median is reported)

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { lockFor, type LockedWheel, writeTree } from "../fixtures/projects.js";
import { buildStandalonePython, standaloneUnavailable } from "../fixtures/python-standalone.js";
import { buildWheel } from "../fixtures/wheels.js";
import { runCli } from "../test/helpers/cli.js";
import { tempDir, type TempDir } from "../test/helpers/temp.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const PACKAGES = 30;
const MODULES = 12;
const PYTHON = "python3.11";
let work: TempDir;

/** A module with enough code that compiling it costs what a real one does (~150 lines). */
function moduleText(pkg: number, mod: number): string {
  const lines = [`"""pkg${pkg}.m${mod}: generated."""`, "import os", ""];
  for (let i = 0; i < 12; i++) {
    lines.push(
      `class Thing${i}:`,
      `    """A thing."""`,
      "    def __init__(self, value):",
      "        self.value = value",
      "        self.items = [value * k for k in range(10) if k % 3]",
      "    def total(self):",
      "        return sum(x for x in self.items if x > 2) + len(os.sep)",
      `    def describe(self):`,
      `        return f"{type(self).__name__}({self.value!r}, {self.total()})"`,
      "",
      `def helper${i}(a, b=2, *rest, **named):`,
      `    return {"a": a, "b": b, "rest": rest, "named": sorted(named), "k": ${i}}`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One timed run of `argv` with `env`, in ms. */
function once(argv: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr}`);
  return ms;
}

/**
 * The median of RUNS runs of each case, after one untimed run each. Runs are interleaved (one of each
 * case per round), so load on a shared machine weighs on every case alike.
 */
function timeAll(cases: { label: string; argv: string[]; env: NodeJS.ProcessEnv }[]): [string, number][] {
  for (const c of cases) once(c.argv, c.env);
  const times = cases.map(() => [] as number[]);
  for (let round = 0; round < RUNS; round++)
    cases.forEach((c, i) => {
      times[i]!.push(once(c.argv, c.env));
    });
  return cases.map((c, i) => [c.label, median(times[i]!)]);
}

beforeAll(async () => {
  work = await tempDir("bench-startup");
});
afterAll(async () => {
  spawnSync("chmod", ["-R", "u+w", work.path]);
  await work?.cleanup();
});

it("start-up of a 30-package bundle", async () => {
  const wheelsDir = join(work.path, "wheels");
  const locked: LockedWheel[] = [];
  const imports: string[] = [];
  for (let p = 0; p < PACKAGES; p++) {
    const files: Record<string, string> = {};
    files[`pkg${p}/__init__.py`] = `${Array.from({ length: MODULES }, (_, m) => `from pkg${p} import m${m}`).join("\n")}\n`;
    for (let m = 0; m < MODULES; m++) files[`pkg${p}/m${m}.py`] = moduleText(p, m);
    const wheel = await buildWheel({ name: `pkg${p}`, version: "1.0", files }, wheelsDir);
    locked.push({ wheel, path: `wheels/${wheel.filename}` });
    imports.push(`import pkg${p}`);
  }
  const project = join(work.path, "app");
  await writeTree(project, {
    "pyproject.toml": '[project]\nname = "startapp"\nversion = "1.0"\n\n[project.scripts]\nstartapp = "startapp:main"\n',
    "src/startapp/__init__.py": `def main():\n    ${imports.join("\n    ")}\n    return 0\n`,
    "pylock.toml": lockFor(locked),
  });
  spawnSync("cp", ["-r", wheelsDir, join(project, "wheels")]);
  const env = { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "" };
  /** Build time of each bundle (one run each, warm store: the wheels were stored by the first). */
  const builds: [string, number][] = [];
  const bundle = async (out: string, extra: string[]) => {
    const start = process.hrtime.bigint();
    const result = await runCli(["bundle", "--project", project, "--platform", "host", "--python", "3.11", "-o", out, ...extra], {
      env,
      cwd: work.path,
    });
    expect(result.code, result.stderr).toBe(0);
    builds.push([`pystore bundle ${extra.join(" ")}`, Number(process.hrtime.bigint() - start) / 1e6]);
    return out;
  };
  // The launcher alone: an app with no dependencies whose entry point returns at once.
  const bare = join(work.path, "bare-app");
  await writeTree(bare, {
    "pyproject.toml": '[project]\nname = "bareapp"\nversion = "1.0"\n\n[project.scripts]\nbareapp = "bareapp:main"\n',
    "src/bareapp/__init__.py": "def main():\n    return 0\n",
    "pylock.toml": lockFor([]),
  });
  const bareBundle = join(work.path, "bare-bundle");
  const bareBuilt = await runCli(["bundle", "--project", bare, "--platform", "host", "--python", "3.11", "-o", bareBundle, "--compile"], {
    env,
    cwd: work.path,
  });
  expect(bareBuilt.code, bareBuilt.stderr).toBe(0);
  spawnSync("chmod", ["-R", "a-w", bareBundle]);
  // Once untimed, so every timed build finds the wheels stored and their trees unpacked.
  await bundle(join(work.path, "warm-up"), ["--no-compile"]);
  builds.length = 0;
  const sources = await bundle(join(work.path, "sources"), ["--no-compile"]);
  const compiled = await bundle(join(work.path, "compiled"), ["--compile"]);
  let embedded: string | undefined;
  if (!standaloneUnavailable()) {
    const standalone = join(work.path, "standalone");
    buildStandalonePython(standalone);
    expect((await runCli(["python", "add", standalone], { env, cwd: work.path })).code).toBe(0);
    embedded = await bundle(join(work.path, "embedded"), ["--embed-python"]);
  }
  for (const dir of [sources, compiled, embedded]) if (dir) spawnSync("chmod", ["-R", "a-w", dir]);

  const venv = join(work.path, "venv");
  expect(spawnSync(PYTHON, ["-m", "venv", venv]).status).toBe(0);
  const pip = spawnSync(
    join(venv, "bin/pip"),
    ["install", "-q", "--no-index", "--no-deps", ...locked.map((l) => join(work.path, l.path!))],
    {
      encoding: "utf8",
    },
  );
  expect(pip.status, pip.stderr).toBe(0);
  writeFileSync(join(venv, "run.py"), `${imports.join("\n")}\n`);

  const home = join(work.path, "home");
  mkdirSync(home);
  // The interpreter's own directory first: a version manager's shim (pyenv) costs more than what is measured.
  const real = spawnSync(PYTHON, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
  const base = { PATH: `${dirname(real)}:${process.env.PATH ?? "/usr/bin:/bin"}` };
  // Read-only for real: root writes through any mode, so those runs are an unprivileged user's.
  spawnSync("chmod", ["a+rx", work.path]);
  const nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  const cases: { label: string; argv: string[]; env: NodeJS.ProcessEnv }[] = [
    { label: "bare interpreter (python3.11 -S -c pass)", argv: [real, "-S", "-c", "pass"], env: base },
    { label: "bare interpreter (python3.11 -I -c pass)", argv: [real, "-I", "-c", "pass"], env: base },
    {
      label: "launcher only: app without dependencies, --compile, read-only",
      argv: [...nobody, join(bareBundle, "bin/bareapp")],
      env: { ...base, HOME: "/nonexistent" },
    },
    { label: "venv, pip's bytecode (python run.py)", argv: [join(venv, "bin/python"), join(venv, "run.py")], env: base },
    {
      label: "bundle, sources only, read-only (HOME=/nonexistent)",
      argv: [...nobody, join(sources, "bin/startapp")],
      env: { ...base, HOME: "/nonexistent" },
    },
    { label: "bundle, sources only, warm ~/.cache/pystore/pycache", argv: [join(sources, "bin/startapp")], env: { ...base, HOME: home } },
    {
      label: "bundle --compile, read-only (HOME=/nonexistent)",
      argv: [...nobody, join(compiled, "bin/startapp")],
      env: { ...base, HOME: "/nonexistent" },
    },
  ];
  if (embedded)
    cases.push({ label: "bundle --embed-python --compile, read-only, env -i", argv: [...nobody, join(embedded, "bin/startapp")], env: {} });
  const rows = timeAll(cases);
  // Nothing was written into the read-only bundles (by the unprivileged runs, which could not; checked anyway).
  for (const dir of [sources, compiled])
    expect(spawnSync("find", [dir, "-newer", join(dir, "pystore-bundle.json"), "-type", "f"], { encoding: "utf8" }).stdout).toBe("");
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\nstart-up, ${PACKAGES} packages × ${MODULES + 1} modules, median of ${RUNS} runs:`);
  for (const [label, ms] of rows) console.log(`  ${label.padEnd(width)}  ${ms.toFixed(1).padStart(7)} ms`);
  console.log("build (one run each, warm store):");
  for (const [label, ms] of builds) console.log(`  ${label.padEnd(width)}  ${ms.toFixed(1).padStart(7)} ms`);
});
