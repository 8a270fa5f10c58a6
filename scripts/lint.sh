#!/usr/bin/env bash
# Static checks: clang-format (the project's .clang-format) on every C++ file,
# ESLint on the web UI, and clang-tidy (.clang-tidy) on the C++ sources.
# HEADWAY_TIDY picks clang-tidy's scope: a regular expression over source
# paths (default: the library and the modules around it; src/server is not
# yet clean), or "off"; HEADWAY_TIDY=src/ checks every source.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

echo "--- clang-format"
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run -Werror || status=1

echo "--- eslint"
(cd web && npx eslint .) || status=1

tidy=${HEADWAY_TIDY-src/(core|redis|tracker|auth|store|jobs|server|client|cli|worker)/}
if [ "$tidy" != off ]; then
  echo "--- clang-tidy ($tidy)"
  # A unity configuration of its own: clang-tidy reads each target's sources
  # as a few large files, parsing Boost's headers a few times instead of once
  # per source, which makes it several times faster. Only configured, never built.
  cmake -S . -B build/lint -DCMAKE_BUILD_TYPE=Debug -DCMAKE_UNITY_BUILD=ON \
    -DHEADWAY_BUILD_TESTS=OFF -DHEADWAY_BUILD_BENCH=OFF -DHEADWAY_BUILD_PYTHON=OFF >/dev/null
  log=$(mktemp)
  if ! run-clang-tidy -quiet -p build/lint -j "${HEADWAY_JOBS:-$(nproc)}" "$tidy" >"$log" 2>&1; then
    grep -E "(warning|error):" "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u
    status=1
  fi
  rm -f "$log"
fi
exit $status
