#!/usr/bin/env bash
# Start-up cost: `golfops --version` beside psql, curl, redis-cli and a bare
# program linking the same libraries, timed by hyperfine on this machine.
# Usage: bench/startup.sh [build-dir]   (default build/release)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" redis-cli curl
bare=$build/bench/golfops_bare
psql_real=/usr/lib/postgresql/15/bin/psql
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

machine_facts
echo "shared libraries loaded before main: golfops $(ldd "$golfops" | wc -l), bare $(ldd "$bare" | wc -l), redis-cli $(ldd "$(command -v redis-cli)" | wc -l)"
hyperfine -N --warmup 20 --runs 300 --export-json "$out/startup.json" \
  -n "golfops --version" "$golfops --version" \
  -n "golfops version (loads libcurl for its version)" "$golfops version" \
  -n "bare (same libraries)" "$bare" \
  -n "psql --version (real binary)" "$psql_real --version" \
  -n "psql --version (Debian wrapper)" "psql --version" \
  -n "curl --version" "curl --version" \
  -n "redis-cli --version" "redis-cli --version" >/dev/null

if command -v valgrind >/dev/null; then
  echo "instructions executed (callgrind, repeatable):"
  for command in "$golfops --version" "$bare" "$psql_real --version" "redis-cli --version"; do
    printf '  %-40s %12s\n' "${command//$PWD\//}" "$(instructions $command)"
  done
fi
/usr/bin/python3 - "$out/startup.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
golfops = results["golfops --version"]["mean"]
print(f"{'command':34} {'mean':>9} {'stddev':>9}  golfops is")
for name, r in results.items():
    ratio = golfops / r["mean"]
    print(f"{name:34} {r['mean']*1000:7.2f}ms {r['stddev']*1000:7.2f}ms  {ratio:5.2f}x its time")
bare = results["bare (same libraries)"]["mean"]
print(f"\ngolfops / bare = {golfops / bare:.3f} (goal <= 1.1)")
PY
