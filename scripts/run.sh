#!/usr/bin/env bash
# The quick start: installs what is missing, builds, starts a private Redis on
# a free loopback port and runs the demo job through a Tracker, printing every
# record it writes. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh dev

state=.run
mkdir -p "$state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$state" \
  >"$state/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null || { echo "redis-server did not start; see $state/redis.log" >&2; exit 1; }

echo "Redis: redis://127.0.0.1:$port (watch with: redis-cli -p $port psubscribe 'progress:job:*')"
build/dev/src/cli/headway demo-tracker --redis "redis://127.0.0.1:$port" "$@"
