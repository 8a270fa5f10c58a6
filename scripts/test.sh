#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# test in the dev build and under ASan+UBSan and TSan. Tests start their own
# redis-server (and PostgreSQL) on free loopback ports and stop them.
# The web UI is type-checked, built and unit-tested with Vitest.
# HEADWAY_SANITIZERS="asan tsan" (default) picks the sanitizer builds; "" skips them.
# Then every fuzz target runs for HEADWAY_FUZZ_SECONDS (default 10) seconds,
# from a fixed seed (HEADWAY_FUZZ_SEED, default 1) so that the suite's verdict
# does not depend on luck; open-ended fuzzing is scripts/fuzz.sh without a seed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
sanitizers=${HEADWAY_SANITIZERS-asan tsan}
jobs=${HEADWAY_JOBS:-$(nproc)}
status=0
started=$SECONDS
# Each phase's heading says how long the suite has run, so a slow phase shows.
phase() { printf '=== [%dm%02ds] %s\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) "$*"; }
phase "web: build and unit tests"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm test) || status=1
phase "lint: clang-format, ESLint, clang-tidy (docs/development.md)"
scripts/lint.sh || status=1
for preset in dev $sanitizers; do
  phase "$preset: build (warnings are errors)"
  HEADWAY_WERROR=ON scripts/build.sh "$preset"
  phase "$preset: test"
  # Every test program starts its own servers on free ports, so programs run
  # side by side; most of their time is spent waiting on those servers.
  # The chaos suite (label chaos, docs/reliability.md) runs in the dev build
  # only: under the sanitizers its cluster is too slow for its load.
  exclude=()
  [ "$preset" = dev ] || exclude=(-LE chaos)
  ctest --preset "$preset" -j "$jobs" --timeout 900 "${exclude[@]}" || status=1
  if [ "$preset" = dev ]; then
    phase "web: end-to-end in Chromium against redis-server + headway serve + headway worker"
    scripts/e2e.sh || status=1
    phase "Debian packages: build, install, run, purge (needs root)"
    scripts/package-test.sh || status=1
  fi
done
# Each libFuzzer target, briefly, on its seed corpus (docs/fuzzing.md).
phase "fuzz: every target for ${HEADWAY_FUZZ_SECONDS:-10} s"
HEADWAY_FUZZ_SEED=${HEADWAY_FUZZ_SEED:-1} scripts/fuzz.sh "${HEADWAY_FUZZ_SECONDS:-10}" || status=1
phase "done: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
