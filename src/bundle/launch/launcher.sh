#!/bin/sh
# {{name}}: launcher for a pystore bundle (target {{target}}). Generated; `pystore bundle verify` checks it.
self=$0
case $self in
  */*) ;;
  *) self=$(command -v -- "$self") || { echo {{name_sh}}": cannot locate this launcher" >&2; exit 127; } ;;
esac
# Follow symlinks one hop at a time: `readlink -f` is missing on some systems (BusyBox, older macOS).
# readlink itself is looked up in the usual places too: a bundle carrying its own Python may run with an
# empty PATH (systemd units, env -i).
rl=readlink
command -v readlink >/dev/null 2>&1 || for rl in /usr/bin/readlink /bin/readlink readlink; do [ -x "$rl" ] && break; done
while [ -L "$self" ]; do
  link=$("$rl" -- "$self") || break
  case $link in
    /*) self=$link ;;
    *) self=${self%/*}/$link ;;
  esac
done
root=$(cd -P -- "${self%/*}/.." && pwd -P) || exit 127
if [ -x "$root/python/bin/python3" ]; then
  py=$root/python/bin/python3
elif [ -n "${PYSTORE_PYTHON:-}" ]; then
  py=$PYSTORE_PYTHON
elif command -v python{{python}} >/dev/null 2>&1; then
  py=python{{python}}
elif command -v python3 >/dev/null 2>&1; then
  py=python3
else
  echo {{name_sh}}": no Python found: this bundle needs Python {{python}} (looked for $root/python/bin/python3, \$PYSTORE_PYTHON, python{{python}} and python3 on PATH)" >&2
  exit 127
fi
# -S -s -E: no site-packages of the machine, no user site, no PYTHON* variables; the bootstrap builds sys.path.
exec "$py" -S -s -E "$root/.pystore/boot.py" {{name_sh}} "$0" "$@"
