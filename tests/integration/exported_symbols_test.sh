#!/usr/bin/env bash
# libheadway.so exports its public API (include/headway, marked HEADWAY_API)
# and nothing else of headway's: no internal namespace, no Redis client, no
# record format. Usage: exported_symbols_test.sh LIBHEADWAY_SO
set -euo pipefail
library=$1
[ -f "$library" ] || { echo "no library at $library" >&2; exit 1; }

# Defined dynamic symbols, demangled, that belong to headway.
mapfile -t ours < <(nm -D --defined-only -C "$library" | cut -d' ' -f3- | grep 'headway::' | sort -u)
[ ${#ours[@]} -gt 0 ] || { echo "FAIL: libheadway exports nothing of headway's" >&2; exit 1; }

# The public names: what a program linked against the library may call.
public='Clock|ManualClock|Tracker|StagePlan|EtaEstimator|EtaHistory|MemorySink|Result|system_clock|version|eta_estimator_names|make_eta_estimator|make_default_eta_estimator'
status=0
for symbol in "${ours[@]}"; do
  # The first headway:: name in the symbol (after "vtable for", "typeinfo for", ...).
  name=$(grep -oE 'headway::[A-Za-z_]+' <<<"$symbol" | head -1)
  if ! grep -qxE "headway::($public)" <<<"$name"; then
    echo "FAIL: exported but not public: $symbol" >&2
    status=1
  fi
done
for expected in 'headway::Tracker::Tracker' 'headway::MemorySink::records' 'headway::version()' \
  'typeinfo for headway::Clock'; do
  printf '%s\n' "${ours[@]}" | grep -qF "$expected" || { echo "FAIL: not exported: $expected" >&2; status=1; }
done
[ $status -eq 0 ] && echo "libheadway exports ${#ours[@]} symbols, all of the public API"
exit $status
