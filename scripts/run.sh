#!/usr/bin/env bash
# The quick start: installs what is missing, builds (C++ dev preset and the
# web UI), then starts a private Redis on a free loopback port, `headway serve`
# (port 8000 when free, serving web/dist, its job table in .run/) and one
# `headway worker`, submits a `timetable` job and prints where to watch it.
# Runs until Ctrl-C, which stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh dev
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)

bin=build/dev/src/cli/headway
state=.run
mkdir -p "$state"
pids=()
# Last started, first stopped: the worker finishes while Redis still takes
# its writes.
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_is_free() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" \
    2>/dev/null
}
# Polls `check` (a command) every 0.1 s for at most 10 s.
wait_for() {
  for _ in $(seq 1 100); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$state" \
  >"$state/redis.log" 2>&1 &
pids+=($!)
wait_for redis-cli -p "$redis_port" ping || { echo "redis-server did not start; see $state/redis.log" >&2; exit 1; }
redis_url="redis://127.0.0.1:$redis_port"
db_url="sqlite://$(pwd)/$state/headway.db"

# The first admin, on the first run. Its generated password is shown once on
# the terminal and kept in no file (the logs in $state/ never see it).
admin_password=""
if added=$("$bin" user add admin --admin --generate-password --db "$db_url" 2>&1); then
  admin_password=$(sed -n 's/^password: //p' <<<"$added")
elif [[ $added != *"already exists"* ]]; then
  echo "$added" >&2
  exit 1
fi

port=8000
port_is_free "$port" || port=$(free_port)
url="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" --redis "$redis_url" --db "$db_url" --web-root "$(pwd)/web/dist" \
  >"$state/serve.log" 2>&1 &
pids+=($!)
wait_for curl -sf "$url/api/generation/health/" ||
  { echo "headway serve did not start; see $state/serve.log" >&2; exit 1; }

# A short grace, so Ctrl-C does not wait long for the demo job.
"$bin" worker --redis "$redis_url" --db "$db_url" --grace 5 >"$state/worker.log" 2>&1 &
pids+=($!)

# A token for this run only: it expires in a day, so runs do not pile up live ones.
token=$("$bin" token create admin --expires 1d --db "$db_url" | tail -n 1)
job_id=$(HEADWAY_URL=$url HEADWAY_TOKEN=$token "$bin" submit timetable -p duration_s=60 | tail -n 1)

echo
if [[ -n $admin_password ]]; then
  echo "Sign in as:   admin / $admin_password"
  echo "              (shown once, kept nowhere; change it with: $bin user passwd admin --db $db_url)"
else
  echo "Sign in as:   admin (password shown on the first run; reset: $bin user passwd admin --db $db_url)"
fi
echo "Status page:  $url/admin/timetables/status/$job_id"
echo "Live (SSE):   curl -N -H 'Authorization: Bearer $token' $url/api/generation/stream/$job_id/"
echo "Job (JSON):   curl -H 'Authorization: Bearer $token' $url/api/generation-jobs/$job_id/"
echo "Redis:        $redis_url   Logs: $state/*.log   Ctrl-C stops everything."
wait "${pids[1]}"
