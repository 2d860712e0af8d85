// The host-probe cache's pieces: finding the interpreter without spawning, where the cache lives, and what invalidates an entry.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  findInterpreter,
  hostCacheDir,
  hostCacheEnabled,
  hostCacheFile,
  hostFingerprint,
  readHostCache,
  wrapperSelection,
  writeHostCache,
  type Interpreter,
} from "../../src/platform/host-cache.js";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "pystore-host-cache-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function executable(path: string, text = "#!/bin/sh\nexit 0\n"): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

describe("findInterpreter", () => {
  const a = join(dir, "path-a");
  const b = join(dir, "path-b");
  const c = join(dir, "path-c");
  mkdirSync(a);
  mkdirSync(b);
  mkdirSync(c);
  // a: not executable; b: a directory of that name; c: the real one, reached through a symlink.
  writeFileSync(join(a, "pyx"), "not executable");
  mkdirSync(join(b, "pyx"));
  const target = executable(join(c, "python-real"));
  symlinkSync(target, join(c, "pyx"));

  it("walks PATH in order, skipping non-executables and directories, and resolves symlinks", () => {
    const found = findInterpreter("pyx", { PATH: [a, b, c].join(":") });
    expect(found).toEqual({ path: join(c, "pyx"), real: target });
  });

  it("treats an empty PATH entry as the working directory, and a name with a slash as a path", () => {
    expect(findInterpreter("python-real", { PATH: `${a}::${b}` }, c)?.path).toBe(target);
    expect(findInterpreter("./python-real", { PATH: a }, c)?.path).toBe(target);
    expect(findInterpreter(target, { PATH: "" })?.real).toBe(target);
  });

  it("returns undefined when nothing executable matches", () => {
    expect(findInterpreter("pyx", { PATH: [a, b].join(":") })).toBeUndefined();
    expect(findInterpreter(join(a, "pyx"), {})).toBeUndefined();
    expect(findInterpreter("pyx", {})).toBeUndefined();
  });
});

describe("cache location and switch", () => {
  it("uses an absolute XDG_CACHE_HOME, else HOME/.cache", () => {
    expect(hostCacheDir({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" })).toBe("/x/cache/pystore");
    expect(hostCacheDir({ XDG_CACHE_HOME: "relative", HOME: "/home/u" })).toBe("/home/u/.cache/pystore");
    expect(hostCacheDir({ HOME: "/home/u" })).toBe("/home/u/.cache/pystore");
  });

  it("is disabled by PYSTORE_NO_HOST_CACHE=1 only", () => {
    expect(hostCacheEnabled({})).toBe(true);
    expect(hostCacheEnabled({ PYSTORE_NO_HOST_CACHE: "0" })).toBe(true);
    expect(hostCacheEnabled({ PYSTORE_NO_HOST_CACHE: "1" })).toBe(false);
  });
});

describe("readHostCache / writeHostCache", () => {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const python = executable(join(bin, "python3"));
  const lib = join(dir, "libc.so.6");
  writeFileSync(lib, "libc");
  const interpreter: Interpreter = { path: python, real: python };
  const env = { HOME: join(dir, "home") };
  const probe = { answer: 42 };
  const cacheDir = join(dir, "cache");
  let n = 0;

  async function written(facts: { executable?: string; env?: NodeJS.ProcessEnv } = {}) {
    const file = join(cacheDir, `entry-${++n}.json`);
    const fingerprint = hostFingerprint(interpreter, facts.env ?? env)!;
    await writeHostCache(file, fingerprint, probe, {
      libraries: [lib],
      executable: facts.executable ?? python,
      selection: wrapperSelection(facts.env ?? env),
    });
    return file;
  }

  it("round-trips a probe answer for an unchanged interpreter", async () => {
    const file = await written();
    expect(readHostCache(file, hostFingerprint(interpreter, env)!, env)).toEqual(probe);
    expect(JSON.parse(readFileSync(file, "utf8")).wrapper).toBeUndefined();
  });

  it("names one file per interpreter", () => {
    const other = hostCacheFile(cacheDir, { path: lib, real: lib });
    expect(hostCacheFile(cacheDir, interpreter)).toMatch(/\/host-[0-9a-f]{16}\.json$/);
    expect(other).not.toBe(hostCacheFile(cacheDir, interpreter));
  });

  it("misses when the stored format, pystore version, kernel or probe-relevant environment differ", async () => {
    const file = await written();
    const now = hostFingerprint(interpreter, env)!;
    for (const patch of [{ format: now.format + 1 }, { pystore: "0.0.0-other" }, { machine: { ...now.machine, release: "0.0.1" } }]) {
      const stored = { ...JSON.parse(readFileSync(file, "utf8")), ...patch };
      writeFileSync(file, JSON.stringify(stored));
      expect(readHostCache(file, now, env)).toBeUndefined();
    }
    const withHostPlatform = { ...env, _PYTHON_HOST_PLATFORM: "linux-aarch64" };
    expect(readHostCache(await written(), hostFingerprint(interpreter, withHostPlatform)!, withHostPlatform)).toBeUndefined();
  });

  it("misses when the interpreter or a library it loaded changes", async () => {
    const file = await written();
    utimesSync(python, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(readHostCache(file, hostFingerprint(interpreter, env)!, env)).toBeUndefined();
    const second = await written();
    expect(readHostCache(second, hostFingerprint(interpreter, env)!, env)).toEqual(probe);
    writeFileSync(lib, "libc, upgraded");
    expect(readHostCache(second, hostFingerprint(interpreter, env)!, env)).toBeUndefined();
  });

  it("for a wrapper (a shim that ran another binary), also misses when the version selection changes", async () => {
    const real = executable(join(dir, "python3.99"));
    const file = await written({ executable: real });
    expect(JSON.parse(readFileSync(file, "utf8")).wrapper).toBeDefined();
    expect(readHostCache(file, hostFingerprint(interpreter, env)!, env)).toEqual(probe);
    const pinned = { ...env, PYENV_VERSION: "3.12.1" };
    expect(readHostCache(file, hostFingerprint(interpreter, pinned)!, pinned)).toBeUndefined();
    mkdirSync(join(dir, "home", ".pyenv"), { recursive: true });
    writeFileSync(join(dir, "home", ".pyenv", "version"), "3.13.0\n");
    expect(readHostCache(file, hostFingerprint(interpreter, env)!, env)).toBeUndefined();
    const again = await written({ executable: real });
    utimesSync(real, new Date(2002, 1, 1), new Date(2002, 1, 1));
    expect(readHostCache(again, hostFingerprint(interpreter, env)!, env)).toBeUndefined();
  });

  it("ignores missing and corrupt files", () => {
    const now = hostFingerprint(interpreter, env)!;
    expect(readHostCache(join(cacheDir, "absent.json"), now, env)).toBeUndefined();
    const corrupt = join(cacheDir, "corrupt.json");
    for (const text of ["{trunc", "null", "[]", JSON.stringify({ ...now, libraries: "no" })]) {
      writeFileSync(corrupt, text);
      expect(readHostCache(corrupt, now, env)).toBeUndefined();
    }
  });
});
