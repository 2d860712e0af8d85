# pystore .pyz bootstrap: picks the executable, extracts compiled code if any, sets sys.path, runs. Generated.
# pystore:include common.py


def _extract(archive, cfg):
    # Extracts what must be real files: site-packages with compiled code, and the project's data files.
    import shutil
    import tempfile
    import zipfile
    key = cfg["bundleHash"][:32]
    prefixes = tuple(p + "/" for p in [cfg["sitePackages"] if cfg.get("extract") else None, cfg.get("data")] if p)
    bases = []
    cache = _cache_home()
    if cache is not None:
        bases.append(os.path.join(cache, "pystore", "pyz"))
    # Fallback for services whose HOME is missing or read-only.
    bases.append(os.path.join(tempfile.gettempdir(), "pystore-pyz-%s" % (os.getuid() if hasattr(os, "getuid") else "user")))
    for base in bases:
        final = os.path.join(base, key)
        if os.path.isfile(os.path.join(final, ".complete")):
            return final
        try:
            if not os.path.isdir(base):
                os.makedirs(base, 0o700)
            tmp = tempfile.mkdtemp(prefix=".tmp-" + key + "-", dir=base)
        except OSError:
            continue
        try:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.filename.startswith(prefixes) and not info.filename.endswith("/"):
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
                return final
        except (OSError, IOError):
            shutil.rmtree(tmp, ignore_errors=True)
    _fail("%s: cannot extract compiled extensions or data files: neither %s is writable" % (archive, " nor ".join(bases)))


def main():
    import zipfile
    archive = os.path.dirname(os.path.abspath(__file__))
    with zipfile.ZipFile(archive) as zf:
        cfg = _load_config(zf.read(".pystore/launch.json").decode("utf-8"))
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
    _pycache_prefix(cfg)
    extracted = _extract(archive, cfg) if cfg.get("extract") or cfg.get("data") else None
    site_packages = os.path.join(extracted if cfg.get("extract") else archive, cfg["sitePackages"])
    if cfg.get("data"):
        os.environ["PYSTORE_APP_DATA"] = os.path.join(extracted, cfg["data"])
    _set_path([os.path.join(archive, p) for p in cfg["paths"]], site_packages)
    with zipfile.ZipFile(archive) as zf:
        sources = dict((n, zf.read(n)) for n in [e["path"] for e in cfg["executables"].values() if e["kind"] == "script"])
    _run(cfg, name, argv0, args, lambda rel: os.path.join(archive, rel), lambda rel: sources[rel])


main()
