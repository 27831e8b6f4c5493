#!/usr/bin/env bash
# `golfops health` against real PostgreSQL and Redis: pass, fail, unreachable.
source "$(dirname "$0")/harness.bash"
suite_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
printf '%s\n' "$REDIS_PASSWORD" >redis.password
chmod 600 pg.password redis.password
cat >golfops.toml <<TOML
[database]
url = "$DATABASE_URL_NOPASS"
password_file = "$HARNESS_TMP/pg.password"
connect_timeout = "2s"
[redis]
url = "redis://127.0.0.1:$REDIS_PORT/0"
password_file = "$HARNESS_TMP/redis.password"
connect_timeout = "2s"
command_timeout = "2s"
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"

test_case "both pass"
run "$GOLFOPS" health
expect_status 0
expect_stdout "2/2 checks passed"
expect_stdout "PostgreSQL 15"
run "$GOLFOPS" health -o json
expect_status 0
expect_json '.status == "pass" and (.checks | length) == 2 and all(.checks[]; .status == "pass" and .latency_ms > 0 and .reason == null)'

test_case "the probe identifies itself to PostgreSQL as application_name=golfops"
: >"$PG_LOG"
run "$GOLFOPS" health -o json
grep -q '^\[golfops\].*statement: SELECT 1' "$PG_LOG" || fail "no [golfops] SELECT 1 in the server log"

test_case "wrong database password is a failed check, not a leak"
printf 'wrong-password-987\n' >bad.password
run env GOLFOPS_DATABASE_PASSWORD_FILE="$HARNESS_TMP/bad.password" "$GOLFOPS" health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "postgres") | .status) == "fail"'
expect_json '(.checks[] | select(.name == "redis") | .status) == "pass"'
grep -q "wrong-password-987" "$RUN_OUT" "$RUN_ERR" && fail "password echoed"

test_case "DATABASE_URL and REDIS_URL with inline passwords"
run env -u GOLFOPS_CONFIG DATABASE_URL="postgres://golfops:$PG_PASSWORD@127.0.0.1:$PG_PORT/golf" \
  REDIS_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0" "$GOLFOPS" health -o json
expect_status 0
grep -q "$PG_PASSWORD\|$REDIS_PASSWORD" "$RUN_OUT" "$RUN_ERR" && fail "password echoed"

test_case "Redis ACL user and database index"
run env -u GOLFOPS_CONFIG REDIS_URL="redis://app:app-$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/3" "$GOLFOPS" health
expect_status 0

test_case "postgres query with an expected result; redis memory against maxmemory"
REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$REDIS_PORT" config set maxmemory 1000000 >/dev/null
cat golfops.toml - >checks.toml <<TOML
[[health.check]]
name = "games_table"
type = "postgres"
query = "select count(*) from pg_database where datname = 'golf'"
expect = "1"
[[health.check]]
name = "wrong_answer"
type = "postgres"
query = "select 'b'"
expect = "a"
[[health.check]]
name = "memory"
type = "redis"
max_memory_percent = 1
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "games_table") | .status) == "pass"'
expect_json '(.checks[] | select(.name == "wrong_answer") | .message) == "select '"'"'b'"'"': expected '"'"'a'"'"', got '"'"'b'"'"'"'
expect_json '(.checks[] | select(.name == "memory") | .message) | contains("of maxmemory")'
REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$REDIS_PORT" config set maxmemory 0 >/dev/null

test_case "a streaming replica: role and replay lag"
replica="$HARNESS_TMP/postgres/replica"
as_server env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U golfops \
  -D "$replica" -R -X stream --checkpoint=fast >/dev/null 2>&1 || fail "pg_basebackup failed"
# The copy includes harness.conf; start_cluster rewrites it with the replica's port.
start_cluster "$replica" "$replica.log"
replica_port=$CLUSTER_PORT
record_pid "$(head -1 "$replica/postmaster.pid")"
cat golfops.toml - >checks.toml <<TOML
[[health.check]]
name = "replica"
type = "postgres"
url = "postgres://golfops:$PG_PASSWORD@127.0.0.1:$replica_port/golf"
max_replication_lag = "1h"
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 0
expect_json '(.checks[0].message | contains("replica, replay lag"))'
as_server "$PG_BIN/pg_ctl" -D "$replica" -m fast -w stop >/dev/null

test_case "--watch redraws on a terminal"
script -qec "$GOLFOPS health --watch --interval 300ms" /dev/null >watch.out 2>/dev/null </dev/null &
watcher=$!
redraws() { [[ $(grep -o $'\033\[H\033\[2J' watch.out | wc -l) -ge "$1" ]]; }
wait_for "two redraws" redraws 2 || fail "no redraws: $(cat -v watch.out | head -5)"
kill "$watcher"
wait "$watcher" || true

test_case "Redis down: check fails with reason connect, exit 1"
stop_redis
run "$GOLFOPS" health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "redis") | .reason) == "connect"'
expect_json '.status == "fail"'

test_case "everything down: exit 3, naming host:port and not the password"
stop_postgres
run "$GOLFOPS" health
expect_status 3
expect_stdout "127.0.0.1:$PG_PORT"
expect_stdout "127.0.0.1:$REDIS_PORT"
grep -q "$PG_PASSWORD\|$REDIS_PASSWORD" "$RUN_OUT" "$RUN_ERR" && fail "password echoed"

test_case "a server that accepts but never answers: exit 3 at the connect timeout"
# A listener whose backlog is never accepted: TCP connects, nothing is said.
start_listener backlog
silent_port=$LISTENER_PORT
# timeout(1) only guards against a hang; the test asserts the exit code.
run timeout 30 env -u GOLFOPS_CONFIG GOLFOPS_DATABASE_CONNECT_TIMEOUT=2s GOLFOPS_REDIS_CONNECT_TIMEOUT=1s \
  GOLFOPS_REDIS_COMMAND_TIMEOUT=1s DATABASE_URL="postgres://golfops:x-secret@127.0.0.1:$silent_port/golf" \
  REDIS_URL="redis://127.0.0.1:$silent_port/0" "$GOLFOPS" health -o json
expect_status 3
expect_json '(.checks[] | select(.name == "postgres") | .reason) == "timeout"'
expect_json '(.checks[] | select(.name == "redis") | .reason) == "timeout"'

test_case "[[health.check]]: http conditions on body, headers and status"
start_nginx
# It binds a port the kernel picks and writes it to slow.port: no port to collide on.
/usr/bin/python3 "$suite_dir/health_server.py" 0 "$HARNESS_TMP/slow.port" &
record_pid $!
wait_for "the slow server's port" test -s "$HARNESS_TMP/slow.port"
slow_port=$(cat "$HARNESS_TMP/slow.port")
wait_for "the slow server" curl -sf -m 2 "http://127.0.0.1:$slow_port/max"
checks() { # writes a config holding the checks given on stdin
  { cat "$HARNESS_TMP/golfops.base.toml"; cat; } >"$HARNESS_TMP/checks.toml"
}
cp golfops.toml golfops.base.toml
checks <<TOML
[[health.check]]
name = "api"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/health"
conditions = ['\$.status == "ok"', '\$.db.latency_ms < 100', 'header.x-service == golf', 'header.content-type contains json']
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 0
expect_json '.checks[0].name == "api" and .checks[0].status == "pass"'

test_case "failing conditions name what was expected and what was seen"
checks <<TOML
[[health.check]]
name = "body"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/health"
conditions = ['\$.status == "degraded"']
[[health.check]]
name = "header"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/health"
conditions = ['header.x-service == cards']
[[health.check]]
name = "ready"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/ready"
[[health.check]]
name = "moved"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/moved"
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "body") | .reason) == "body"'
expect_json '(.checks[] | select(.name == "body") | .message) == "expected $.status == \"degraded\", got '"'"'ok'"'"'"'
expect_json '(.checks[] | select(.name == "header") | .reason) == "header"'
expect_json '(.checks[] | select(.name == "ready") | .message) == "expected status 200, got 503"'
expect_json '(.checks[] | select(.name == "moved") | .reason) == "status"'

test_case "a slow endpoint: latency bound and timeout"
checks <<TOML
[[health.check]]
name = "latency"
type = "http"
url = "http://127.0.0.1:$slow_port/slow?ms=300"
max_latency = "100ms"
[[health.check]]
name = "timeout"
type = "http"
url = "http://127.0.0.1:$slow_port/slow?ms=3000"
timeout = "300ms"
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "latency") | .reason) == "latency"'
expect_json '(.checks[] | select(.name == "timeout") | .reason) == "timeout"'

test_case "checks run in parallel: the server sees all three in flight at once"
# Let requests left over from the timeout case finish first.
idle() { [[ $(curl -s -m 2 "http://127.0.0.1:$slow_port/max" | jq .in_flight) == 0 ]]; }
wait_for "the slow server to be idle" idle
curl -s "http://127.0.0.1:$slow_port/reset" >/dev/null
run "$GOLFOPS" health --http "http://127.0.0.1:$slow_port/slow?ms=700" \
  --http "http://127.0.0.1:$slow_port/slow?ms=700" --http "http://127.0.0.1:$slow_port/slow?ms=700"
expect_status 0
[[ $(curl -s "http://127.0.0.1:$slow_port/max" | jq .max) == 3 ]] || fail "max in flight was $(curl -s "http://127.0.0.1:$slow_port/max")"

test_case "TLS: a certificate that expires soon, one that expired, one nobody trusts"
start_tls_nginx
tls=$TLS_DIR
tls_port=$TLS_PORT
expired_port=$EXPIRED_TLS_PORT
checks <<TOML
[[health.check]]
name = "fine"
type = "http"
url = "https://localhost:$tls_port/"
ca_file = "$tls/ca.crt"
min_certificate_days = 1
[[health.check]]
name = "expiring"
type = "http"
url = "https://localhost:$tls_port/"
ca_file = "$tls/ca.crt"
min_certificate_days = 30
[[health.check]]
name = "untrusted"
type = "http"
url = "https://localhost:$tls_port/"
[[health.check]]
name = "expired"
type = "http"
url = "https://localhost:$expired_port/"
ca_file = "$tls/ca.crt"
TOML
run "$GOLFOPS" --config checks.toml health -o json
expect_status 1
expect_json '(.checks[] | select(.name == "fine") | .status) == "pass"'
expect_json '(.checks[] | select(.name == "expiring") | .reason) == "certificate"'
expect_json '(.checks[] | select(.name == "untrusted") | .reason) == "tls"'
expect_json '(.checks[] | select(.name == "expired") | .reason) == "tls"'
expect_json '(.checks[] | select(.name == "expired") | .message) | contains("expired")'

test_case "warnings alone exit 0 and say so; disk and tcp checks"
checks <<TOML
[[health.check]]
type = "disk"
path = "/"
min_free = "100%"
severity = "warning"
[[health.check]]
type = "tcp"
address = "127.0.0.1:$HTTP_PORT"
TOML
run "$GOLFOPS" --config checks.toml health
expect_status 0
expect_stdout "WARN space"
expect_stdout "warning(s) only: not a failure"
run "$GOLFOPS" --config checks.toml health -o health+json
expect_status 0
expect_json '.status == "warn" and (.checks["disk:responseTime"][0].status) == "warn"'

test_case "every output format parses"
run "$GOLFOPS" --config checks.toml health -o prometheus
expect_status 0
/usr/bin/python3 - "$RUN_OUT" <<'PY' || fail "prometheus text format"
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.eE+-]+$')
lines = open(sys.argv[1]).read().splitlines()
assert any(l.startswith("golfops_health_up{") for l in lines)
for line in lines:
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    assert sample.match(line), line
PY
run "$GOLFOPS" --config checks.toml health --nagios
expect_status 1
grep -Eq "^GOLFOPS HEALTH WARNING - 1/2 checks passed: disk space \\| 'disk'=[0-9.]+s;;;0 'disk_disk_free_bytes'=[0-9]+B;;;; 'disk_disk_free_ratio'=[0-9.e-]+;[0-9.e-]+;;; 'tcp'=[0-9.]+s;;;0$" "$RUN_OUT" || fail "nagios line: $(cat "$RUN_OUT")"
run "$GOLFOPS" health --nagios --tcp 127.0.0.1:1
expect_status 2
expect_stdout "GOLFOPS HEALTH CRITICAL"
run "$GOLFOPS" health --nagios --tcp nonsense
expect_status 3
expect_stdout "GOLFOPS HEALTH UNKNOWN"
run "$GOLFOPS" version -o prometheus
expect_status 2

test_case "bad checks are config errors naming the element"
checks <<TOML
[[health.check]]
type = "http"
conditions = ['\$.status ~= "ok"']
url = "http://127.0.0.1:$HTTP_PORT/health"
TOML
run "$GOLFOPS" --config checks.toml health
expect_status 2
expect_stderr "health.check[1].conditions: invalid condition"
run "$GOLFOPS" health --http "ftp://u:url-pw-9@127.0.0.1/x"
expect_status 2
expect_stderr "--http: invalid URL 'ftp://u:******@127.0.0.1/x' (expected http:// or https://)"

test_case "health wait: succeeds when the server comes up mid-wait, fails at the timeout"
# The port is held, refusing connections, until the first attempt has failed.
start_listener late
"$GOLFOPS" --progress health wait --tcp "127.0.0.1:$LISTENER_PORT" --timeout 20s --interval 200ms \
  -o json >"$RUN_OUT" 2>"$RUN_ERR" &
waiter=$!
wait_for "a failed first attempt" grep -q "waiting for" "$RUN_ERR"
listen_now
set +e
wait "$waiter"
RUN_STATUS=$?
set -e
expect_status 0
expect_json '.ready == true and .attempts > 1'
run "$GOLFOPS" health wait --tcp 127.0.0.1:1 --timeout 1s --interval 200ms
expect_status 1
expect_stderr "tcp: connect:"

test_case "ad hoc HTTP checks state method, headers, body, status and conditions, as curl + jq"
run "$GOLFOPS" health --http "http://127.0.0.1:$HTTP_PORT/ready" --expect-status 503 \
  --condition '$.status == "starting"' --header 'Authorization: Bearer adhoc-token-123' -o json
expect_status 0
grep -q "adhoc-token-123" "$RUN_OUT" "$RUN_ERR" && fail "header secret shown"
run "$GOLFOPS" health --http "http://127.0.0.1:$HTTP_PORT/health" --method HEAD \
  --condition 'header.x-service == golf'
expect_status 0
run "$GOLFOPS" health --http "http://127.0.0.1:$HTTP_PORT/health" --condition '$.status == "down"'
expect_status 1
expect_stdout "FAIL body"
run "$GOLFOPS" health --condition '$.status == "ok"'
expect_status 2
expect_stderr "--condition: applies to --http checks"
run "$GOLFOPS" health --http "http://127.0.0.1:$HTTP_PORT/health" --header 'no colon'
expect_status 2
expect_stderr "--header"

test_case "-o prometheus carries the measured values; Nagios perfdata their thresholds"
mkdir -p textfile
cat >measure.toml <<TOML
[[health.check]]
name = "api"
type = "http"
url = "http://127.0.0.1:$HTTP_PORT/ready"
status = 503
[[health.check]]
name = "root"
type = "disk"
path = "/"
min_free = "1%"
severity = "warning"
TOML
run "$GOLFOPS" --config measure.toml health -o prometheus
expect_status 0
expect_stdout 'golfops_health_http_status{check="api",type="http"} 503'
expect_stdout 'golfops_health_disk_free_bytes{check="root",type="disk"}'
expect_stdout 'golfops_health_disk_free_ratio{check="root",type="disk"}'
run "$GOLFOPS" --config measure.toml health --nagios
expect_status 0
grep -qE "'root_disk_free_ratio'=[0-9.e-]+;0\.01;;;" "$RUN_OUT" || fail "no perfdata with threshold: $(cat "$RUN_OUT")"

test_case "--metrics-file is written atomically, and says when golfops itself failed"
run "$GOLFOPS" --config measure.toml health --metrics-file textfile/golfops.prom
expect_status 0
grep -q 'golfops_health_http_status{check="api",type="http"} 503' textfile/golfops.prom || fail "no metrics"
grep -qx 'golfops_health_error 0' textfile/golfops.prom || fail "no error gauge"
[[ $(ls -A textfile | wc -l) == 1 ]] || fail "a temporary file was left: $(ls -A textfile)"
printf '[[health.check]]\ntype = "smtp"\n' >broken.toml
run "$GOLFOPS" --config broken.toml health --metrics-file textfile/golfops.prom
expect_status 2
grep -qx 'golfops_health_error{reason="usage"} 1' textfile/golfops.prom || fail "failure not recorded: $(cat textfile/golfops.prom)"
run "$GOLFOPS" health --metrics-file /no/such/dir/golfops.prom --http "http://127.0.0.1:$HTTP_PORT/health"
expect_status 2
expect_stderr "--metrics-file"

test_case "timing flags that cannot hurt: no spinning interval, no ambiguous --timeout"
run "$GOLFOPS" health wait --interval 0 --http "http://127.0.0.1:$HTTP_PORT/health"
expect_status 2
expect_stderr "--interval: '0' would poll without pause"
run "$GOLFOPS" health --watch --interval 0s --http "http://127.0.0.1:$HTTP_PORT/health"
expect_status 2
run "$GOLFOPS" health --timeout 5s wait --http "http://127.0.0.1:$HTTP_PORT/health"
expect_status 2
expect_stderr "ambiguous"
run "$GOLFOPS" health --tcp 127.0.0.1:65536
expect_status 2
expect_stderr "--tcp: invalid address '127.0.0.1:65536'"

finish
