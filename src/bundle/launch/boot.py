# pystore bundle bootstrap: checks the interpreter, sets an isolated sys.path, runs one executable. Generated.
# pystore:include common.py


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    with open(os.path.join(here, "launch.json"), "rb") as f:
        cfg = _load_config(f.read().decode("utf-8"))
    name, argv0, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    _check(cfg, name)
    if cfg.get("data"):
        # The project's data files ([tool.pystore] data), for the app and the processes it starts.
        os.environ["PYSTORE_APP_DATA"] = os.path.join(root, cfg["data"])
    _pycache_prefix(cfg)
    _set_path([os.path.join(root, p) for p in cfg["paths"]], os.path.join(root, cfg["sitePackages"]))
    _run(cfg, name, argv0, args, lambda rel: os.path.join(root, rel), lambda rel: open(os.path.join(root, rel), "rb").read())


main()
