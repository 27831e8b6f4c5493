#!/usr/bin/env bash
# The main job on an embedded default: installs what golfops needs, builds it,
# then tells the whole story against a throwaway PostgreSQL 15 + Redis
# (`golfops dev up`) and the reference golf service (examples/golf-api):
# migrate, rate-limit rules, health, verify, a short load test, backup,
# verify the backup, restore it into a scratch database. Re-runnable; stops
# every server it started unless run with --keep. GOLFOPS=path/to/golfops
# runs the story with that binary instead of installing and building.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true
golfops=${GOLFOPS:-}
if [[ -z $golfops ]]; then
  ./scripts/install-deps.sh --skip-bench
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)"
  golfops=$PWD/build/release/golfops
fi
started=$SECONDS

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
# A TOML basic string: the checkout's path may hold quotes, backslashes, tabs.
toml_string() {
  local text=${1//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//$'\t'/\\t}
  text=${text//$'\n'/\\n}
  printf '"%s"' "$text"
}
api_pid=""
servers_up=false
finish() {
  local status=$?
  if [[ -n "$api_pid" ]]; then
    kill -TERM "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
  fi
  if [[ $servers_up == true && $keep == false ]]; then
    # Not through the demo's config: whatever went wrong with it, the
    # servers still stop.
    env -u GOLFOPS_CONFIG "$golfops" dev down >/dev/null || true
  fi
  exit "$status"
}
trap finish EXIT

step golfops version
"$golfops" version
step "golfops dev up   # a throwaway PostgreSQL 15 and Redis on free 127.0.0.1 ports"
"$golfops" dev up
servers_up=true
state=$("$golfops" dev status -o json)
dev_config=$(jq -r .config_file <<<"$state")
state_dir=$(jq -r .state_dir <<<"$state")
# The demo's own files stay out of the servers' directory, which
# `dev down --purge` removes only when it holds nothing but golfops' own.
demo=$PWD/build/demo
reports=$demo/reports
backups=$demo/backups
mkdir -p "$reports"

# The reference service, on the same servers; passwords by file, never argv.
read -r database_url redis_url < <(/usr/bin/python3 -c '
import sys, tomllib
config = tomllib.load(open(sys.argv[1], "rb"))
print(config["database"]["url"], config["redis"]["url"])' "$dev_config")
step "examples/golf-api/main.py   # the reference service: FastAPI, rate limited by golfops' Lua scripts"
rm -f "$demo/golf-api.port"
DATABASE_URL=$database_url REDIS_URL=$redis_url \
  DATABASE_PASSWORD_FILE=$state_dir/postgres.password REDIS_PASSWORD_FILE=$state_dir/redis.password \
  /usr/bin/python3 examples/golf-api/main.py --port 0 --port-file "$demo/golf-api.port" \
  >"$demo/golf-api.log" 2>&1 &
api_pid=$!
for _ in $(seq 200); do
  [[ -s "$demo/golf-api.port" ]] && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$demo/golf-api.log" >&2; exit 1; }
  sleep 0.05
done
api=http://127.0.0.1:$(cat "$demo/golf-api.port")
echo "listening on $api (log: $demo/golf-api.log)"

# The demo's config: the dev servers, plus where the service and backups are.
config=$demo/golfops.toml
{
  cat "$dev_config"
  # Absolute: the demo's commands work from any directory.
  printf '\n[migrate]\ndir = %s\n' "$(toml_string "$PWD/migrations")"
  printf '\n[backup]\ndir = %s\n\n[verify]\nbase_url = "%s"\n' "$(toml_string "$backups")" "$api"
  printf '\n[[health.check]]\nname = "postgres"\ntype = "postgres"\n'
  printf '\n[[health.check]]\nname = "redis"\ntype = "redis"\n'
  printf '\n[[health.check]]\nname = "golf-api"\ntype = "http"\nurl = "%s/ready"\nconditions = [%s]\n' \
    "$api" "'\$.status == \"ready\"'"
} >"$config"
export GOLFOPS_CONFIG=$config
step "export GOLFOPS_CONFIG=$config"
"$golfops" config validate

step "golfops health wait --timeout 30s   # what a deploy script runs after starting services"
"$golfops" health wait --timeout 30s
step "golfops migrate status"
"$golfops" migrate status
step "golfops migrate up"
"$golfops" migrate up
step "golfops limits diff limits/default-rules.toml   # rate-limit rules as data: a plan first"
"$golfops" limits diff limits/default-rules.toml || true
step "golfops limits import limits/default-rules.toml   # one transaction, audited, published to Redis"
"$golfops" limits import limits/default-rules.toml
step "golfops limits list"
"$golfops" limits list
step "golfops health"
"$golfops" health

step "golfops verify --expect-version 1.0.0 --skip backup --junit $reports/verify.xml --save-baseline $reports/baseline.json   # what CI runs after a deploy (no backup yet)"
"$golfops" verify --expect-version 1.0.0 --skip backup --junit "$reports/verify.xml" \
  --save-baseline "$reports/baseline.json"

step "golfops load $api/health -c 20 --rate 500/s -d 5s --threshold 'p99<100ms' 'error_rate<1%' --html $reports/load.html"
"$golfops" load "$api/health" -c 20 --rate 500/s -d 5s --threshold 'p99<100ms' 'error_rate<1%' \
  --html "$reports/load.html"
step "golfops load $api/api/games --rate 50/s -d 3s   # past api_general's 100/min: the service answers 429"
"$golfops" load "$api/api/games" --rate 50/s -d 3s -c 5 --threshold 'throttled_rate>10%'
step "golfops limits usage --top 3   # the buckets that load filled"
"$golfops" limits usage --top 3

step "golfops backup --label demo   # pg_dump + zstd, checksummed"
"$golfops" backup --label demo --verbose
step "golfops backup list"
"$golfops" backup list
step "golfops backup verify   # checksum and the whole archive"
"$golfops" backup verify
step "golfops restore latest --target-db golf_scratch --create --clean --yes"
"$golfops" restore latest --target-db golf_scratch --create --clean --yes

step "golfops verify --baseline $reports/baseline.json   # after the deploy: no regressions"
"$golfops" verify --baseline "$reports/baseline.json"

printf '\n\033[1mDone in %d s (after the build).\033[0m Reports:\n' $((SECONDS - started))
printf '  %s   JUnit for CI\n  %s   baseline for the next verify\n  %s   load test report\n  %s   backups\n' \
  "$reports/verify.xml" "$reports/baseline.json" "$reports/load.html" "$backups"
if [[ $keep == true ]]; then
  printf '\nThe servers keep running (--keep):\n  export GOLFOPS_CONFIG=%s\n  %s health\n  kill %s   # the golf API\n  %s dev down --purge --yes\n' \
    "$config" "$golfops" "$api_pid" "$golfops"
  api_pid=""
else
  printf '\nEvery server is stopped again; %s keeps their data for the next run\n(%s dev down --purge --yes removes it).\n' \
    "$state_dir" "$golfops"
fi
