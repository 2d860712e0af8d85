// Launchers: the POSIX sh (and Windows .cmd) files in OUT/bin, and the Python bootstrap they exec, which
// checks the interpreter against the bundle's target, builds an isolated sys.path and runs the executable.

import type { Executable } from "./scripts.js";

/** What the bootstrap reads from `.pystore/launch.json` (also embedded in .pyz bundles). */
export interface LaunchConfig {
  formatVersion: 1;
  name: string;
  target: string;
  /** "3.11" */
  python: string;
  /** "CPython", "PyPy": platform.python_implementation() of the target. */
  implementation: string;
  sysPlatform: string;
  /** Checked only when the bundle holds compiled code: pure bundles run on any machine. */
  machine?: string;
  /**
   * Also only with compiled code, for manylinux/musllinux targets: the C library the wheels were built
   * against. glibc needs at least `version` ("2.28"); musl needs a musl interpreter (any version).
   */
  libc?: LibcRequirement;
  /** Bundle-relative sys.path entries in order (app code and libs); site-packages is added after the stdlib. */
  paths: string[];
  sitePackages: string;
  executables: Record<string, { kind: "entry"; module: string; attr?: string } | { kind: "script"; path: string }>;
  /** .pyz only: the bundle's hash, naming the cache directory native code is extracted to. */
  bundleHash?: string;
  /** .pyz only: true when site-packages must be extracted before import (compiled extensions). */
  extract?: boolean;
}

export interface LibcRequirement {
  kind: "glibc" | "musl";
  /** "MAJOR.MINOR" from the platform tag. */
  version: string;
}

const LEGACY_MANYLINUX: Record<string, string> = { manylinux1: "2.5", manylinux2010: "2.12", manylinux2014: "2.17" };

/** The C library a platform tag promises (PEP 600 / PEP 656); undefined for anything that is not Linux-with-libc. */
export function libcRequirement(platform: string): LibcRequirement | undefined {
  let m = /^(manylinux|musllinux)_(\d+)_(\d+)_/.exec(platform);
  if (m) return { kind: m[1] === "manylinux" ? "glibc" : "musl", version: `${Number(m[2])}.${Number(m[3])}` };
  m = /^(manylinux1|manylinux2010|manylinux2014)_/.exec(platform);
  return m ? { kind: "glibc", version: LEGACY_MANYLINUX[m[1]]! } : undefined;
}

function versionParts(version: string): [number, number] {
  const [major, minor] = version.split(".").map(Number);
  return [major!, minor!];
}

function newer(a: string, b: string): boolean {
  const [am, an] = versionParts(a);
  const [bm, bn] = versionParts(b);
  return am !== bm ? am > bm : an > bn;
}

/**
 * The C library a bundle's compiled wheels actually need: for each native wheel the oldest libc among
 * its platform tags of the target's kind (any one tag is a promise the wheel runs there), and the
 * newest of those over all wheels. A `--platform host` bundle then asks only what its wheels need, not
 * the build machine's glibc. A wheel without such a tag (plain `linux_*`) gets only the target's word.
 */
export function libcRequirementForWheels(wheelPlatformTags: string[][], targetPlatform: string): LibcRequirement | undefined {
  const target = libcRequirement(targetPlatform);
  if (!target) return undefined;
  let need: string | undefined;
  for (const platforms of wheelPlatformTags) {
    let wheelNeed: string | undefined;
    for (const tag of platforms) {
      const promise = libcRequirement(tag);
      if (promise?.kind === target.kind && (wheelNeed === undefined || newer(wheelNeed, promise.version))) wheelNeed = promise.version;
    }
    if (wheelNeed === undefined) return target;
    if (need === undefined || newer(wheelNeed, need)) need = wheelNeed;
  }
  return need === undefined ? target : { kind: target.kind, version: need };
}

const IMPLEMENTATIONS: Record<string, string> = { cp: "CPython", pp: "PyPy", gp: "GraalVM", ip: "IronPython", jy: "Jython" };

export function implementationName(code: string): string {
  return IMPLEMENTATIONS[code] ?? code;
}

export function launchConfig(base: Omit<LaunchConfig, "executables" | "formatVersion">, executables: Executable[]): LaunchConfig {
  const table: LaunchConfig["executables"] = {};
  for (const exe of executables) {
    table[exe.name] =
      exe.kind === "entry"
        ? { kind: "entry", module: exe.module, ...(exe.attr === undefined ? {} : { attr: exe.attr }) }
        : { kind: "script", path: exe.path };
  }
  return { formatVersion: 1, ...base, executables: table };
}

/** Shell-quote for a single-quoted sh word. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The POSIX sh launcher for one executable. Identical for every bundle of the same lock and project. */
export function shLauncher(name: string, config: Pick<LaunchConfig, "python" | "target">): string {
  const q = shQuote(name);
  const py = config.python;
  return `#!/bin/sh
# ${name}: launcher for a pystore bundle (target ${config.target}). Generated; \`pystore bundle verify\` checks it.
self=$0
case $self in
  */*) ;;
  *) self=$(command -v -- "$self") || { echo ${q}": cannot locate this launcher" >&2; exit 127; } ;;
esac
# Follow symlinks one hop at a time: \`readlink -f\` is missing on some systems (BusyBox, older macOS).
while [ -L "$self" ]; do
  link=$(readlink -- "$self") || break
  case $link in
    /*) self=$link ;;
    *) self=\${self%/*}/$link ;;
  esac
done
root=$(cd -P -- "\${self%/*}/.." && pwd -P) || exit 127
if [ -x "$root/python/bin/python3" ]; then
  py=$root/python/bin/python3
elif [ -n "\${PYSTORE_PYTHON:-}" ]; then
  py=$PYSTORE_PYTHON
elif command -v python${py} >/dev/null 2>&1; then
  py=python${py}
elif command -v python3 >/dev/null 2>&1; then
  py=python3
else
  echo ${q}": no Python found: this bundle needs Python ${py} (looked for $root/python/bin/python3, \\$PYSTORE_PYTHON, python${py} and python3 on PATH)" >&2
  exit 127
fi
# -S -s -E: no site-packages of the machine, no user site, no PYTHON* variables; the bootstrap builds sys.path.
exec "$py" -S -s -E "$root/.pystore/boot.py" ${q} "$0" "$@"
`;
}

/** The Windows launcher: same bootstrap, interpreter from the embedded python, PYSTORE_PYTHON or the py launcher. */
export function cmdLauncher(name: string, config: Pick<LaunchConfig, "python" | "target">): string {
  const lines = [
    "@echo off",
    `rem ${name}: launcher for a pystore bundle (target ${config.target}). Generated.`,
    "setlocal",
    'set "PYSTORE_ROOT=%~dp0.."',
    'if exist "%PYSTORE_ROOT%\\python\\python.exe" (',
    '  set "PYSTORE_PY="%PYSTORE_ROOT%\\python\\python.exe""',
    ") else if defined PYSTORE_PYTHON (",
    '  set "PYSTORE_PY="%PYSTORE_PYTHON%""',
    ") else (",
    `  set "PYSTORE_PY=py -${config.python}"`,
    ")",
    `%PYSTORE_PY% -S -s -E "%PYSTORE_ROOT%\\.pystore\\boot.py" "${name}" "%~f0" %*`,
    "exit /b %ERRORLEVEL%",
    "",
  ];
  return lines.join("\r\n");
}

/**
 * Python shared by boot.py and the .pyz __main__.py. Written for any Python (no f-strings) so that even
 * a Python 2 on PATH reaches the "wrong version" message instead of a syntax error.
 */
const PY_COMMON = String.raw`import os
import sys


def _fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def _check(cfg, name):
    if os.environ.get("PYSTORE_NO_TARGET_CHECK") == "1":
        return
    import platform
    found = "%d.%d" % tuple(sys.version_info[:2])
    impl = platform.python_implementation()
    machines = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
    machine = platform.machine().lower()
    machine = machines.get(machine, machine)
    want_machine = (cfg.get("machine") or "").lower()
    want_machine = machines.get(want_machine, want_machine)
    problems = []
    hints = []
    if found != cfg["python"] or impl != cfg["implementation"]:
        problems.append("Python %s %s (found %s %s at %s)" % (cfg["implementation"], cfg["python"], impl, platform.python_version(), sys.executable))
    if sys.platform != cfg["sysPlatform"] or (want_machine and machine != want_machine):
        problems.append("platform %s %s (found %s %s)" % (cfg["sysPlatform"], want_machine or "any", sys.platform, machine))
    if problems:
        hints.append("install Python %s and put it on PATH as python%s, or set PYSTORE_PYTHON to its path" % (cfg["python"], cfg["python"]))
    libc = cfg.get("libc")
    if libc and sys.platform.startswith("linux"):
        kind, version = _libc()
        found_libc = ("%s %s" % (kind, version)).strip() if kind else "an unknown C library"
        if libc["kind"] == "glibc" and (kind != "glibc" or _version_tuple(version) < _version_tuple(libc["version"])):
            problems.append("glibc %s or newer (found %s)" % (libc["version"], found_libc))
            hints.append("run it on a machine with glibc %s or newer, or rebuild the bundle for this machine (e.g. --platform host)" % libc["version"])
        elif libc["kind"] == "musl" and kind != "musl":
            problems.append("musl libc (found %s)" % found_libc)
            hints.append("run it on a musl system (e.g. Alpine), or rebuild the bundle for this machine (e.g. --platform host)")
    if problems:
        _fail("%s: this bundle was built for target %s and needs %s\nhint: %s"
              % (name, cfg["target"], "; ".join(problems), "; or ".join(hints)))


def _version_tuple(text):
    parts = []
    for part in text.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or "0"))
    return tuple(parts)


def _libc():
    # ("glibc", "2.36"), ("musl", "1.2") or ("musl", ""), or (None, "") when neither can be told.
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        text = None
    if text:
        parts = text.split()
        if len(parts) == 2 and parts[0] == "glibc":
            return "glibc", parts[1]
    import platform
    try:
        lib, version = platform.libc_ver()
    except (OSError, ValueError):
        lib, version = "", ""
    if lib == "glibc" and version:
        return "glibc", version
    # musl has no confstr name for its version; its builds of Python name it in the host triple, and a
    # Python that is not glibc on a system with musl's loader (/lib/ld-musl-<arch>.so.1) is musl's.
    import glob
    import sysconfig
    triples = " ".join(str(sysconfig.get_config_var(v) or "") for v in ("HOST_GNU_TYPE", "MULTIARCH", "SOABI"))
    if lib == "musl" or "musl" in triples or glob.glob("/lib/ld-musl-*.so.1"):
        return "musl", version if lib == "musl" else ""
    return None, ""


def _cache_home():
    # A relative XDG_CACHE_HOME is invalid per the XDG spec, and a relative HOME would put the cache
    # under whatever the current directory happens to be: only absolute bases count.
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        base = os.path.join(home, ".cache") if os.path.isabs(home) else ""
    if not base:
        return None
    # Writable-ish: the nearest existing ancestor must be a writable directory other than "/", so a
    # missing HOME (HOME=/nonexistent for services) never grows new top-level directories.
    probe = base
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent
    if not os.path.isdir(probe) or os.path.dirname(probe) == probe or not os.access(probe, os.W_OK):
        return None
    return base


def _pycache_prefix():
    # Keep bytecode out of the bundle (it may be read-only, and "bundle verify" checks it byte for byte).
    # Without a usable cache, leave the prefix alone: Python then skips writing bytecode it cannot write.
    if not hasattr(sys, "pycache_prefix") or sys.pycache_prefix is not None:
        return
    base = _cache_home()
    if base is not None:
        sys.pycache_prefix = os.path.join(base, "pystore", "pycache")


def _set_path(front, site_packages):
    import site
    # Keep only the interpreter's own stdlib: nothing from PYTHONPATH, the machine's or the user's site-packages.
    bases = tuple(os.path.normcase(os.path.abspath(b)) for b in set([sys.base_prefix if hasattr(sys, "base_prefix") else sys.prefix, sys.base_exec_prefix if hasattr(sys, "base_exec_prefix") else sys.exec_prefix]))
    stdlib = []
    for p in sys.path[1:]:
        norm = os.path.normcase(os.path.abspath(p)) if p else ""
        if norm and norm.startswith(bases) and "site-packages" not in norm and "dist-packages" not in norm:
            stdlib.append(p)
    sys.path[:] = list(front) + stdlib
    # addsitedir appends site-packages after the stdlib and runs its .pth files, as a venv would.
    site.addsitedir(site_packages)
    # -S skipped site.main(); scripts still expect the exit()/quit()/help() builtins it installs.
    for name in ("setquit", "setcopyright", "sethelper"):
        if hasattr(site, name):
            getattr(site, name)()


def _run(cfg, name, argv0, args, locate, read):
    exe = cfg["executables"].get(name)
    if exe is None:
        _fail("%s: not an executable of this bundle (it has: %s)" % (name, ", ".join(sorted(cfg["executables"])) or "none"))
    if exe["kind"] == "script":
        import types
        path = locate(exe["path"])
        # As "python path/to/script.py" would: argv[0] is the script, its directory leads sys.path.
        sys.argv = [path] + list(args)
        sys.path.insert(0, os.path.dirname(path))
        code = compile(read(exe["path"]), path, "exec")
        module = types.ModuleType("__main__")
        module.__file__ = path
        module.__builtins__ = __builtins__
        sys.modules["__main__"] = module
        exec(code, module.__dict__)
        return
    import importlib
    sys.argv = [argv0] + list(args)
    target = importlib.import_module(exe["module"])
    for part in (exe.get("attr") or "").split("."):
        if part:
            target = getattr(target, part)
    sys.exit(target())
`;

/** `.pystore/boot.py` of a directory bundle. */
export function bootScript(): string {
  return `# pystore bundle bootstrap: checks the interpreter, sets an isolated sys.path, runs one executable. Generated.
${PY_COMMON}

def main():
    import json
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    with open(os.path.join(here, "launch.json")) as f:
        cfg = json.load(f)
    name, argv0, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    _check(cfg, name)
    _pycache_prefix()
    _set_path([os.path.join(root, p) for p in cfg["paths"]], os.path.join(root, cfg["sitePackages"]))
    _run(cfg, name, argv0, args, lambda rel: os.path.join(root, rel), lambda rel: open(os.path.join(root, rel), "rb").read())


main()
`;
}

/** `__main__.py` of a .pyz bundle: picks the executable, extracts compiled code when needed, then runs. */
export function pyzMain(): string {
  return `# pystore .pyz bootstrap: picks the executable, extracts compiled code if any, sets sys.path, runs. Generated.
${PY_COMMON}

def _extract(archive, cfg):
    import shutil
    import tempfile
    import zipfile
    key = cfg["bundleHash"][:32]
    prefix = cfg["sitePackages"] + "/"
    bases = []
    cache = _cache_home()
    if cache is not None:
        bases.append(os.path.join(cache, "pystore", "pyz"))
    # Fallback for services whose HOME is missing or read-only.
    bases.append(os.path.join(tempfile.gettempdir(), "pystore-pyz-%s" % (os.getuid() if hasattr(os, "getuid") else "user")))
    for base in bases:
        final = os.path.join(base, key)
        if os.path.isfile(os.path.join(final, ".complete")):
            return os.path.join(final, cfg["sitePackages"])
        try:
            if not os.path.isdir(base):
                os.makedirs(base, 0o700)
            tmp = tempfile.mkdtemp(prefix=".tmp-" + key + "-", dir=base)
        except OSError:
            continue
        try:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.filename.startswith(prefix) and not info.filename.endswith("/"):
                        zf.extract(info, tmp)
                        mode = (info.external_attr >> 16) & 0o777
                        if mode:
                            os.chmod(os.path.join(tmp, info.filename), mode)
            open(os.path.join(tmp, ".complete"), "w").close()
            try:
                os.rename(tmp, final)
            except OSError:
                # Another process won the race; its copy is identical (same bundle hash).
                shutil.rmtree(tmp, ignore_errors=True)
            if os.path.isfile(os.path.join(final, ".complete")):
                return os.path.join(final, cfg["sitePackages"])
        except (OSError, IOError):
            shutil.rmtree(tmp, ignore_errors=True)
    _fail("%s: cannot extract compiled extensions: neither %s is writable" % (archive, " nor ".join(bases)))


def main():
    import json
    import zipfile
    archive = os.path.dirname(os.path.abspath(__file__))
    with zipfile.ZipFile(archive) as zf:
        cfg = json.loads(zf.read(".pystore/launch.json").decode("utf-8"))
    names = sorted(cfg["executables"])
    argv0, args = sys.argv[0], sys.argv[1:]
    invoked = os.path.basename(argv0)
    if invoked.endswith(".pyz"):
        invoked = invoked[:-4]
    if len(names) == 1:
        name = names[0]
    elif invoked in cfg["executables"]:
        name = invoked
    elif args and args[0] in cfg["executables"]:
        name, argv0, args = args[0], args[0], args[1:]
    else:
        _fail("%s: name the executable to run as the first argument (one of: %s)" % (argv0, ", ".join(names) or "none"))
    _check(cfg, name)
    _pycache_prefix()
    site_packages = _extract(archive, cfg) if cfg.get("extract") else os.path.join(archive, cfg["sitePackages"])
    _set_path([os.path.join(archive, p) for p in cfg["paths"]], site_packages)
    with zipfile.ZipFile(archive) as zf:
        sources = dict((n, zf.read(n)) for n in [e["path"] for e in cfg["executables"].values() if e["kind"] == "script"])
    _run(cfg, name, argv0, args, lambda rel: os.path.join(archive, rel), lambda rel: sources[rel])


main()
`;
}
