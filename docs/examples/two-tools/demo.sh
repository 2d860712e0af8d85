#!/bin/sh
# The two-tools example end to end, with no network: lock it from the wheels Debian ships
# (/usr/share/python-wheels), fetch them into a fresh store, bundle it as a directory and as a
# byte-identical tar.gz, move the bundle as a deployment would, run both executables and verify it.
# Everything is left in $PYSTORE_DEMO_DIR (default: /tmp/pystore-demo) to look at.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
pystore="$repo/bin/pystore"
wheels=${PYSTORE_DEMO_WHEELS:-/usr/share/python-wheels}
out=${PYSTORE_DEMO_DIR:-${TMPDIR:-/tmp}/pystore-demo}
python=${PYSTORE_DEMO_PYTHON:-3.11}

step() { printf '\n== %s\n' "$*" >&2; }

rm -rf "$out"
mkdir -p "$out/app"
cp -R "$here/bin" "$here/src" "$here/pyproject.toml" "$out/app/"
export PYSTORE_STORE="$out/store"

step "lock (targets from [tool.pystore]; wheels from $wheels only)"
"$pystore" lock --project "$out/app" --no-index --find-links "$wheels"
step "fetch into the store at $PYSTORE_STORE"
"$pystore" fetch -l "$out/app/pylock.toml"
step "bundle as a directory and as a tar.gz"
"$pystore" bundle --project "$out/app" --platform manylinux_x86_64 --python "$python" -o "$out/build/two-tools" --offline
"$pystore" bundle --project "$out/app" --platform manylinux_x86_64 --python "$python" -o "$out/two-tools.tar.gz" --offline
step "deploy: move the bundle and run its launchers (no venv, no pip, no network)"
mv "$out/build/two-tools" "$out/opt-two-tools"
"$out/opt-two-tools/bin/thing-a" world
"$out/opt-two-tools/bin/thing-b"
step "verify the deployed bundle against its manifest"
"$pystore" bundle verify "$out/opt-two-tools"
step "done: bundle in $out/opt-two-tools, archive $out/two-tools.tar.gz, lock $out/app/pylock.toml"
