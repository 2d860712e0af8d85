# pystore bundle bootstrap: checks the interpreter, sets an isolated sys.path, runs one executable. Generated.
# pystore:include common.py


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
