"""pystore's build-interpreter probe: who this Python really is, as one JSON line (shims resolved)."""
import json
import platform
import sys
import sysconfig

print(json.dumps({
    "executable": sys.executable,
    "implementation": sys.implementation.name,
    "version": platform.python_version(),
    "platform": sysconfig.get_platform(),
    "soabi": sysconfig.get_config_var("SOABI") or "",
}))
