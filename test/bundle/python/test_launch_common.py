# The bundle bootstrap's shared functions (src/bundle/launch/common.py), run as Python: the target
# check, the C library probe, the isolated sys.path and the bytecode cache home.
# Run from vitest (test/bundle/launcher-python.test.ts) as `python3 -m unittest discover`.

import contextlib
import importlib.util
import io
import os
import platform
import shutil
import sys
import tempfile
import unittest
from unittest import mock

COMMON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "src", "bundle", "launch", "common.py")


def load_common():
    spec = importlib.util.spec_from_file_location("pystore_launch_common", COMMON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = load_common()

MACHINE = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())


def this_interpreter(**extra):
    cfg = {
        "target": "test-target",
        "python": "%d.%d" % sys.version_info[:2],
        "implementation": platform.python_implementation(),
        "sysPlatform": sys.platform,
        "executables": {},
    }
    cfg.update(extra)
    return cfg


def refusal(cfg):
    """The message _check exits with, or None when it lets the interpreter through."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            common._check(cfg, "tool")
        except SystemExit as stop:
            assert stop.code == 1
            return err.getvalue()
    return None


class CheckTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.dict(os.environ, {"PYSTORE_NO_TARGET_CHECK": ""})
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_accepts_the_interpreter_it_was_built_for(self):
        self.assertIsNone(refusal(this_interpreter()))
        self.assertIsNone(refusal(this_interpreter(machine=MACHINE.upper())))

    def test_names_the_wanted_and_found_python_with_a_hint(self):
        message = refusal(this_interpreter(python="2.7"))
        self.assertIn("tool: this bundle was built for target test-target and needs Python %s 2.7 (found" % platform.python_implementation(), message)
        self.assertIn("hint: install Python 2.7 and put it on PATH as python2.7, or set PYSTORE_PYTHON to its path", message)

    def test_checks_the_machine_only_when_asked(self):
        other = "riscv64" if MACHINE != "riscv64" else "s390x"
        message = refusal(this_interpreter(machine=other))
        self.assertIn("needs platform %s %s (found %s %s)" % (sys.platform, other, sys.platform, MACHINE), message)

    def test_the_escape_hatch_skips_every_check(self):
        with mock.patch.dict(os.environ, {"PYSTORE_NO_TARGET_CHECK": "1"}):
            self.assertIsNone(refusal(this_interpreter(python="2.7", machine="s390x")))

    @unittest.skipUnless(sys.platform.startswith("linux"), "the libc check runs on Linux only")
    def test_glibc_at_least_the_wanted_version_compared_as_numbers(self):
        with mock.patch.object(common, "_libc", return_value=("glibc", "2.36")):
            self.assertIsNone(refusal(this_interpreter(libc={"kind": "glibc", "version": "2.5"})))
            self.assertIsNone(refusal(this_interpreter(libc={"kind": "glibc", "version": "2.36"})))
            message = refusal(this_interpreter(libc={"kind": "glibc", "version": "2.39"}))
        self.assertIn("needs glibc 2.39 or newer (found glibc 2.36)", message)
        self.assertIn("hint: run it on a machine with glibc 2.39 or newer", message)

    @unittest.skipUnless(sys.platform.startswith("linux"), "the libc check runs on Linux only")
    def test_musl_needs_a_musl_interpreter_of_any_version(self):
        with mock.patch.object(common, "_libc", return_value=("musl", "")):
            self.assertIsNone(refusal(this_interpreter(libc={"kind": "musl", "version": "1.2"})))
            self.assertIn("needs glibc 2.17 or newer (found musl)", refusal(this_interpreter(libc={"kind": "glibc", "version": "2.17"})))
        with mock.patch.object(common, "_libc", return_value=(None, "")):
            self.assertIn("needs musl libc (found an unknown C library)", refusal(this_interpreter(libc={"kind": "musl", "version": "1.2"})))


class VersionTupleTest(unittest.TestCase):
    def test_numbers_not_text(self):
        self.assertEqual(common._version_tuple("2.28"), (2, 28))
        self.assertLess(common._version_tuple("2.5"), common._version_tuple("2.17"))
        self.assertEqual(common._version_tuple("2.35+dev"), (2, 35))
        self.assertEqual(common._version_tuple("x.1"), (0, 1))


class LibcTest(unittest.TestCase):
    def test_confstr_answers_first(self):
        with mock.patch.object(common.os, "confstr", create=True, return_value="glibc 2.36"):
            self.assertEqual(common._libc(), ("glibc", "2.36"))

    def test_libc_ver_when_confstr_cannot_tell(self):
        with mock.patch.object(common.os, "confstr", create=True, side_effect=ValueError), mock.patch.object(
            platform, "libc_ver", return_value=("glibc", "2.31")
        ):
            self.assertEqual(common._libc(), ("glibc", "2.31"))

    def test_musl_from_the_host_triple(self):
        with mock.patch.object(common.os, "confstr", create=True, return_value=None), mock.patch.object(
            platform, "libc_ver", return_value=("", "")
        ), mock.patch("sysconfig.get_config_var", side_effect=lambda name: "x86_64-pc-linux-musl" if name == "HOST_GNU_TYPE" else None):
            self.assertEqual(common._libc(), ("musl", ""))

    def test_unknown_when_nothing_tells(self):
        with mock.patch.object(common.os, "confstr", create=True, return_value=None), mock.patch.object(
            platform, "libc_ver", return_value=("", "")
        ), mock.patch("sysconfig.get_config_var", return_value=None), mock.patch("glob.glob", return_value=[]):
            self.assertEqual(common._libc(), (None, ""))


class SetPathTest(unittest.TestCase):
    def setUp(self):
        self.saved = list(sys.path)
        self.addCleanup(self.restore)
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def restore(self):
        sys.path[:] = self.saved

    def test_bundle_entries_then_stdlib_then_site_packages_and_nothing_else(self):
        site_packages = os.path.join(self.tmp, "site-packages")
        os.mkdir(site_packages)
        with open(os.path.join(site_packages, "extra.pth"), "w") as f:
            f.write(os.path.join(self.tmp, "from-pth") + "\n")
        os.mkdir(os.path.join(self.tmp, "from-pth"))
        stdlib = os.path.dirname(os.__file__)
        machine_site = os.path.join(sys.base_prefix, "lib", "python3", "site-packages")
        sys.path[:] = ["script-dir", stdlib, machine_site, "/somewhere/else", ""]
        front = [os.path.join(self.tmp, "app", "libs", "src")]
        common._set_path(front, site_packages)
        self.assertEqual(sys.path, front + [stdlib, site_packages, os.path.join(self.tmp, "from-pth")])


class CacheHomeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def cache_home(self, **env):
        with mock.patch.dict(os.environ, env, clear=True):
            return common._cache_home()

    def test_absolute_bases_only(self):
        self.assertEqual(self.cache_home(HOME=self.tmp), os.path.join(self.tmp, ".cache"))
        xdg = os.path.join(self.tmp, "xdg")
        self.assertEqual(self.cache_home(HOME=self.tmp, XDG_CACHE_HOME=xdg), xdg)
        self.assertEqual(self.cache_home(HOME=self.tmp, XDG_CACHE_HOME="relative"), os.path.join(self.tmp, ".cache"))
        self.assertIsNone(self.cache_home(HOME="relative"))

    def test_never_grows_new_top_level_directories(self):
        self.assertIsNone(self.cache_home(HOME="/nonexistent-pystore-home"))
        a_file = os.path.join(self.tmp, "file")
        open(a_file, "w").close()
        self.assertIsNone(self.cache_home(HOME=a_file))

    def prefix_after(self, cfg, **env):
        with mock.patch.object(sys, "pycache_prefix", None), mock.patch.object(sys, "dont_write_bytecode", False):
            with mock.patch.dict(os.environ, env, clear=True):
                common._pycache_prefix(cfg)
            return sys.pycache_prefix, sys.dont_write_bytecode

    def test_a_usable_cache_becomes_the_prefix(self):
        self.assertEqual(self.prefix_after({}, HOME=self.tmp), (os.path.join(self.tmp, ".cache", "pystore", "pycache"), False))

    def test_bundled_bytecode_is_never_hidden_and_nothing_is_written(self):
        # A prefix would make Python look for .pyc files only there, never in the bundle's __pycache__.
        self.assertEqual(self.prefix_after({"bytecode": True}, HOME=self.tmp), (None, True))


class RunTest(unittest.TestCase):
    def test_an_entry_point_gets_argv_and_its_return_value_becomes_the_exit_code(self):
        module = type(sys)("pystore_test_entry")
        seen = {}

        def main():
            seen["argv"] = list(sys.argv)
            return 7

        module.cli = type("Cli", (), {"main": staticmethod(main)})
        saved_argv = list(sys.argv)
        self.addCleanup(setattr, sys, "argv", saved_argv)
        with mock.patch.dict(sys.modules, {"pystore_test_entry": module}):
            cfg = {"executables": {"tool": {"kind": "entry", "module": "pystore_test_entry", "attr": "cli.main"}}}
            with self.assertRaises(SystemExit) as stop:
                common._run(cfg, "tool", "/bin/tool", ["a", "b c"], None, None)
        self.assertEqual(stop.exception.code, 7)
        self.assertEqual(seen["argv"], ["/bin/tool", "a", "b c"])

    def test_an_unknown_executable_names_the_ones_there_are(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit):
            common._run({"executables": {"b": {}, "a": {}}}, "c", "c", [], None, None)
        self.assertIn("c: not an executable of this bundle (it has: a, b)", err.getvalue())



class LoadConfigTest(unittest.TestCase):
    # The launchers read launch.json without the json module; for everything pystore writes there
    # (strings with any character or escape, numbers, booleans, null, lists, objects) it must agree.
    SAMPLE = {
        "formatVersion": 1,
        "name": "caf\u00e9 \"quoted\" back\\slash\ttab\nline \u2603 \U0001f600",
        "paths": ["app", "libs/src"],
        "extract": False,
        "nativeCode": True,
        "libc": None,
        "ratio": -1.5e-3,
        "executables": {"a": {"kind": "entry", "module": "m", "attr": "f"}},
    }

    def test_agrees_with_json_for_escaped_and_literal_text(self):
        import json

        for ensure_ascii in (True, False):
            text = json.dumps(self.SAMPLE, ensure_ascii=ensure_ascii, indent=2, sort_keys=True)
            self.assertEqual(common._load_config(text), json.loads(text))

    def test_evaluates_nothing_but_literals(self):
        with self.assertRaises(Exception):
            common._load_config('{"a": __import__("os").getcwd()}')

    def test_names_the_implementation_and_machine_as_platform_does(self):
        self.assertEqual(common._implementation(), platform.python_implementation())
        self.assertEqual(common._machine(), platform.machine())


if __name__ == "__main__":
    unittest.main()
