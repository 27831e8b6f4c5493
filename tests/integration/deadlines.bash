#!/usr/bin/env bash
# Typed failure reasons in any locale, deadlines a stopped server cannot
# outlast, and SIGINT/SIGTERM ending commands cleanly with 130/143.
source "$(dirname "$0")/harness.bash"
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
chmod 600 pg.password
cat >golfops.toml <<TOML
[database]
url = "$DATABASE_URL_NOPASS"
password_file = "$HARNESS_TMP/pg.password"
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"
# sleeping_statements_are N: the number of backends running the test's pg_sleep(60).
sleeping_statements_are() {
  [[ $(psql_golf -c "select count(*) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()") == "$1" ]]
}
psql_golf() { PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -qtAX -h 127.0.0.1 -p "$PG_PORT" -U golfops -d golf "$@"; }

# reason_of LANG URL...: the reason health reports for a database URL.
reason_of() {
  local lang=$1 url=$2
  LANG=$lang LC_ALL=$lang "$GOLFOPS" health --timeout 3s --database-url "$url" -o json 2>/dev/null |
    jq -r '.checks[] | select(.name == "postgres") | .reason' || true
}

test_case "failure reasons are typed, the same under LANG=de_DE.UTF-8 and a German server"
grep -qi '^de_DE.utf8$' <<<"$(locale -a)" || fail "de_DE.UTF-8 is not generated (scripts/install-deps.sh does it)"
# The server's refusals arrive in its lc_messages: make them German.
psql_golf -c "alter system set lc_messages = 'de_DE.UTF-8'" -c "select pg_reload_conf()" >/dev/null
closed_port=$(free_port)
declare -A cases=(
  [auth]="postgres://golfops:wrong-password@127.0.0.1:$PG_PORT/golf"
  [refused]="postgres://golfops:$PG_PASSWORD@127.0.0.1:$PG_PORT/no_such_database"
  [dns]="postgres://golfops@no-such-host.invalid:5432/golf"
  [connect]="postgres://golfops@127.0.0.1:$closed_port/golf"
)
for expected in "${!cases[@]}"; do
  for lang in C.UTF-8 de_DE.UTF-8; do
    got=$(reason_of "$lang" "${cases[$expected]}")
    [[ "$got" == "$expected" ]] || fail "LANG=$lang: expected reason $expected, got '$got'"
  done
done
# The server really answers in German; golfops' reasons do not change.
run env LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 "$GOLFOPS" health --database-url "${cases[auth]}"
expect_stdout "FAIL auth"
expect_stdout "Passwort"
# Which user, and where the password came from: what the operator must fix.
expect_stdout "(user golfops, password from the URL given by --database-url)"
run "$GOLFOPS" health --database-url "${cases[auth]}"
expect_status 1 # credentials refused: not an outage (3)
grep -q "wrong-password" "$RUN_OUT" "$RUN_ERR" && fail "password shown"
psql_golf -c "alter system reset lc_messages" -c "select pg_reload_conf()" >/dev/null

test_case "a PostgreSQL that stops answering cannot outlast health --timeout 1s"
postmaster=$(head -1 "$HARNESS_PGDATA/postmaster.pid")
kill -STOP "$postmaster"
run timeout 20 "$GOLFOPS" health --timeout 1s -o json
kill -CONT "$postmaster"
expect_status 3
expect_json '.checks[0].reason == "timeout"'
# libpq's own connect_timeout rounds 1 s up to 2 s; the deadline is golfops' own.
expect_json '.checks[0].latency_ms < 1900'

test_case "--nagios: every golfops error is UNKNOWN, exit 3"
run "$GOLFOPS" health --nagios --timeout soon
expect_status 3
expect_stdout "GOLFOPS HEALTH UNKNOWN - --timeout"
run "$GOLFOPS" health --nagios --no-such-flag
expect_status 3
expect_stdout "GOLFOPS HEALTH UNKNOWN"
run "$GOLFOPS" health --nagios --tcp 127.0.0.1:99999
expect_status 3
expect_stdout "UNKNOWN - --tcp: invalid address"

test_case "SIGINT during migrate up: exit 130, the statement cancelled on the server, the partial result shown"
mkdir -p slow
printf 'create table first_step (id int);\n' >slow/0001_first.up.sql
printf 'create table second_step (id int);\nselect pg_sleep(60);\n' >slow/0002_slow.up.sql
"$GOLFOPS" migrate up --dir slow >migrate.out 2>migrate.err &
migrate_pid=$!
wait_for --pid "$migrate_pid" "0002's statement running on the server" sleeping_statements_are 1
signal_and_wait INT "$migrate_pid" 130
grep -q "interrupted (SIGINT) while applying 0002_slow" migrate.err || fail "no interruption message: $(cat migrate.err)"
grep -q "nothing from it persists" migrate.err || fail "does not say what persists"
sleeping_statements_are 0 || fail "the statement still runs on the server"
[[ $(psql_golf -c "select to_regclass('second_step') is null and to_regclass('first_step') is not null") == t ]] ||
  fail "0001 should be applied and 0002 rolled back"
run "$GOLFOPS" migrate status --dir slow -o json
expect_json '[.migrations[] | .state] == ["applied", "pending"]'

test_case "SIGTERM ends health wait with 143"
"$GOLFOPS" --progress health wait --tcp "127.0.0.1:$closed_port" --timeout 60s >wait.out 2>wait.err &
wait_pid=$!
# --progress writes "waiting for ..." once the first poll failed: golfops is in its loop.
wait_for --pid "$wait_pid" "the first failed poll" grep -q "waiting for" wait.err
signal_and_wait TERM "$wait_pid" 143
grep -q "terminated (SIGTERM)" wait.err || fail "no message: $(cat wait.err)"

finish
