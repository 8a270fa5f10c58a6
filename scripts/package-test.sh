#!/usr/bin/env bash
# The Debian packages, as an operator meets them: builds them (the `package`
# preset and cpack), installs them with apt-get, runs the installed
# /usr/bin/headway serve and worker with the packaged configuration and web
# UI against a private redis-server, streams a worker's job and a Python
# Tracker's job to `done`, builds tests/consumer against headway-dev, verifies
# the systemd units, then purges the packages and checks that nothing is left.
# Needs root (apt-get, the system user); skips, saying so, without it.
# Refuses to run where headway is installed already.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "package-test: SKIPPED: needs root (apt-get install, a system user)"
  exit 0
fi
for package in headway headway-dev python3-headway; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q installed; then
    echo "package-test: $package is installed on this machine; not touching it" >&2
    exit 1
  fi
done

jobs=${HEADWAY_JOBS:-$(nproc)}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
installed=0
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # A failed run leaves no package behind either.
  if [ "$installed" = 1 ]; then
    apt-get remove --purge -y -q headway headway-dev python3-headway >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package-test: FAILED: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits up to 20 s for a URL to answer 200.
await_http() {
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
# Every file and directory where a package could leave something, less what
# dpkg, apt and the caches keep for themselves.
snapshot() {
  find /etc /usr /var /opt /srv -xdev \
    -path /var/lib/dpkg -prune -o -path /var/lib/apt -prune -o -path /var/cache -prune -o \
    -path /var/log -prune -o -path /var/tmp -prune -o -path /var/lib/systemd/deb-systemd-helper-masked -prune -o \
    -path /var/lib/ucf -prune -o -print 2>/dev/null | sort
}

echo "=== package: web UI"
if [ ! -f web/dist/index.html ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
fi
echo "=== package: build and cpack"
start=$(date +%s)
cmake --preset package >/dev/null
cmake --build --preset package -j "$jobs"
rm -f build/package/*.deb
(cd build/package && cpack -G DEB >/dev/null)
echo "package-test: built in $(($(date +%s) - start)) s"
version=$(sed -n 's/^project(headway VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
deb=build/package/headway_${version}_amd64.deb
for file in "$deb" "build/package/headway-dev_${version}_amd64.deb" \
  "build/package/python3-headway_${version}_amd64.deb"; do
  [ -f "$file" ] || fail "cpack made no $file: $(ls build/package/*.deb 2>/dev/null)"
done
dpkg-deb --contents "$deb" >"$work/contents.txt"
for path in ./usr/bin/headway ./usr/share/headway/web/index.html ./lib/systemd/system/headway-serve.service \
  ./lib/systemd/system/headway-worker@.service ./etc/headway/headway.toml ./usr/share/man/man1/headway.1.gz \
  ./usr/share/man/man1/headway-serve.1.gz; do
  grep -q " $path\$" "$work/contents.txt" || fail "$deb lacks $path"
done
grep -q 'libheadway.so.0' "$work/contents.txt" || fail "$deb lacks libheadway"
dpkg-deb --info "$deb"

echo "=== package: apt-get install"
snapshot >"$work/before.txt"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "./$deb" "./build/package/headway-dev_${version}_amd64.deb" \
  "./build/package/python3-headway_${version}_amd64.deb" >"$work/apt-install.log" 2>&1 ||
  fail "apt-get install"
installed=1
getent passwd headway >/dev/null || fail "postinst made no headway user"
[ "$(getent passwd headway | cut -d: -f7)" = /usr/sbin/nologin ] || fail "the headway user has a login shell"
dpkg-query -W -f='${Conffiles}\n' headway | grep -q /etc/headway/headway.toml ||
  fail "/etc/headway/headway.toml is no conffile"
# Not enabled before its first admin exists (the server would refuse to start).
[ -e /etc/systemd/system/multi-user.target.wants/headway-serve.service ] &&
  fail "headway-serve.service is enabled on a first install"
/usr/bin/python3 -c 'import headway, sys; assert headway.__file__.startswith("/usr/lib/python3/dist-packages/"), headway.__file__' ||
  fail "python3-headway does not import from dist-packages"
/usr/bin/headway serve --config /etc/headway/headway.toml --print-config >"$work/effective.toml"
grep -q '^web-root = "/usr/share/headway/web"  # /etc/headway/headway.toml' "$work/effective.toml" ||
  fail "the packaged configuration does not set the web root: $(cat "$work/effective.toml")"

echo "=== package: systemd-analyze verify"
cp /lib/systemd/system/headway-worker@.service "$work/headway-worker@1.service"
systemd-analyze verify /lib/systemd/system/headway-serve.service "$work/headway-worker@1.service" \
  >"$work/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.log")"
if grep -i headway "$work/verify.log"; then fail "systemd-analyze warns about the units"; fi

echo "=== package: the installed server and worker stream a job"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  >"$work/redis.log" 2>&1 &
pids+=($!)
# The job table where the packaged configuration keeps it, set up as the
# docs say (the first admin before the first start); the purge removes it.
state=/var/lib/headway
[ "$(stat -c '%U:%G %a' "$state")" = "headway:headway 750" ] || fail "postinst made no $state"
as_headway=(runuser -u headway --)
# The packaged file with what a test must change: a private Redis and a free
# port. Everything else (the job table, the web UI) comes from it.
port=$(free_port)
override=(--redis "redis://127.0.0.1:$redis_port")
"${as_headway[@]}" /usr/bin/headway user add admin --admin --db "sqlite://$state/headway.db" --generate-password \
  >/dev/null 2>&1 || fail "headway user add"
token=$("${as_headway[@]}" /usr/bin/headway token create admin --db "sqlite://$state/headway.db" --expires 1h |
  tail -n 1)
(cd "$state" && exec "${as_headway[@]}" /usr/bin/headway serve --config /etc/headway/headway.toml \
  "${override[@]}" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
pids+=($!)
await_http "http://127.0.0.1:$port/api/generation/health/" || fail "headway serve did not become healthy"
(cd "$state" && exec "${as_headway[@]}" /usr/bin/headway worker --config /etc/headway/headway.toml \
  "${override[@]}" --name package-test >"$work/worker.log" 2>&1) &
pids+=($!)
curl -sf "http://127.0.0.1:$port/" -o "$work/index.html" || fail "GET / failed"
cmp -s "$work/index.html" /usr/share/headway/web/index.html || fail "GET / is not the packaged web UI"
created=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"type":"timetable","params":{"duration_s":1,"clusters":8}}' \
  "http://127.0.0.1:$port/api/generation-jobs/generate/") || fail "creating a job failed"
job=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
# The server closes the stream after `done`; --max-time only bounds a failure.
curl -sN --max-time 60 -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/generation/stream/$job/" >"$work/stream.txt" || true
grep -q '^event: done' "$work/stream.txt" || fail "the stream ended without done: $(tail -c 600 "$work/stream.txt")"
grep -A1 '^event: done' "$work/stream.txt" | grep -q '"status":"completed"' ||
  fail "the job did not complete: $(tail -c 600 "$work/stream.txt")"
echo "package-test: job $job streamed to done ($(grep -c '^event: progress' "$work/stream.txt") progress events)"

# python3-headway reports an external job through the same server.
created=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"type":"external","params":{}}' "http://127.0.0.1:$port/api/generation-jobs/generate/") ||
  fail "creating an external job failed"
job=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
curl -sN --max-time 60 -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/generation/stream/$job/" >"$work/python-stream.txt" &
reader=$!
# The stream is open (its `connected` is written) before the job reports.
for _ in $(seq 200); do grep -q '^event: connected' "$work/python-stream.txt" && break; sleep 0.1; done
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - "$job" "redis://127.0.0.1:$redis_port" <<'PY' || fail "the Python Tracker failed"
import sys
from headway import Tracker
with Tracker(sys.argv[1], sys.argv[2]) as tracker:
    tracker.start_stage("loading")
    for i in range(10):
        tracker.update_stage_progress(i + 1, 10)
PY
wait "$reader" || true
grep -A1 '^event: done' "$work/python-stream.txt" | grep -q '"status":"completed"' ||
  fail "the Python job did not stream to done: $(tail -c 600 "$work/python-stream.txt")"
echo "package-test: the installed Python module reported job $job to done"

# headway-dev: a program outside the tree builds against the installed package.
cmake -S tests/consumer -B "$work/consumer" >/dev/null && cmake --build "$work/consumer" >/dev/null ||
  fail "tests/consumer does not build against headway-dev"
"$work/consumer/consumer" || fail "the consumer built against headway-dev failed"
ldd "$work/consumer/consumer" | grep -Eq 'libheadway.so.0 => (/usr)?/lib/x86_64-linux-gnu/libheadway.so.0' ||
  fail "the consumer does not load the packaged libheadway"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()

echo "=== package: apt-get remove --purge"
apt-get remove --purge -y -q headway headway-dev python3-headway >"$work/apt-remove.log" 2>&1 ||
  fail "apt-get remove --purge"
installed=0
if dpkg -l | grep -E '^[a-z]{2} +(headway|headway-dev|python3-headway) '; then
  fail "dpkg still lists a package"
fi
getent passwd headway >/dev/null && fail "the headway user is left"
getent group headway >/dev/null && fail "the headway group is left"
snapshot >"$work/after.txt"
if ! diff "$work/before.txt" "$work/after.txt" >"$work/left.txt"; then
  fail "the packages left or removed files: $(cat "$work/left.txt")"
fi
echo "package-test: passed"
