# pystore bundle bootstrap: checks the interpreter, sets an isolated sys.path, runs one executable. Generated.
# pystore:include common.py


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    with open(os.path.join(here, "launch.json"), "rb") as f:
        cfg = _load_config(f.read().decode("utf-8"))
    name, argv0, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    _check(cfg, name)
    _pycache_prefix()
    _set_path([os.path.join(root, p) for p in cfg["paths"]], os.path.join(root, cfg["sitePackages"]))
    _run(cfg, name, argv0, args, lambda rel: os.path.join(root, rel), lambda rel: open(os.path.join(root, rel), "rb").read())


main()
