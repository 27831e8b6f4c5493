#!/usr/bin/env bash
# `golfops health` against real PostgreSQL and Redis: pass, fail, unreachable.
source "$(dirname "$0")/harness.bash"
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
silent_port=$(free_port)
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent_port)); s.listen(16); time.sleep(60)" &
record_pid $!
sleep 0.3
# timeout(1) only guards against a hang; the test asserts the exit code.
run timeout 30 env -u GOLFOPS_CONFIG GOLFOPS_DATABASE_CONNECT_TIMEOUT=2s GOLFOPS_REDIS_CONNECT_TIMEOUT=1s \
  GOLFOPS_REDIS_COMMAND_TIMEOUT=1s DATABASE_URL="postgres://golfops:x-secret@127.0.0.1:$silent_port/golf" \
  REDIS_URL="redis://127.0.0.1:$silent_port/0" "$GOLFOPS" health -o json
expect_status 3
expect_json '(.checks[] | select(.name == "postgres") | .reason) == "timeout"'
expect_json '(.checks[] | select(.name == "redis") | .reason) == "timeout"'

finish
