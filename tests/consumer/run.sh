#!/usr/bin/env bash
# Installs the built project into a temporary prefix, then configures, builds
# and runs tests/consumer against it with find_package(headway).
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/headway"
test -f "$work/prefix/include/headway/tracker.hpp"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
"$work/prefix/bin/headway" version
# The installed Python package, when the build has it, imports from the
# prefix alone and loads the prefix's libheadway.
module=$(find "$work/prefix" -name '_headway*.so' | head -1)
if [ -d "$build_dir/python/headway" ]; then
  test -n "$module"
  package_root=$(dirname "$(dirname "$module")")
  test -f "$package_root/headway/_headway.pyi" && test -f "$package_root/headway/py.typed"
  (cd "$work" && PYTHONPATH="$package_root" /usr/bin/python3 -c '
import sys, headway
assert headway.__file__.startswith(sys.argv[1]), headway.__file__
maps = open("/proc/self/maps").read()
lib = [line.split()[-1] for line in maps.splitlines() if "libheadway.so" in line][0]
assert lib.startswith(sys.argv[1]), lib
print("python:", headway.__version__, len(headway.StagePlan.reference()), "stages, libheadway from", lib)
' "$work/prefix")
fi
