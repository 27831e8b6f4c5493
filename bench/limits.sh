#!/usr/bin/env bash
# `golfops limits bench` against `redis-benchmark` running the same script by
# EVALSHA, at the same concurrency, on the same Redis (a throwaway one from
# `golfops dev up`): checks per second and p50/p99 for each algorithm at
# concurrency 50, and p99 at 1 and 8. Rounds interleave and the median of
# each counts. Also plain PING, the round-trip floor.
# Usage: bench/limits.sh [build-dir] [requests] [rounds]   (default build/release, 100000, 3)
set -euo pipefail
requests=${2:-100000}
rounds=${3:-3}
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" redis-benchmark
bench_dev limits
redis_port=$(sed -n "s|^url = 'redis://127.0.0.1:\([0-9]*\)/.*|\1|p" "$GOLFOPS_CONFIG")
REDISCLI_AUTH=$(cat "$work/dev/redis.password")
export REDISCLI_AUTH
# redis-benchmark takes a password only on its command line: on this
# throwaway, loopback-only server golfops logs in as its own ACL user (the
# password from stdin, never argv) and the default user needs none.
printf '>%s' "$REDISCLI_AUTH" | redis-cli -p "$redis_port" -x ACL SETUSER golfops on '~*' '&*' '+@all' >/dev/null
export GOLFOPS_REDIS_URL="redis://golfops@127.0.0.1:$redis_port/0"
redis-cli -p "$redis_port" ACL SETUSER default nopass >/dev/null
unset REDISCLI_AUTH

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# peer ALGORITHM CONCURRENCY: "checks/s p50 p99" from redis-benchmark on the
# bench bucket's keys and the bench rule's arguments (limits bench's
# defaults: nothing denied, sliding_log at its largest limit, gcra at a
# microsecond apart).
peer() {
  local sha key='golfops:rl:golfops-bench:{ip:bench-0}' limit=1000000000
  [[ $1 == sliding_log ]] && limit=10000
  [[ $1 == gcra ]] && limit=60000000
  sha=$("$golfops" limits script -o json | jq -r ".scripts[] | select(.algorithm == \"$1\") | .sha1")
  "$golfops" limits script --algorithm "$1" | redis-cli -p "$redis_port" -x SCRIPT LOAD >/dev/null
  redis-benchmark -p "$redis_port" -c "$2" -n "$requests" --csv \
    EVALSHA "$sha" 3 "$key" "$key:s" "$key:v" "$limit" 60000 1 0 0 2>/dev/null |
    tail -1 | tr -d '"' | awk -F, '{ print $2, $5, $7 }'
  redis-cli -p "$redis_port" UNLINK "$key" "$key:s" "$key:v" >/dev/null
}
# ours ALGORITHM CONCURRENCY: the same from golfops limits bench.
ours() {
  "$golfops" limits bench --algorithm "$1" --concurrency "$2" --requests "$requests" -o json |
    jq -r '"\(.checks_per_second) \(.latency_ms.p50) \(.latency_ms.p99)"'
}

echo "== limits check: golfops limits bench vs redis-benchmark EVALSHA, $requests checks, median of $rounds =="
machine_facts
echo "redis: $(redis-server --version | awk '{print $3}')"
ping=$(redis-benchmark -p "$redis_port" -c 50 -n "$requests" --csv -t ping_mbulk 2>/dev/null | tail -1 | tr -d '"' | awk -F, '{ print $2, $7 }')
echo "floor: PING at concurrency 50: ${ping% *} /s, p99 ${ping#* } ms"
printf '%-15s %5s %12s %12s %7s %10s %10s %7s\n' algorithm conc "golfops/s" "peer/s" ratio "p99 ours" "p99 peer" ratio
for algorithm in fixed_window sliding_window sliding_log gcra; do
  for concurrency in 50 8 1; do
    [[ $algorithm != fixed_window && $concurrency != 50 ]] && continue
    ours_rate=() ours_p99=() peer_rate=() peer_p99=()
    for ((round = 1; round <= rounds; round++)); do
      read -r rate _ p99 <<<"$(ours "$algorithm" "$concurrency")"
      ours_rate+=("$rate") ours_p99+=("$p99")
      read -r rate _ p99 <<<"$(peer "$algorithm" "$concurrency")"
      peer_rate+=("$rate") peer_p99+=("$p99")
    done
    a=$(median "${ours_rate[@]}") b=$(median "${peer_rate[@]}")
    c=$(median "${ours_p99[@]}") d=$(median "${peer_p99[@]}")
    printf '%-15s %5s %12.0f %12.0f %7s %10.3f %10.3f %7s\n' "$algorithm" "$concurrency" "$a" "$b" \
      "$(ratio "$a" "$b")" "$c" "$d" "$(ratio "$c" "$d")"
  done
done
