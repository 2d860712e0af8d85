# pystore host probe: the running interpreter's marker environment, platform and C library, as one JSON line.
# Everything comes from the interpreter itself (as pip would see it), so a 32-bit Python on a 64-bit
# kernel or a musl Python in a glibc container is described correctly.
import glob, json, os, platform, re, subprocess, sys, sysconfig
def fmt(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
markers = {
    "implementation_name": sys.implementation.name,
    "implementation_version": fmt(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
glibc = None
try:
    glibc = os.confstr("CS_GNU_LIBC_VERSION")
except (AttributeError, OSError, ValueError):
    pass
musl = None
if not glibc and sys.platform.startswith("linux"):
    for loader in sorted(glob.glob("/lib/ld-musl-*.so.1")):
        try:
            out = subprocess.run([loader], capture_output=True, text=True).stderr
        except OSError:
            continue
        m = re.search(r"Version (\d+)\.(\d+)", out)
        if m:
            musl = [int(m.group(1)), int(m.group(2))]
            break
libraries = set()
try:
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/"):
                path = fields[5].strip()
                if os.path.basename(path).startswith(("libc.so", "libc-", "ld-linux", "ld-musl", "libpython")):
                    libraries.add(path)
except OSError:
    pass
if sys.platform == "darwin":
    libraries.add("/System/Library/CoreServices/SystemVersion.plist")
print(json.dumps({
    "markers": markers,
    "version": list(sys.version_info[:2]),
    "platform": sysconfig.get_platform(),
    "is64": sys.maxsize > 2**32,
    "glibc": glibc,
    "musl": musl,
    "mac": platform.mac_ver()[0],
    "libraries": sorted(libraries),
    "executable": os.path.realpath(sys.executable) if sys.executable else "",
}))
