#!/usr/bin/env bash
# `golfops load` against wrk, hey and ab on the same nginx in the same run:
# nginx (one worker) pinned to CPU 0, each generator to CPU 1 with one
# thread, a small static file, keep-alive, 50 and 200 connections, 10 s
# each. Rounds interleave the tools and the median of each counts.
# Then accuracy: the same tools against delay_server, whose every answer
# takes exactly 10 ms, at 50 connections: how far each one's p50 and p99
# are from 10 ms.
# Usage: bench/load.sh [build-dir] [seconds] [rounds]   (default build/release, 10, 3)
set -euo pipefail
seconds=${2:-10}
rounds=${3:-3}
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" wrk hey ab
delay_server="$build/tests/integration/golfops_delay_server"
work=$(mktemp -d /tmp/golfops-bench-load.XXXXXX)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"' EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www" "$work/logs"
head -c 612 /dev/zero | tr '\0' 'g' >"$work/www/index.html" # nginx's own welcome page is 612 bytes
cat >"$work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $work;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf" -e "$work/logs/error.log" &
pids+=($!)
until curl -sf "http://127.0.0.1:$port/index.html" >/dev/null; do sleep 0.05; done
url="http://127.0.0.1:$port/index.html"

# Each prints "requests/s p50_ms p99_ms cpu_us" for URL and CONNECTIONS:
# cpu_us is the generator's own CPU time (user + system) per request, what
# it costs whichever side is the bottleneck.
timed() { /usr/bin/time -f '%U %S' -o "$work/cpu" taskset -c 1 "$@"; }
cpu_per_request() { awk -v n="$1" '{ printf "%.2f", ($1 + $2) * 1e6 / n }' "$work/cpu"; }
to_ms() { # wrk's "1.27ms", "850.00us", "1.02s"
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
run_golfops() {
  local out
  out=$(timed "$golfops" load "$1" -t 1 -c "$2" -d "${seconds}s" -o json)
  echo "$(jq -r '"\(.rps) \(.latency_ms.p50 * 1000 | round / 1000) \(.latency_ms.p99 * 1000 | round / 1000)"' <<<"$out") $(cpu_per_request "$(jq .requests <<<"$out")")"
}
run_wrk() {
  local out
  out=$(timed wrk -t1 -c "$2" -d "${seconds}s" --latency "$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") $(cpu_per_request "$(awk '/requests in/ {print $1}' <<<"$out")")"
}
run_hey() {
  local out
  out=$(timed hey -cpus 1 -c "$2" -z "${seconds}s" "$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "50%" {print $3 * 1000}' <<<"$out") $(awk '$1 == "99%" {print $3 * 1000}' <<<"$out") $(cpu_per_request "$(awk '/responses$/ {n += $2} END {print n}' <<<"$out")")"
}
run_ab() {
  local out
  out=$(timed ab -k -q -c "$2" -t "$seconds" -n 100000000 "$1" 2>/dev/null)
  echo "$(awk '/Requests per second/ {print $4}' <<<"$out") $(awk '$1 == "50%" {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out") $(cpu_per_request "$(awk '/Complete requests/ {print $3}' <<<"$out")")"
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

machine_facts
echo "golfops $("$golfops" version -o json | jq -r .version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), hey, $(ab -V | head -1 | cut -d, -f1)"
echo "nginx on CPU 0 (1 worker), each generator on CPU 1 (1 thread), keep-alive, ${seconds}s, median of $rounds rounds"
echo
printf '%-12s %5s %12s %9s %9s %8s %12s %12s\n' tool conns requests/s p50_ms p99_ms vs_wrk cpu_us/req cpu_vs_wrk
for connections in 50 200; do
  declare -A rps=() p50=() p99=() cpu=()
  for round in $(seq "$rounds"); do
    for tool in golfops wrk hey ab; do
      read -r r a b c < <("run_$tool" "$url" "$connections")
      rps[$tool]+="$r "
      p50[$tool]+="$a "
      p99[$tool]+="$b "
      cpu[$tool]+="$c "
    done
  done
  # shellcheck disable=SC2086
  wrk_rps=$(median ${rps[wrk]})
  # shellcheck disable=SC2086
  wrk_cpu=$(median ${cpu[wrk]})
  for tool in golfops wrk hey ab; do
    # shellcheck disable=SC2086
    r=$(median ${rps[$tool]})
    # shellcheck disable=SC2086
    c=$(median ${cpu[$tool]})
    # shellcheck disable=SC2086
    printf '%-12s %5s %12.0f %9s %9s %7.2fx %12s %11.2fx\n' "$tool" "$connections" "$r" "$(median ${p50[$tool]})" "$(median ${p99[$tool]})" "$(echo "$r / $wrk_rps" | bc -l)" "$c" "$(echo "$c / $wrk_cpu" | bc -l)"
  done
done

echo
echo "accuracy: every answer takes exactly 10 ms (delay_server), 50 connections, ${seconds}s"
"$delay_server" "$work/delay.port" --delay-ms 10 &
pids+=($!)
until [[ -s "$work/delay.port" ]]; do sleep 0.05; done
delay_url="http://127.0.0.1:$(cat "$work/delay.port")/"
printf '%-12s %12s %9s %9s\n' tool requests/s p50_ms p99_ms
for tool in golfops wrk hey ab; do
  read -r r a b c < <("run_$tool" "$delay_url" 50) || { echo "$tool: no result"; continue; }
  printf '%-12s %12.0f %9s %9s\n' "$tool" "$r" "$a" "$b"
done
