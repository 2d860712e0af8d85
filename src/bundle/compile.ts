// `bundle --compile`: the bundle's own modules compiled at build time into __pycache__/ as PEP 552
// unchecked-hash .pyc files, so a read-only bundle imports without compiling and never writes bytecode.
// The bytes depend only on the sources and the compiling interpreter: no path, time or hash seed.

import { execFile } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { PystoreError } from "../errors.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import { DEFAULT_EPOCH } from "../util/archive-time.js";
import type { Logger } from "../util/log.js";
import type { BundleContents } from "./contents.js";
import type { BundleManifest } from "./manifest.js";

export interface BytecodeCompiler {
  /** An interpreter of the target's X.Y and machine (the embedded one, or python3.X from PATH). */
  python: string;
  /** Its sys.implementation.cache_tag ("cpython-311"): names the .pyc files. */
  cacheTag: string;
  /** Its full version ("3.11.7"): the .pyc bytes may differ between patch releases, so the manifest says. */
  version: string;
}

/** The trees whose modules are compiled: the wheels and the project's code (not an embedded interpreter's). */
const COMPILED_ROOTS = [`${BUNDLE_SCHEME.purelib}/`, "app/libs/"];

/** `dir/name.py` → `dir/__pycache__/name.<tag>.pyc`, as importlib.util.cache_from_source names it. */
export function pycPath(source: string, cacheTag: string): string {
  const dir = posix.dirname(source);
  const stem = posix.basename(source).slice(0, -".py".length);
  return `${dir === "." ? "" : `${dir}/`}__pycache__/${stem}.${cacheTag}.pyc`;
}

function run(python: string, args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      args,
      {
        cwd,
        // PYTHONHASHSEED fixes the order of set constants (marshal wrote them in hash order before 3.11);
        // SOURCE_DATE_EPOCH is pinned for any tool that looks (the invalidation mode is given explicitly,
        // so py_compile does not need it).
        env: { PYTHONHASHSEED: "0", SOURCE_DATE_EPOCH: String(DEFAULT_EPOCH), LC_ALL: "C.UTF-8" },
        maxBuffer: 16 << 20,
      },
      (error, _stdout, stderr) => {
        if (error && typeof (error as { code?: unknown }).code !== "number")
          reject(
            new PystoreError("BUNDLE_FAILED", `cannot run ${python} to compile the bundle's modules: ${error.message}`, {
              hint: "bundle with --no-compile to ship sources only",
              cause: error,
            }),
          );
        else resolve({ code: error ? Number((error as { code?: number }).code) : 0, stderr });
      },
    );
  });
}

/**
 * Mirror every module of the bundle into `scratch` (its paths as in the bundle), compile them there with
 * `compileall --invalidation-mode unchecked-hash -s <scratch>` (so the path recorded in each .pyc is
 * the bundle-relative one), and add each .pyc to the contents. Modules that do not compile (Python 2
 * leftovers, templates named .py) stay source-only.
 */
export async function compileBundle(
  compiler: BytecodeCompiler,
  contents: BundleContents,
  scratch: string,
  log: Logger,
): Promise<NonNullable<BundleManifest["bytecode"]>> {
  const files = await contents.files();
  const present = new Set(files.map((f) => f.path));
  const sources = files
    .map((f) => f.path)
    .filter((p) => p.endsWith(".py") && COMPILED_ROOTS.some((root) => p.startsWith(root)))
    .filter((p) => !present.has(pycPath(p, compiler.cacheTag)));
  try {
    for (const path of sources) {
      const target = join(scratch, path);
      mkdirSync(dirname(target), { recursive: true });
      await pipeline(contents.open(path), createWriteStream(target, { flags: "wx" }));
    }
    const roots = COMPILED_ROOTS.map((r) => r.slice(0, -1)).filter((r) => existsSync(join(scratch, r)));
    if (roots.length > 0) {
      const args = ["-S", "-s", "-m", "compileall", "--invalidation-mode", "unchecked-hash", "-q", "-f", "-j", "0", "-r", "1000"];
      const result = await run(compiler.python, [...args, "-s", scratch, ...roots.map((r) => join(scratch, r))], scratch);
      if (result.code !== 0 && result.code !== 1)
        throw new PystoreError("BUNDLE_FAILED", `compiling the bundle's modules with ${compiler.python} failed: ${result.stderr.trim()}`, {
          hint: "bundle with --no-compile to ship sources only",
        });
    }
    let failed = 0;
    for (const path of sources) {
      const pyc = pycPath(path, compiler.cacheTag);
      const built = join(scratch, pyc);
      if (!existsSync(built)) {
        failed++;
        continue;
      }
      contents.write(pyc, readFileSync(built), 0o644);
    }
    if (failed > 0) log.info(`${failed} of ${sources.length} module(s) did not compile; they are imported from source`);
    log.debug(`compiled ${sources.length - failed} module(s) with ${compiler.python}`);
    return { invalidation: "unchecked-hash", cacheTag: compiler.cacheTag, compiler: compiler.version };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
