#!/usr/bin/env bash
# Builds the fuzz preset and runs every libFuzzer target for a bounded time
# on a copy of its seed corpus (fuzz/corpus/<target>), with its dictionary.
# Fails when any target finds a crash or a broken invariant; prints each
# target's executions and coverage. See docs/fuzzing.md.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]   (default 30 s, every target)
# HEADWAY_FUZZ_KEEP=DIR keeps the grown corpora and any crash inputs in DIR.
# HEADWAY_FUZZ_SEED=N fixes libFuzzer's random seed, so a run repeats the same
# mutations (the test suite uses 1); unset, every run explores afresh.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(progress_record progress_line redis_url store_url server_config worker_config
           request_target http_request)
fi
jobs=${HEADWAY_JOBS:-$(nproc)}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs" --target "${targets[@]/%/_fuzzer}"

work=${HEADWAY_FUZZ_KEEP:-$(mktemp -d)}
mkdir -p "$work"
redis_pid=
status=0
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  if [ -z "${HEADWAY_FUZZ_KEEP:-}" ] && [ $status -eq 0 ]; then
    rm -rf "$work"
  else
    echo "fuzz: corpora, logs and any crash inputs are in $work"
  fi
}
trap cleanup EXIT

# The HTTP target talks to a real redis-server; on a socket, so no port can clash.
if [[ " ${targets[*]} " == *" http_request "* ]]; then
  redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no \
    --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do [ -S "$work/redis.sock" ] && break; sleep 0.1; done
  export HEADWAY_FUZZ_REDIS_URL="unix://$work/redis.sock"
fi

# Runs one target; its summary line goes to $work/<target>.result.
run_target() {
  local target=$1 corpus="$work/corpus/$1" log="$work/$1.log" result=ok
  mkdir -p "$corpus" "$work/artifacts"
  cp -r "fuzz/corpus/$target/." "$corpus/"
  local options=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1
                 -artifact_prefix="$work/artifacts/$target-")
  [ -f "fuzz/dict/$target.dict" ] && options+=(-dict="fuzz/dict/$target.dict")
  [ -n "${HEADWAY_FUZZ_SEED:-}" ] && options+=(-seed="$HEADWAY_FUZZ_SEED")
  # The server's threads keep allocating between inputs: leak checks per
  # input would only report its live state.
  [ "$target" = http_request ] && options+=(-detect_leaks=0)
  "build/fuzz/fuzz/${target}_fuzzer" "${options[@]}" "$corpus" >"$log" 2>&1 || result=FAILED
  local line runs rate cov ft
  line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  printf '%-16s %10s %8s %8s %8s  %s\n' "$target" "${runs:--}" "${rate:--}" "${cov:--}" \
    "${ft:--}" "$result" >"$work/$target.result"
}

# HEADWAY_FUZZ_JOBS targets at a time (default: one per core).
parallel=${HEADWAY_FUZZ_JOBS:-$(nproc)}
pids=()
alive() {
  local count=0 pid
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && count=$((count + 1))
  done
  echo "$count"
}
for target in "${targets[@]}"; do
  while [ "$(alive)" -ge "$parallel" ]; do sleep 0.2; done
  run_target "$target" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || true  # each target's result is in its file
done

passed=0
failed=0
printf '%-16s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft result
for target in "${targets[@]}"; do
  cat "$work/$target.result"
done
for target in "${targets[@]}"; do
  if grep -q ' ok$' "$work/$target.result"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
    echo "--- $target"
    grep -E 'ERROR|invariant|runtime error|SUMMARY|Test unit written|Base64' "$work/$target.log" | head -20 || true
    tail -30 "$work/$target.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
