#!/usr/bin/env bash
# Scores every ETA estimator headway has on eta-bench next to the bench's
# anchor estimators, and prints `score.py --compare` over all of them.
#
# Usage: scripts/eta-bench.sh [TRACE_DIR]
#   HEADWAY_BIN        the headway binary (default: build/dev/src/cli/headway; not built here)
#   HEADWAY_ETA_BENCH  the eta-bench folder (default: <repo>/../shared/eta-bench)
#   TRACE_DIR          traces to score on (default: the bench's public traces)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEADWAY_BIN:-$repo/build/dev/src/cli/headway}"
bench="${HEADWAY_ETA_BENCH:-$repo/../shared/eta-bench}"
traces="${1:-$bench/traces}"

[[ -x "$bin" ]] || { echo "headway binary not found at $bin; build it or set HEADWAY_BIN" >&2; exit 2; }
[[ -f "$bench/score.py" ]] || { echo "eta-bench not found at $bench; set HEADWAY_ETA_BENCH" >&2; exit 2; }

preds="$(mktemp -d)"

log="$(mktemp)"
trap 'rm -rf "$preds" "$log"' EXIT
python3 "$bench/reference_estimators.py" --all "$traces" "$preds" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
for name in $("$bin" eta-replay --list); do
  python3 "$bench/replay.py" --traces "$traces" --cmd "'$bin' eta-replay --estimator $name {trace}" \
    --out "$preds/headway-$name" --check-causal 4 >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
done
python3 "$bench/score.py" --compare "$traces" "$preds"
