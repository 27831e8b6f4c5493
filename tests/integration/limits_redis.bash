#!/usr/bin/env bash
# `golfops limits` in Redis: publish/drift/rollback, check and explain as a
# service would, exact admission under 200 concurrent clients for every
# algorithm, sliding windows that never over-admit, GCRA bursts, usage,
# reset, violations and stats, and exit 3 when Redis is down.
source "$(dirname "$0")/harness.bash"
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
printf '%s\n' "$REDIS_PASSWORD" >redis.password
export PGPASSWORD="$PG_PASSWORD" REDISCLI_AUTH="$REDIS_PASSWORD"
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/limits"
password_file = "$HARNESS_TMP/pg.password"
[redis]
url = "redis://127.0.0.1:$REDIS_PORT/0"
password_file = "$HARNESS_TMP/redis.password"
[migrate]
dir = "$project/migrations"
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"
export GOLFOPS_ACTOR=carol
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d postgres -c "CREATE DATABASE limits"
run "$GOLFOPS" migrate up
expect_status 0

test_case "import publishes; a subscriber hears it; publish again changes nothing; drift is none"
timeout 20 redis-cli -p "$REDIS_PORT" SUBSCRIBE golfops:rl:rules >subscriber.out &
subscriber=$!
wait_for "the subscriber to subscribe" bash -c "[[ \$(redis-cli -p $REDIS_PORT PUBSUB NUMSUB golfops:rl:rules | tail -1) == 1 ]]"
run "$GOLFOPS" limits import "$project/limits/default-rules.toml" -o json
expect_status 0
expect_json '.published.revision == 1 and .published.rules == 8 and .published.changed'
wait_for "the change message" grep -q '"revision":1' subscriber.out
kill "$subscriber" 2>/dev/null || true
[[ $(rcli HLEN 'golfops:rl:{rules}') == 8 ]] || fail "Redis holds $(rcli HLEN 'golfops:rl:{rules}') rules"
run "$GOLFOPS" limits publish -o json
expect_json '.changed == false and .revision == 1'
run "$GOLFOPS" limits drift -o json
expect_status 0
expect_json '.drift == false and .revision == 1'

test_case "--no-publish leaves Redis alone: drift says so (exit 1) until publish"
run "$GOLFOPS" limits update api_auth --rate 20/1m --no-publish
expect_status 0
run "$GOLFOPS" limits drift -o json
expect_status 1
expect_json '.changes[0].kind == "different" and .changes[0].name == "api_auth"'
run "$GOLFOPS" limits disable proxy --no-publish
run "$GOLFOPS" limits drift -o json
expect_json '[.changes[] | .kind + " " + .name] | sort == ["different api_auth", "only_in_redis proxy"]'
run "$GOLFOPS" limits publish -o json
expect_json '.changed and .revision == 2 and .rules == 7'
run "$GOLFOPS" limits drift
expect_status 0
expect_stdout "no drift"

test_case "rollback returns Redis to an earlier revision as a new one; PostgreSQL keeps its rules"
run "$GOLFOPS" limits rollback --list -o json
expect_json '.current == 2 and [.revisions[].revision] == [2, 1]'
run "$GOLFOPS" limits rollback 1 -o json
expect_status 0
expect_json '.revision == 3 and .note == "rollback to 1" and .rules == 8'
[[ $(rcli HGET 'golfops:rl:{rules}' api_auth | jq -r .rate) == "10/1m" ]] || fail "Redis did not get revision 1's api_auth"
run "$GOLFOPS" limits drift
expect_status 1
run "$GOLFOPS" limits rollback 99
expect_status 2
expect_stderr "REV: no revision 99 (revisions run from 1 to 3"
run "$GOLFOPS" limits publish
expect_status 0

test_case "check counts like a service: both header sets, exit 1 when denied; explain counts nothing"
# login_burst, shadow_key and v6_rule count in hour-long fixed windows from
# here to the end of "from a new-user trial" (30-90 s).
outside_window_edge 3600 150
run "$GOLFOPS" limits create login_burst --resource login --rate 3/1h --algorithm fixed_window
expect_status 0
for i in 1 2 3; do
  run "$GOLFOPS" limits check --resource login --ip 198.51.100.7 -o json
  expect_status 0
  expect_json ".allowed and .decided_by == \"login_burst\" and .headers[\"X-RateLimit-Remaining\"] == \"$((3 - i))\""
done
run "$GOLFOPS" limits check --resource login --ip 198.51.100.7 -o json
expect_status 1
expect_json '.allowed == false and (.headers["Retry-After"] | tonumber) > 0 and .headers["RateLimit-Policy"] == "\"login_burst\";q=3;w=3600"'
expect_json '.headers.RateLimit | startswith("\"login_burst\";r=0;t=")'
run "$GOLFOPS" limits explain --resource login --ip 198.51.100.7
expect_status 0
expect_stdout "denies (decides)"
expect_stdout "does not apply: for resource api_auth"
expect_stdout "explain only looks"
run "$GOLFOPS" limits explain --resource login --ip 198.51.100.7 -o json
expect_json '[.rules[] | select(.name == "login_burst") | .decision.remaining] == [0]'
run "$GOLFOPS" limits check --resource login --ip 198.51.100.8 -o json
expect_status 0
expect_json '.headers["X-RateLimit-Remaining"] == "2"'

test_case "every algorithm: 200 concurrent clients on one bucket of 100 admit exactly 100"
for algorithm in fixed_window sliding_window sliding_log gcra; do
  run "$GOLFOPS" limits bench --algorithm "$algorithm" --rate 100/7d --concurrency 200 --requests 1000 -o json
  expect_status 0
  expect_json '.checks == 1000 and .allowed == 100 and .denied == 900'
done

test_case "every algorithm admits again after the retry-after it reports"
# 2 per 6 s: a window long enough that three checks by a slow (ASan) binary
# on a busy machine still fit in one.
# window_start_is_far: the server's clock is in the first half of a 6 s
# window, so three checks in a row fall in one fixed window.
window_start_is_far() {
  local time
  time=$(rcli TIME | tr '\n' ' ')
  read -r seconds micros <<<"$time"
  (((seconds % 6) * 1000 + micros / 1000 < 3000))
}
for algorithm in fixed_window sliding_window sliding_log gcra; do
  run "$GOLFOPS" limits create "again_$algorithm" --resource "again_$algorithm" --rate 2/6s --algorithm "$algorithm"
  expect_status 0
  # Three checks must fall in one 6 s window (gcra: within its 3 s emission
  # interval); on a machine so busy that they did not (the server's clock
  # says), start again on a fresh bucket.
  span=6000
  [[ $algorithm == gcra ]] && span=3000
  for attempt in 1 2 3 4 5 6 7 8; do
    "$GOLFOPS" limits reset "again_$algorithm" --ip 192.0.2.1 --yes -q
    wait_for "the start of a window" window_start_is_far
    run "$GOLFOPS" limits check --resource "again_$algorithm" --ip 192.0.2.1 -o json
    first=$(jq '.rules[] | select(.decision != null) | .decision.now_ms' "$RUN_OUT")
    run "$GOLFOPS" limits check --resource "again_$algorithm" --ip 192.0.2.1
    second_status=$RUN_STATUS
    run "$GOLFOPS" limits check --resource "again_$algorithm" --ip 192.0.2.1 -o json
    third=$(jq '.rules[] | select(.decision != null) | .decision.now_ms' "$RUN_OUT")
    if ((first / 6000 == third / 6000 && third - first < span)); then
      break
    fi
    echo "attempt $attempt: the checks spanned $((third - first)) ms across a window; again"
  done
  [[ $second_status -eq 0 ]] || fail "$algorithm: the second check was refused"
  expect_status 1
  retry_ms=$(jq '.rules[] | select(.decision != null) | .decision.retry_after_ms' "$RUN_OUT")
  [[ $retry_ms -gt 0 && $retry_ms -le 7200 ]] || fail "$algorithm: retry_after_ms $retry_ms"
  sleep "$(awk -v ms="$retry_ms" 'BEGIN { printf "%.3f", ms / 1000 + 0.02 }')"
  run "$GOLFOPS" limits check --resource "again_$algorithm" --ip 192.0.2.1
  expect_status 0
done

test_case "sliding algorithms never admit more than the limit in any window of the period"
for algorithm in sliding_window sliding_log; do
  run "$GOLFOPS" limits create "slide_$algorithm" --resource "slide_$algorithm" --rate 4/1s --algorithm "$algorithm"
  : >"admitted_$algorithm"
  # Until 9 are admitted (at 4 per second that takes more than 2 s of
  # sliding), however slow each check is here (ASan, a busy machine).
  end=$((SECONDS + 120))
  while (($(wc -l <"admitted_$algorithm") < 9 && SECONDS < end)); do
    "$GOLFOPS" limits check --resource "slide_$algorithm" --ip 192.0.2.9 -o json |
      jq -r 'select(.allowed) | .rules[] | select(.decision != null) | .decision.now_ms' >>"admitted_$algorithm" || true
  done
  count=$(wc -l <"admitted_$algorithm")
  [[ $count -ge 9 ]] || fail "$algorithm: only $count admitted in 120 s"
  # The server's clock: in every window of 1000 ms starting at an
  # admission, at most 4 admissions.
  worst=$(sort -n "admitted_$algorithm" | awk '{ t[NR] = $1 } END { w = 0; for (i = 1; i <= NR; i++) { n = 0; for (j = i; j <= NR && t[j] < t[i] + 1000; j++) n++; if (n > w) w = n } print w }')
  [[ $worst -le 4 ]] || fail "$algorithm admitted $worst in one second"
done

test_case "GCRA: burst requests at once, then one per emission interval"
run "$GOLFOPS" limits bench --algorithm gcra --rate 10/10s --burst 3 --concurrency 20 --requests 20 -o json
expect_status 0
expect_json '.allowed == 3'
run "$GOLFOPS" limits bench --algorithm gcra --rate 10/10s --concurrency 20 --requests 20 -o json
expect_json '.allowed == 10'
run "$GOLFOPS" limits bench --algorithm fixed_window --burst 3
expect_status 2
expect_stderr "--burst: 3 with algorithm fixed_window"

test_case "shadow rules count and report but never deny"
run "$GOLFOPS" limits create shadow_key --scope api_key --resource upload --rate 1/1h --shadow
for i in 1 2 3; do
  run "$GOLFOPS" limits check --resource upload --api-key sk_live_0123456789abcdef
  expect_status 0
done
expect_stdout "over (shadow: allowed)"
expect_stdout "sk_l…"
grep -q 0123456789abcdef "$RUN_OUT" && fail "check showed the API key"

test_case "usage, violations and stats come from what the scripts recorded"
run "$GOLFOPS" limits usage --top 3 -o json
expect_status 0
expect_json '.buckets | length == 3'
expect_json '[.buckets[] | select(.rule == "login_burst" and .value == "198.51.100.7") | .used] == [3]'
run "$GOLFOPS" limits violations --rule login_burst -o json
expect_status 0
expect_json '[.violations[] | select(.rule == "login_burst")] | length == 1'
run "$GOLFOPS" limits violations --rule shadow_key -o json
expect_json '[.violations[] | .shadow and (.value | startswith("sk_l…"))] | all and length == 2'
run "$GOLFOPS" limits violations --limit 3 -o json
expect_json '.violations | length == 3'
run "$GOLFOPS" limits stats --rule login_burst -o json
expect_json '.rules == [{"rule": "login_burst", "checks": 5, "over": 1, "buckets": 2, "shadow": false}]'
# For Prometheus (golfops-limits.timer): the same counts, atomically, quiet.
run "$GOLFOPS" limits stats --since 1h --quiet --metrics-file "$HARNESS_TMP/limits.prom"
expect_status 0
expect_no_stdout
grep -qx 'golfops_ratelimit_checks{rule="login_burst",shadow="false"} 5' limits.prom || fail "no checks metric: $(cat limits.prom)"
grep -qx 'golfops_ratelimit_over{rule="login_burst",shadow="false"} 1' limits.prom || fail "no over metric"
grep -qx 'golfops_ratelimit_over{rule="shadow_key",shadow="true"} 2' limits.prom || fail "no shadow metric"
grep -qx 'golfops_ratelimit_window_seconds 3600' limits.prom || fail "no window metric"
grep -qx 'golfops_ratelimit_error 0' limits.prom || fail "no error metric"
run "$GOLFOPS" limits stats --metrics-file "$HARNESS_TMP/no/such/dir/limits.prom"
expect_status 2
expect_stderr "--metrics-file"
grep -q 0123456789abcdef "$HARNESS_TMP/all-output" && fail "an API key was shown"
run "$GOLFOPS" limits usage --api-key sk_live_0123456789abcdef
expect_status 2
grep -q 0123456789abcdef "$RUN_ERR" && fail "an API key was echoed in an error"

test_case "reset clears a bucket (asks first), or all of a rule's"
run "$GOLFOPS" limits reset login_burst --ip 198.51.100.7
expect_status 4
run "$GOLFOPS" limits check --resource login --ip 198.51.100.7
expect_status 1
run "$GOLFOPS" limits reset login_burst --ip 198.51.100.7 --yes
expect_status 0
expect_stdout "the bucket is full again"
run "$GOLFOPS" limits check --resource login --ip 198.51.100.7
expect_status 0
run "$GOLFOPS" limits reset login_burst --yes
expect_status 2
expect_stderr "needs --ip"
run "$GOLFOPS" limits reset login_burst --all --yes -o json
expect_json '.deleted == 2'
run "$GOLFOPS" limits usage --rule login_burst -o json
expect_json '.buckets == []'

test_case "from a new-user trial: canonical IPs, gcra headers, never-passing costs, typos"
run "$GOLFOPS" limits create v6_rule --resource v6 --rate 2/1h
run "$GOLFOPS" limits check --resource v6 --ip 2001:DB8:0::1
run "$GOLFOPS" limits check --resource v6 --ip 2001:db8::1 -o json
expect_json '.headers["X-RateLimit-Remaining"] == "0"'
run "$GOLFOPS" limits check --resource v6 --ip ::ffff:203.0.113.9
run "$GOLFOPS" limits check --resource v6 --ip 203.0.113.9 -o json
expect_json '.headers["X-RateLimit-Remaining"] == "0"'
run "$GOLFOPS" limits create paced --resource paced --rate 100/1m --algorithm gcra --burst 20
run "$GOLFOPS" limits check --resource paced --ip 192.0.2.3 -o json
expect_json '.headers["RateLimit-Policy"] == "\"paced\";q=100;w=60" and .headers["X-RateLimit-Limit"] == "100"'
run "$GOLFOPS" limits check --resource paced --ip 192.0.2.3 --cost 21 -o json
expect_status 1
expect_json '.retry_after_ms == -1 and (.headers | has("Retry-After") | not)'
run "$GOLFOPS" limits violations --rule pacedd
expect_status 2
expect_stderr "--rule: no rule 'pacedd' is published or has buckets (did you mean 'paced'?)"
run "$GOLFOPS" limits reset paced --ip 192.0.2.3 --all --yes
expect_status 2
expect_stderr "--all: not with --ip"
run "$GOLFOPS" limits rollback 1 --list
expect_status 2
run "$GOLFOPS" limits stats -o json
expect_json '.since_ms == 86400000'
run "$GOLFOPS" limits bench --burst 3 --requests 10
expect_status 2
expect_stderr "--burst: 3 with algorithm fixed_window"

test_case "Ctrl-C stops a bench at once (exit 130) and still removes its buckets"
set +e
timeout --preserve-status -s INT 2 "$GOLFOPS" limits bench --duration 20s --buckets 10 >/dev/null 2>bench.err
status=$?
set -e
[[ $status == 130 ]] || fail "bench after SIGINT exited $status: $(cat bench.err)"
[[ -z $(rcli --scan --pattern 'golfops:rl:golfops-bench:*') ]] || fail "SIGINT left bench keys: $(rcli --scan --pattern 'golfops:rl:golfops-bench:*' | head -3)"

test_case "script prints the shipped Lua, whose SHA1 Redis computes too"
for algorithm in fixed_window sliding_window sliding_log gcra; do
  run "$GOLFOPS" limits script --algorithm "$algorithm"
  cmp -s "$RUN_OUT" "$project/limits/scripts/$algorithm.lua" || fail "script --algorithm $algorithm differs from the file"
  sha=$(redis-cli -p "$REDIS_PORT" -x SCRIPT LOAD <"$project/limits/scripts/$algorithm.lua")
  run "$GOLFOPS" limits script -o json
  expect_json ".scripts[] | select(.algorithm == \"$algorithm\") | .sha1 == \"$sha\""
done

test_case "bad input is one line, exit 2"
run "$GOLFOPS" limits check --resource login --ip 1.2.3.4 --cost 0
expect_status 2
expect_stderr "--cost: '0' is not a whole number of at least 1"
run "$GOLFOPS" limits violations --since 9d
expect_status 2
expect_stderr "--since: '9d' is out of range"
run "$GOLFOPS" limits bench --concurrency 0
expect_status 2
run "$GOLFOPS" limits rollback
expect_status 2
expect_stderr "REV: missing"
run "$GOLFOPS" limits create big_log --algorithm sliding_log --rate 20000/1m
expect_status 2
expect_stderr "--rate: 20000/1m with sliding_log (it keeps one entry per request: at most 10000"
run "$GOLFOPS" limits create fast_gcra --algorithm gcra --rate 2000000/1s
expect_status 2
expect_stderr "--rate: 2000000/1s with gcra (at most 1000000 per second"
run "$GOLFOPS" limits get big_log
expect_status 2
run env GOLFOPS_LIMITS_KEY_PREFIX='a{b' "$GOLFOPS" limits publish
expect_status 2
expect_stderr "limits.key_prefix: 'a{b' is not a key prefix"

test_case "an unchanged import publishes again when Redis has lost the rules (a restart without persistence)"
"$GOLFOPS" limits export >current.toml
enabled=$("$GOLFOPS" limits list -o json | jq '[.rules[] | select(.enabled)] | length')
rcli DEL 'golfops:rl:{rules}' 'golfops:rl:{rules}:meta' >/dev/null
run "$GOLFOPS" limits import current.toml -o json
expect_status 0
expect_json ".applied == false and .published.changed and .published.rules == $enabled"
[[ $(rcli HLEN 'golfops:rl:{rules}') == "$enabled" ]] || fail "the import did not publish the rules again"
run "$GOLFOPS" limits import current.toml -o json
expect_json '.applied == false and .published.changed == false'
run "$GOLFOPS" limits import current.toml --dry-run -o json
expect_json '.published == null'


test_case "Redis down: check exits 3; a change is saved but says it is not published"
stop_redis
run "$GOLFOPS" limits check --resource login --ip 1.2.3.4
expect_status 3
run "$GOLFOPS" limits stats --since 1h --metrics-file "$HARNESS_TMP/limits.prom"
expect_status 3
grep -q '^golfops_ratelimit_error{reason="connect"} 1$' limits.prom || fail "Redis down is not in the metrics: $(cat limits.prom)"
grep -q '^golfops_ratelimit_over' limits.prom && fail "old counts stayed in the metrics file"
run "$GOLFOPS" limits update login_burst --rate 4/1h
expect_status 3
expect_stderr "the change is saved in PostgreSQL but not published"
run "$GOLFOPS" limits get login_burst -o json
expect_json '.rate == "4/1h"'

finish
