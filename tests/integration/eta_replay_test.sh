#!/usr/bin/env bash
# Integration test for `headway eta-replay`: a tiny trace with a hand-computed
# answer, the error paths, and eta-bench's replay.py causality check for every
# registered estimator. The benchmark is required: a missing bench is a failure.
#
# Usage: eta_replay_test.sh [HEADWAY_BIN]
#   HEADWAY_BIN        the headway binary (default: build/dev/src/cli/headway)
#   HEADWAY_ETA_BENCH  the eta-bench folder (default: <repo>/../shared/eta-bench)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-${HEADWAY_BIN:-$repo/build/dev/src/cli/headway}}"
bench="${HEADWAY_ETA_BENCH:-$repo/../shared/eta-bench}"

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -x "$bin" ]] || fail "headway binary not found at $bin (set HEADWAY_BIN)"
[[ -f "$bench/replay.py" ]] || fail "eta-bench not found at $bench (set HEADWAY_ETA_BENCH)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The reference estimator (seed design) by hand: no estimate without progress;
# then 1 %/s over the window -> 90 s; then 15 % in 20 s -> 85 / 0.75 s.
# The percent column is the one implied by the ETA, 100 t / (t + eta).
cat >"$work/tiny.csv" <<'CSV'
t,progress,stage
0.000,0.0000,loading
10.000,10.0000,loading
20.000,15.0000,solving
CSV
cat >"$work/want.csv" <<'CSV'
t,eta_seconds,progress_pct
0.000,,
10.000,90.000,10.0000
20.000,113.333,15.0000
CSV
"$bin" eta-replay --estimator reference "$work/tiny.csv" >"$work/got.csv" ||
  fail "eta-replay exited $? on the tiny trace"
diff -u "$work/want.csv" "$work/got.csv" || fail "unexpected output for the tiny trace"

"$bin" eta-replay --estimator reference - <"$work/tiny.csv" >"$work/got_stdin.csv" ||
  fail "eta-replay from stdin exited $?"
diff -u "$work/want.csv" "$work/got_stdin.csv" || fail "stdin and file input differ"

expect_status() {
  local want="$1"; shift
  local got=0
  "$@" >/dev/null 2>"$work/stderr" || got=$?
  [[ "$got" == "$want" ]] || fail "'$*' exited $got, want $want"
}
expect_status 2 "$bin" eta-replay --estimator no-such-estimator "$work/tiny.csv"
expect_status 2 "$bin" eta-replay "$work/does-not-exist.csv"
printf 't,progress,stage\n0,0,a\n1,oops,a\n' >"$work/bad.csv"
expect_status 2 "$bin" eta-replay "$work/bad.csv"
grep -q ':3:' "$work/stderr" || fail "malformed-row error does not name line 3: $(cat "$work/stderr")"

names="$("$bin" eta-replay --list)"
[[ -n "$names" ]] || fail "eta-replay --list printed nothing"
for name in $names; do
  python3 "$bench/replay.py" --traces "$bench/traces" \
    --cmd "'$bin' eta-replay --estimator $name {trace}" \
    --out "$work/preds/$name" --check-causal 4 >"$work/replay_$name.log" 2>&1 ||
    { cat "$work/replay_$name.log" >&2; fail "replay.py failed for estimator $name"; }
done

# Several traces into --out-dir give the same predictions as one at a time.
cp "$work/tiny.csv" "$work/tiny2.csv"
mkdir "$work/batch"
"$bin" eta-replay --estimator reference --out-dir "$work/batch" "$work/tiny.csv" "$work/tiny2.csv" ||
  fail "eta-replay --out-dir exited $?"
diff -u "$work/want.csv" "$work/batch/tiny.csv" || fail "--out-dir output differs"
diff -u "$work/want.csv" "$work/batch/tiny2.csv" || fail "--out-dir output differs (second trace)"
expect_status 2 "$bin" eta-replay "$work/tiny.csv" "$work/tiny2.csv"

# --param reaches the hedge estimator's settings and nothing else; --interval
# adds the range, which brackets the median behind the estimate.
"$bin" eta-replay -e hedge --param selectivity=0.02 "$work/tiny.csv" >/dev/null ||
  fail "--param selectivity=0.02 exited $?"
expect_status 2 "$bin" eta-replay -e hedge --param no_such_constant=1 "$work/tiny.csv"
expect_status 2 "$bin" eta-replay -e hedge --param selectivity=abc "$work/tiny.csv"
expect_status 2 "$bin" eta-replay -e reference --param selectivity=0.02 "$work/tiny.csv"
"$bin" eta-replay -e hedge --interval "$bench/traces/p02_staged_ref.csv" >"$work/interval.csv" ||
  fail "--interval exited $?"
head -1 "$work/interval.csv" | grep -qx 't,eta_seconds,progress_pct,eta_low_seconds,eta_high_seconds' ||
  fail "--interval header: $(head -1 "$work/interval.csv")"
awk -F, 'NR > 1 && $4 != "" && ($4 > $5 + 0.001 || $4 < 0) { bad = 1 } END { exit bad }' \
  "$work/interval.csv" || fail "an interval with low > high or low < 0"

# --history: earlier runs of the same job as the prior. Replaying a trace with
# itself as its history changes the estimate, stays causal, and a history
# that cannot be read is an error.
pub="$bench/traces/p02_staged_ref.csv"
"$bin" eta-replay -e hedge "$pub" >"$work/plain.csv" || fail "eta-replay exited $?"
"$bin" eta-replay -e hedge --history "$pub" --history "$bench/traces/p03_staged_ref_b.csv" "$pub" \
  >"$work/with_history.csv" || fail "eta-replay --history exited $?"
cmp -s "$work/plain.csv" "$work/with_history.csv" && fail "--history did not change the estimate"
expect_status 2 "$bin" eta-replay -e hedge --history "$work/does-not-exist.csv" "$pub"
mkdir "$work/one"
cp "$pub" "$work/one/"
python3 "$bench/replay.py" --traces "$work/one" \
  --cmd "'$bin' eta-replay -e hedge --history '$bench/traces/p03_staged_ref_b.csv' {trace}" \
  --out "$work/history_preds" --check-causal 4 >"$work/history.log" 2>&1 ||
  { cat "$work/history.log" >&2; fail "replay.py failed with --history"; }

# The project's trace generator is deterministic, and every estimator stays
# causal on its families too (restarts, coarse reports, stalls...).
gen="$repo/bench/eta/gen_traces.py"
python3 "$gen" "$work/gen_a" --per-family 1 --seed 5 2>/dev/null || fail "gen_traces.py exited $?"
python3 "$gen" "$work/gen_b" --per-family 1 --seed 5 2>/dev/null || fail "gen_traces.py exited $?"
diff -r "$work/gen_a" "$work/gen_b" >/dev/null || fail "gen_traces.py is not deterministic"
for name in $names; do
  python3 "$bench/replay.py" --traces "$work/gen_a" \
    --cmd "'$bin' eta-replay --estimator $name {trace}" \
    --out "$work/gen_preds/$name" --check-causal 4 >"$work/gen_$name.log" 2>&1 ||
    { cat "$work/gen_$name.log" >&2; fail "replay.py failed for estimator $name on generated traces"; }
done

echo "PASS: eta-replay ($(echo $names | tr '\n' ' '))"
