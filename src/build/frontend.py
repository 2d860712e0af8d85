"""pystore's PEP 517 build frontend: calls one backend hook in an isolated interpreter.

Run as `python -s -S -u frontend.py REQUEST.json` in an environment pystore builds whole. The request names the hook, the unpacked source tree,
the backend (`build-backend`, `backend-path`), the build environment's site directories and where to
write the answer. The answer is JSON: {"result": ...} or {"unsupported": true} when an optional hook
is missing. Anything the backend prints goes to the build log (stdout and stderr are that file).
"""

import importlib
import json
import os
import site
import sys
import traceback

OPTIONAL_HOOKS = {"get_requires_for_build_wheel", "prepare_metadata_for_build_wheel"}


def load_backend(spec, source_dir, backend_path):
    paths = [os.path.realpath(os.path.join(source_dir, p)) for p in backend_path]
    root = os.path.realpath(source_dir)
    for p in paths:
        # PEP 517: backend-path entries are relative to the source tree and must stay inside it.
        if os.path.commonpath([p, root]) != root:
            raise SystemExit("backend-path entry %r is outside the source tree" % p)
    sys.path[:0] = paths
    module_name, _, attrs = spec.partition(":")
    backend = importlib.import_module(module_name)
    for attr in filter(None, attrs.split(".")):
        backend = getattr(backend, attr)
    if paths:
        # PEP 517: an in-tree backend must really come from backend-path, not from the environment.
        origin = os.path.realpath(getattr(importlib.import_module(module_name), "__file__", "") or "")
        if not any(os.path.commonpath([origin, p]) == p for p in paths):
            raise SystemExit("backend %r was not loaded from backend-path" % spec)
    return backend


def main():
    # Nothing beside this file may shadow what the backend imports (what `python -P` does).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    # Fixed permissions in whatever the backend writes: the wheel's bytes must not depend on the caller.
    os.umask(0o022)
    for directory in request["site_dirs"]:
        site.addsitedir(directory)
    source_dir = request["source_dir"]
    os.chdir(source_dir)
    backend = load_backend(request["backend"], source_dir, request.get("backend_path", []))
    hook_name = request["hook"]
    hook = getattr(backend, hook_name, None)
    answer = {}
    if hook is None:
        if hook_name not in OPTIONAL_HOOKS:
            raise SystemExit("the backend %r has no %s hook" % (request["backend"], hook_name))
        answer["unsupported"] = True
    elif hook_name == "get_requires_for_build_wheel":
        answer["result"] = list(hook(None))
    else:
        answer["result"] = hook(request["output_dir"], None)
    tmp = request["result_file"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(answer, f)
    os.replace(tmp, request["result_file"])


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
