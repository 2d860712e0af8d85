// `bundle --compile`: unchecked-hash bytecode written at build time is byte-identical across stores,
// project paths and SOURCE_DATE_EPOCH, checked by `bundle verify`, and a read-only bundle imports it
// without compiling or writing anything (a --no-compile bundle, run the same way, compiles: the control).

import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
const hasPython311 = spawnSync("python3.11", ["-c", ""]).status === 0;
let work: TempDir;
let project: string;

/** Reports which modules Python compiled from source while importing the app and its dependency. */
const SPY = `import json, sys
import importlib._bootstrap_external as external

compiled = []
_original = external.SourceLoader.source_to_code


def _spy(self, data, path, *args, **kwargs):
    compiled.append(path)
    return _original(self, data, path, *args, **kwargs)


external.SourceLoader.source_to_code = _spy


def main():
    import greetlib
    import compapp.helpers
    print(json.dumps({"compiled": compiled, "greeting": greetlib.greeting(), "twice": compapp.helpers.twice(21),
                      "dont_write_bytecode": sys.dont_write_bytecode, "pycache_prefix": sys.pycache_prefix}))
`;

async function writeProject(dir: string): Promise<void> {
  const wheel = await buildWheel(
    {
      name: "greetlib",
      version: "1.0.0",
      files: {
        "greetlib/__init__.py": 'from greetlib.words import WORDS\n\ndef greeting():\n    return " ".join(WORDS)\n',
        // A set constant: its marshalled order follows string hashing unless the seed is fixed.
        "greetlib/words.py":
          'WORDS = ["Hello", "World"]\nKNOWN = frozenset({"alpha", "beta", "gamma", "delta", "epsilon"})\n\ndef known(x):\n    return x in {"alpha", "beta", "gamma", "delta"}\n',
        "greetlib/py2only.py": 'print "not Python 3"\n',
      },
    },
    join(dir, "wheels"),
  );
  await writeTree(dir, {
    "pyproject.toml": '[project]\nname = "compapp"\nversion = "0.1.0"\n\n[project.scripts]\ncompapp = "compapp:main"\n',
    "src/compapp/__init__.py": SPY,
    "src/compapp/helpers.py": "def twice(n):\n    return 2 * n\n",
    "pylock.toml": lockFor([{ wheel, path: `wheels/${wheel.filename}` }]),
  });
}

const cli = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, { cwd: work.path, env });

/** Every file under `dir` with its size and mtime: what a run must leave as it was. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const info = statSync(path);
      if (info.isDirectory()) walk(path);
      else out.push(`${relative(dir, path)} ${info.size} ${info.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  work = await tempDir("bundle-compile");
  project = join(work.path, "a", "compapp");
  await writeProject(project);
});
afterAll(async () => {
  if (work) spawnSync("chmod", ["-R", "u+w", work.path]);
  await work?.cleanup();
});

describe.skipIf(!hasPython311)("bundle --compile", () => {
  it("gives byte-identical archives from two stores and two project paths, and the same bundle for another SOURCE_DATE_EPOCH", async () => {
    const other = join(work.path, "b", "elsewhere", "compapp");
    cpSync(project, other, { recursive: true });
    const build = (dir: string, store: string, epoch: string, out: string) =>
      cli(["bundle", "--project", dir, "-l", join(dir, "pylock.toml"), ...TARGET, "--compile", "-o", out, "--json"], {
        PYSTORE_STORE: join(work.path, store),
        SOURCE_DATE_EPOCH: epoch,
      });
    const one = await build(project, "store-1", "1700000000", join(work.path, "one.tar.gz"));
    expect(one.code, one.stderr).toBe(0);
    const two = await build(other, "store-2", "1700000000", join(work.path, "two.tar.gz"));
    expect(two.code, two.stderr).toBe(0);
    expect(readFileSync(join(work.path, "two.tar.gz")).equals(readFileSync(join(work.path, "one.tar.gz")))).toBe(true);
    const three = await build(other, "store-2", "1800000000", join(work.path, "three.tar.gz"));
    expect(JSON.parse(three.stdout).bundleHash).toBe(JSON.parse(one.stdout).bundleHash);

    const listing = spawnSync("tar", ["-tzf", join(work.path, "one.tar.gz")], { encoding: "utf8" }).stdout.split("\n");
    expect(listing).toContain("compapp/site-packages/greetlib/__pycache__/words.cpython-311.pyc");
    expect(listing).toContain("compapp/app/libs/src/compapp/__pycache__/helpers.cpython-311.pyc");
    // A module that does not compile stays source-only, and the build says so.
    expect(listing).not.toContain("compapp/site-packages/greetlib/__pycache__/py2only.cpython-311.pyc");
    expect(one.stderr).toContain("1 of 5 module(s) did not compile");
    const pyc = spawnSync("tar", [
      "-xzOf",
      join(work.path, "one.tar.gz"),
      "compapp/site-packages/greetlib/__pycache__/words.cpython-311.pyc",
    ]).stdout;
    // PEP 552: flags 0b01 (hash-based, source not checked), then the source's SipHash; the path inside is bundle-relative.
    expect(pyc.readUInt32LE(4)).toBe(1);
    expect(pyc.includes(Buffer.from("site-packages/greetlib/words.py"))).toBe(true);
    expect(pyc.includes(Buffer.from(work.path))).toBe(false);
    // The .pyc files are members like any other: listed in the manifest and checked by verify.
    const verified = await cli(["bundle", "verify", join(work.path, "one.tar.gz"), "--json"], {
      PYSTORE_STORE: join(work.path, "store-1"),
    });
    expect(verified.code, verified.stdout).toBe(0);
    const manifest = JSON.parse(
      spawnSync("tar", ["-xOzf", join(work.path, "one.tar.gz"), "compapp/pystore-bundle.json"], { encoding: "utf8" }).stdout,
    );
    const compiler = spawnSync("python3.11", ["-c", "import platform; print(platform.python_version())"], {
      encoding: "utf8",
    }).stdout.trim();
    expect(manifest.bytecode).toEqual({ invalidation: "unchecked-hash", cacheTag: "cpython-311", compiler });
    expect(manifest.files.filter((f: { path: string }) => f.path.endsWith(".pyc"))).toHaveLength(4);
  });

  it("a read-only bundle run with HOME=/nonexistent imports its bytecode and writes nothing; verify checks the .pyc files", async () => {
    const env = { PYSTORE_STORE: join(work.path, "store-1"), SOURCE_DATE_EPOCH: "" };
    const compiled = join(work.path, "compiled");
    const plain = join(work.path, "plain");
    expect((await cli(["bundle", "--project", project, ...TARGET, "--compile", "-o", compiled], env)).code).toBe(0);
    expect((await cli(["bundle", "--project", project, ...TARGET, "--no-compile", "-o", plain], env)).code).toBe(0);
    const run = (bundle: string, home = "/nonexistent") => {
      const result = spawnSync("env", ["-i", "PATH=/usr/bin:/bin", `HOME=${home}`, join(bundle, "bin/compapp")], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      return JSON.parse(result.stdout) as {
        compiled: string[];
        greeting: string;
        dont_write_bytecode: boolean;
        pycache_prefix: string | null;
      };
    };
    spawnSync("chmod", ["-R", "a-w", compiled]);
    const before = snapshot(compiled);
    const shown = run(compiled);
    expect(shown).toMatchObject({ greeting: "Hello World", dont_write_bytecode: true, pycache_prefix: null });
    expect(shown.compiled).toEqual([]);
    expect(snapshot(compiled)).toEqual(before);
    // With a usable cache directory the bootstrap would set sys.pycache_prefix, which hides __pycache__.
    const home = join(work.path, "home");
    mkdirSync(home);
    expect(run(compiled, home).compiled).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
    expect((await cli(["bundle", "verify", compiled], env)).code).toBe(0);
    // The control: the same program from a bundle without bytecode compiles its modules.
    expect(
      run(plain)
        .compiled.map((p) => relative(plain, p))
        .sort(),
    ).toEqual(["app/libs/src/compapp/helpers.py", "site-packages/greetlib/__init__.py", "site-packages/greetlib/words.py"]);

    spawnSync("chmod", ["-R", "u+w", compiled]);
    const pyc = join(compiled, "app/libs/src/compapp/__pycache__/helpers.cpython-311.pyc");
    writeFileSync(pyc, Buffer.concat([readFileSync(pyc), Buffer.from([0])]));
    const damaged = await cli(["bundle", "verify", compiled], env);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toContain("app/libs/src/compapp/__pycache__/helpers.cpython-311.pyc");
    chmodSync(pyc, 0o644);
  });

  it("without a Python of the target's X.Y: one info line and sources only; --compile then refuses", async () => {
    const env = { PYSTORE_STORE: join(work.path, "store-1"), SOURCE_DATE_EPOCH: "", PATH: "/usr/bin:/bin" };
    const target = ["--platform", "manylinux_x86_64", "--python", "3.13"];
    const out = join(work.path, "py313");
    const built = await cli(["bundle", "--project", project, "-l", join(project, "pylock.toml"), ...target, "-o", out], env);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr.match(/bytecode not compiled into the bundle \(no python3\.13 on PATH\)/g)).toHaveLength(1);
    expect(spawnSync("find", [out, "-name", "*.pyc"], { encoding: "utf8" }).stdout).toBe("");
    const refused = await cli(["bundle", "--project", project, "-l", join(project, "pylock.toml"), ...target, "--compile", "-o", out], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--compile needs a Python 3.13");
  });
});
