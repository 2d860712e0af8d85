# pystore interpreter probe: what a Python being added to the store is, as one JSON line on stdout.
# Run with -S -s -E -I by the interpreter itself, so the answer describes that interpreter (its own
# version, machine and C library), never the Python pystore might find on PATH.
import json
import os
import sys


def libc():
    # A glibc build answers confstr; a musl build names musl in its build triple.
    try:
        if os.confstr("CS_GNU_LIBC_VERSION"):
            return "glibc"
    except (AttributeError, OSError, ValueError):
        pass
    if not sys.platform.startswith("linux"):
        return None
    import sysconfig
    triples = " ".join(str(sysconfig.get_config_var(v) or "") for v in ("HOST_GNU_TYPE", "MULTIARCH", "SOABI"))
    return "musl" if "musl" in triples else None


machine = os.uname()[4] if hasattr(os, "uname") else ""
machine = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(machine.lower(), machine)
info = sys.version_info
version = "%d.%d.%d" % info[:3]
if info.releaselevel != "final":
    version += info.releaselevel[0] + str(info.serial)
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": version,
    "python": "%d.%d" % info[:2],
    "os": sys.platform,
    "machine": machine,
    "libc": libc(),
    "abiflags": getattr(sys, "abiflags", ""),
    "cacheTag": sys.implementation.cache_tag or "",
    "prefix": os.path.realpath(sys.prefix),
    "executable": os.path.realpath(sys.executable),
}, sort_keys=True))
