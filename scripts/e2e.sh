#!/usr/bin/env bash
# The web UI's end-to-end suite (web/e2e) against the real system: a private
# redis-server on a free loopback port, `headway serve` (serving web/dist,
# a temporary SQLite job table; the suite itself starts, kills and restarts
# it) and one `headway worker`. Installs nothing: run scripts/install-deps.sh,
# the dev build and `npm ci && npm run build` in web/ first (scripts/test.sh does).
# e2e/package.e2e.ts installs the packed @headway/react into fresh Vite and
# Next.js apps, whose other dependencies come from the npm registry.
# HEADWAY_BIN overrides the binary (default build/dev/src/cli/headway).
# Arguments go to Vitest: scripts/e2e.sh e2e/package.e2e.ts runs that file alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin=${HEADWAY_BIN:-$root/build/dev/src/cli/headway}
[ -x "$bin" ] || { echo "e2e: no headway binary at $bin (build the dev preset first)" >&2; exit 1; }
[ -f web/dist/index.html ] || { echo "e2e: web/dist is not built (npm run build in web/)" >&2; exit 1; }
[ -d web/node_modules ] || { echo "e2e: run npm ci in web/ first" >&2; exit 1; }
[ -f web/packages/react/dist/index.js ] || { echo "e2e: web/packages/react/dist is not built (npm run build in web/)" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

state=$(mktemp -d -t headway-e2e-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$state" >"$state/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "e2e: redis-server did not start" >&2; exit 1; }
redis_url="redis://127.0.0.1:$redis_port"
db_url="sqlite://$state/jobs.db"

# The server requires a signed-in user: the suite signs in through the login page.
user=e2e-admin
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" | "$bin" user add "$user" --admin --db "$db_url" >/dev/null

"$bin" worker --redis "$redis_url" --db "$db_url" --concurrency 4 >"$state/worker.log" 2>&1 &
pids+=($!)

export HEADWAY_E2E_SERVER_CMD="$bin serve --listen 127.0.0.1:{port} --redis $redis_url --db $db_url --web-root $root/web/dist --threads 2"
export HEADWAY_E2E_USER=$user HEADWAY_E2E_PASSWORD=$password
status=0
touch "$state/suite-started"
(cd web && npm run e2e -- "$@") || status=$?
artifacts=$root/web/e2e/artifacts
shots=$(find "$artifacts" -maxdepth 1 -name '*.png' -newer "$state/suite-started" 2>/dev/null | wc -l)
echo "e2e: this run's screenshots ($shots) are in $artifacts"
if [ "$status" -ne 0 ]; then
  echo "=== e2e failed; the worker's log:" >&2
  tail -n 50 "$state/worker.log" >&2
fi
exit "$status"
