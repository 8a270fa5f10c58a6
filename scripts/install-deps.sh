#!/usr/bin/env bash
# Installs every package headway needs to build, run and test, on Debian 12.
# Idempotent: installs only what is missing. Runs as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format clang-tidy git ca-certificates curl python3
  clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libhiredis-dev libsqlite3-dev libpq-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server postgresql
  python3-dev pybind11-dev python3-pytest mypy
  nodejs chromium
  nginx prometheus openssl python3-jsonschema python3-yaml
  help2man file systemd man-db
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done

# A nodejs from NodeSource ships npm, and Debian's npm package would conflict
# with it; Debian's own nodejs comes without npm, so add the package only when
# there is no npm.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
