#!/usr/bin/env bash
# The main job on an embedded default: installs what golfops needs, builds it,
# starts a throwaway PostgreSQL 15 + Redis with `golfops dev up`, and shows the
# toolkit working against them. Leaves the servers running; stop them with
#   build/release/golfops dev down --purge --yes
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --skip-bench
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
golfops=$PWD/build/release/golfops

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step golfops version
"$golfops" version
step golfops dev up
"$golfops" dev up
config=$("$golfops" dev status -o json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["config_file"])')
export GOLFOPS_CONFIG=$config
step "export GOLFOPS_CONFIG=$config"
step golfops config show
"$golfops" config show
step golfops health
"$golfops" health
step golfops health -o json
"$golfops" health -o json
step "golfops health -o prometheus   # for node_exporter's textfile collector"
"$golfops" health -o prometheus
step "golfops health --nagios --disk /   # one Nagios line, exit 0/1/2/3"
"$golfops" health --nagios --disk /
step "golfops health wait --timeout 30s   # what deploy scripts run after starting services"
"$golfops" health wait --timeout 30s
step golfops config validate
"$golfops" config validate
step "golfops migrate status   # the project's own schema, in migrations/"
"$golfops" migrate status
step golfops migrate plan 1
"$golfops" migrate plan up 1
step golfops migrate up
"$golfops" migrate up
step golfops migrate history
"$golfops" migrate history
step "golfops migrate status --exit-code && echo up to date"
"$golfops" migrate status --exit-code && echo "up to date"
step "golfops limits diff limits/default-rules.toml   # rate-limit rules as data: a plan first"
"$golfops" limits diff limits/default-rules.toml
step "golfops limits import limits/default-rules.toml   # one transaction, every change audited"
"$golfops" limits import limits/default-rules.toml
step golfops limits list
"$golfops" limits list
step "golfops limits update api_auth --rate 20/60s   # --if-version N guards against a concurrent edit"
"$golfops" limits update api_auth --rate 20/60s
step golfops limits history api_auth
"$golfops" limits history api_auth
step "golfops limits drift   # import and update published the rules to Redis as revisions"
"$golfops" limits drift
step "golfops limits check --resource api_auth --ip 203.0.113.7   # as a service would: headers, exit 1 when denied"
"$golfops" limits check --resource api_auth --ip 203.0.113.7 || true
step "for i in \$(seq 25); do golfops limits check --resource api_auth --ip 203.0.113.7 -q; done; golfops limits explain ..."
for _ in $(seq 25); do "$golfops" limits check --resource api_auth --ip 203.0.113.7 -q >/dev/null || true; done
"$golfops" limits explain --resource api_auth --ip 203.0.113.7
step "golfops limits usage --top 5   # the fullest buckets, by SCAN"
"$golfops" limits usage --top 5
step "golfops limits violations --since 1h"
"$golfops" limits violations --since 1h --limit 3
step "golfops limits bench --concurrency 50 --requests 50000   # check latency against this Redis"
"$golfops" limits bench --concurrency 50 --requests 50000
step "golfops limits reset api_auth --ip 203.0.113.7 --yes"
"$golfops" limits reset api_auth --ip 203.0.113.7 --yes
backups=$(dirname "$config")/backups
step "golfops backup --dir $backups --label demo -o json   # pg_dump + zstd, checksummed; silent under cron"
"$golfops" backup --dir "$backups" --label demo -o json | /usr/bin/python3 -c 'import json,sys; m=json.load(sys.stdin); print(json.dumps({k: m[k] for k in ("id", "database", "bytes_in", "bytes_out", "duration_ms", "sha256", "tables")}, indent=2))'
step "golfops backup list --dir $backups"
"$golfops" backup list --dir "$backups"
step "golfops backup verify --dir $backups --restore-test   # checksum, whole archive, real restore"
"$golfops" backup verify --dir "$backups" --restore-test
step "golfops restore latest --dir $backups --target-db golf_restored --create --clean --yes"
"$golfops" restore latest --dir "$backups" --target-db golf_restored --create --clean --yes
key=$(dirname "$config")/backup.key
[[ -s $key ]] || (umask 077 && openssl rand -hex 32 >"$key")
step "golfops backup --dir $backups --encrypt --key-file $key --verbose   # AES-256-GCM at rest"
"$golfops" backup --dir "$backups" --encrypt --key-file "$key" --verbose
step "golfops backup verify --dir $backups --key-file $key   # the key is checked by fingerprint first"
"$golfops" backup verify --dir "$backups" --key-file "$key"
step "golfops backup prune --dir $backups --dry-run   # retention: [backup] keep_daily/weekly/monthly"
"$golfops" backup prune --dir "$backups" --dry-run
printf '\nThe servers keep running. Try:\n  export GOLFOPS_CONFIG=%s\n  %s health\n  %s dev down --purge --yes\n' \
  "$config" "$golfops" "$golfops"
