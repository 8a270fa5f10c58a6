#!/usr/bin/env bash
# Runs the stream-server load scenarios: a private redis-server and a release
# `headway serve` on free loopback ports, a fresh server (and empty Redis) per
# scenario so each one's CPU and RSS figures are its own, then a summary table.
#
#   bench/load/run.sh [scenario ...]     default: fanout many-jobs idle burst-done
#
# Environment: SKIP_BUILD=1 uses the existing build; BUILD_DIR (default
# build/release); HEADWAY_BIN another server binary; SERVE_ARGS extra flags for
# `headway serve`; LOAD_ARGS extra flags for every headway_load run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build/release}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(fanout many-jobs idle burst-done)

if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$root" && cmake --preset release >/dev/null &&
    cmake --build "$build" -j2 --target headway_cli headway_load)
fi
headway=${HEADWAY_BIN:-$build/src/cli/headway}
load=$build/bench/load/headway_load

work=$(mktemp -d)
redis_pid=
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  stop_server
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Both the server and the tool hold one descriptor per stream.
ulimit -n "$(ulimit -Hn)"

redis_port=$("$load" --print-free-port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --dir "$work" --maxclients 1000 >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis_url=redis://127.0.0.1:$redis_port

auth_args=()
if "$headway" serve --help 2>&1 | grep -q -- '--insecure-no-auth'; then
  auth_args=(--insecure-no-auth)
fi

start_server() {
  local name=$1
  server_port=$("$load" --print-free-port)
  # shellcheck disable=SC2086
  "$headway" serve --listen "127.0.0.1:$server_port" --redis "$redis_url" \
    --db "sqlite://$work/$name.db" --log-level warn "${auth_args[@]}" ${SERVE_ARGS:-} \
    >"$work/serve-$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$server_port/api/generation/health/" >/dev/null && return 0
    sleep 0.1
  done
  echo "headway serve did not become healthy:" >&2
  cat "$work/serve-$name.log" >&2
  return 1
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
summary=$work/summary.tsv
printf 'scenario\tstreams\tevents\tp50 ms\tp90 ms\tp99 ms\tmax ms\tCPU-s/1k\tRSS KiB/stream\ttargets\n' >"$summary"
status=0
for scenario in "${scenarios[@]}"; do
  redis-cli -p "$redis_port" flushall >/dev/null
  start_server "$scenario"
  echo
  # shellcheck disable=SC2086
  "$load" --scenario "$scenario" --port "$server_port" --redis "$redis_url" \
    --server-pid "$server_pid" ${LOAD_ARGS:-} | tee "$work/$scenario.out" || status=1
  grep '^summary' "$work/$scenario.out" | cut -f2- >>"$summary" || true
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "headway serve exited during $scenario:" >&2
    tail -20 "$work/serve-$scenario.log" >&2
    status=1
  fi
  stop_server
done
echo
column -t -s $'\t' "$summary"
exit $status
