#!/usr/bin/env bash
# `golfops health` over PostgreSQL + Redis + 3 HTTP endpoints, beside the same
# probes done one after another with psql, redis-cli and curl (what a
# `curl | jq` health script does). Prints the ratio.
# Usage: bench/health.sh [build-dir]   (default build/release)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" redis-cli curl jq nginx
work=$(mktemp -d /tmp/golfops-bench-health.XXXXXX)
chmod 755 "$work"
nginx_pid=""
cleanup() {
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null
  "$golfops" dev down --state-dir "$work/dev" --purge --yes >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$golfops" dev up --state-dir "$work/dev" >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$port;
    default_type application/json;
    location = /health { return 200 '{"status":"ok"}'; }
    location = /ready { return 200 '{"status":"ok"}'; }
    location = /metrics { return 200 'up 1'; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
sleep 0.3

pg_url=$(grep '^url' "$work/dev/golfops.toml" | head -1 | cut -d'"' -f2)
redis_port=$(grep -o 'redis://127.0.0.1:[0-9]*' "$work/dev/golfops.toml" | cut -d: -f3)
cat >"$work/golfops.toml" <<TOML
$(cat "$work/dev/golfops.toml")

[[health.check]]
type = "postgres"
[[health.check]]
type = "redis"
[[health.check]]
name = "health"
type = "http"
url = "http://127.0.0.1:$port/health"
conditions = ['\$.status == "ok"']
[[health.check]]
name = "ready"
type = "http"
url = "http://127.0.0.1:$port/ready"
[[health.check]]
name = "metrics"
type = "http"
url = "http://127.0.0.1:$port/metrics"
TOML
cat >"$work/sequential.sh" <<SH
#!/bin/sh
set -e
PGPASSWORD=\$(cat $work/dev/postgres.password) /usr/lib/postgresql/15/bin/psql -X -At "${pg_url/golfops@/golfops@}" -c 'select 1' >/dev/null
REDISCLI_AUTH=\$(cat $work/dev/redis.password) redis-cli -p $redis_port ping >/dev/null
curl -sf http://127.0.0.1:$port/health | jq -e '.status == "ok"' >/dev/null
curl -sf http://127.0.0.1:$port/ready >/dev/null
curl -sf http://127.0.0.1:$port/metrics >/dev/null
SH
chmod +x "$work/sequential.sh"
"$work/sequential.sh"
GOLFOPS_CONFIG="$work/golfops.toml" "$golfops" health

machine_facts
echo "PostgreSQL (SCRAM) + Redis from golfops dev up, nginx on 127.0.0.1"
GOLFOPS_CONFIG="$work/golfops.toml" hyperfine -N --warmup 5 --runs 50 --export-json "$work/health.json" \
  -n "golfops health (5 checks, parallel)" "$golfops health" \
  -n "psql + redis-cli + 3x curl (one after another)" "$work/sequential.sh" >/dev/null
/usr/bin/python3 - "$work/health.json" <<'PY'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
mine = results["golfops health (5 checks, parallel)"]
for name, mean in results.items():
    print(f"{name:48} {mean*1000:7.1f}ms  {mean/mine:5.2f}x")
PY
