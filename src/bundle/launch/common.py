import os
import sys


def _fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def _load_config(text):
    # launch.json is written by pystore (JSON.stringify of strings, numbers, lists, objects, booleans), a
    # subset that is also a Python literal once true/false/null are names. Evaluating it with no builtins
    # avoids importing json (and re, enum, ...), the largest part of a launcher's start-up. The file is
    # the bundle's own, checked by its manifest like boot.py itself.
    value = eval(text, {"__builtins__": {}}, {"true": True, "false": False, "null": None})
    # JSON spells characters beyond U+FFFF as two escaped surrogates, Python as one: join any pairs.
    return _join_surrogates(value) if "\\ud" in text.lower() else value


def _join_surrogates(value):
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16")
    if isinstance(value, list):
        return [_join_surrogates(v) for v in value]
    if isinstance(value, dict):
        return dict((_join_surrogates(k), _join_surrogates(v)) for k, v in value.items())
    return value


def _implementation():
    # platform.python_implementation() without importing platform (and re): the same names.
    impl = getattr(sys, "implementation", None)
    if impl is None:  # Python 2: only platform knows, and the version check fails anyway
        import platform
        return platform.python_implementation()
    return {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}.get(impl.name, impl.name)


def _machine():
    # platform.machine() without importing platform; os.uname() is what it reads on POSIX.
    if hasattr(os, "uname"):
        return os.uname()[4]
    import platform
    return platform.machine()


def _check(cfg, name):
    if os.environ.get("PYSTORE_NO_TARGET_CHECK") == "1":
        return
    found = "%d.%d" % tuple(sys.version_info[:2])
    impl = _implementation()
    machines = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
    machine = _machine().lower()
    machine = machines.get(machine, machine)
    want_machine = (cfg.get("machine") or "").lower()
    want_machine = machines.get(want_machine, want_machine)
    problems = []
    hints = []
    if found != cfg["python"] or impl != cfg["implementation"]:
        problems.append("Python %s %s (found %s %s at %s)" % (cfg["implementation"], cfg["python"], impl, "%d.%d.%d" % tuple(sys.version_info[:3]), sys.executable))
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


def _pycache_prefix(cfg):
    if cfg.get("bytecode"):
        # The bundle ships unchecked-hash .pyc files beside its sources (bundle --compile). A prefix would
        # make Python look only there and never at them; and the bundle writes nothing into itself.
        sys.dont_write_bytecode = True
        return
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
