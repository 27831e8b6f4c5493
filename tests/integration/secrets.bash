#!/usr/bin/env bash
# A known password, given in the config file and the environment, appears in
# no output, log line or child process argv, whatever command runs.
source "$(dirname "$0")/harness.bash"
KNOWN=Sekr3t-Golfops-Known-Pa55
PG_PASSWORD=$KNOWN REDIS_PASSWORD=$KNOWN
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$KNOWN" >known.password
cat >golfops.toml <<TOML
[database]
url = "postgres://golfops:$KNOWN@127.0.0.1:$PG_PORT/golf"
[redis]
url = "redis://127.0.0.1:$REDIS_PORT/0"
password_file = "$HARNESS_TMP/known.password"
[env.other.redis]
url = "redis://:\${KNOWN_FROM_ENV}@127.0.0.1:$REDIS_PORT/0"
TOML
export PGPASSWORD=$KNOWN KNOWN_FROM_ENV=$KNOWN

# Every command, in every output and log format.
commands=(
  "version" "version -o json"
  "config show" "config show -o json" "config validate" "--env other config show"
  "health" "health -o json" "-v --log-format json health" "-v health"
  "--redis-url redis://:$KNOWN@127.0.0.1:1/0 health"
  "--database-url postgres://golfops:$KNOWN@127.0.0.1:1/golf health -o json"
  "completion bash" "dev status --state-dir $HARNESS_TMP/none"
  "migrate status --dir $HARNESS_TMP/migrations" "migrate plan --dir $HARNESS_TMP/migrations"
  "migrate up --dir $HARNESS_TMP/migrations" "-v migrate history" "migrate validate --dir $HARNESS_TMP/migrations"
  "migrate up --dir $HARNESS_TMP/broken-migrations"
  "--database-url postgres://golfops:$KNOWN@127.0.0.1:1/golf migrate status --dir $HARNESS_TMP/migrations"
)
mkdir -p "$HARNESS_TMP/migrations" "$HARNESS_TMP/broken-migrations"
printf 'create table secret_test (id int);\n' >"$HARNESS_TMP/migrations/0001_t.up.sql"
printf "select '%s' = 1;\n" "$KNOWN" >"$HARNESS_TMP/broken-migrations/0001_b.up.sql"
for command in "${commands[@]}"; do
  test_case "golfops $command" # the known password in this line is not golfops' output
  # shellcheck disable=SC2086
  run "$GOLFOPS" $command
  [[ "$RUN_STATUS" -le 3 ]] || fail "exit $RUN_STATUS"
  grep -qF "$KNOWN" "$RUN_OUT" "$RUN_ERR" && fail "the password appeared in the output"
done

test_case "a bad config value next to a secret"
printf '[database]\nurl = "postgres://golfops:%s@127.0.0.1:notaport/golf"\n' "$KNOWN" >bad.toml
run "$GOLFOPS" --config bad.toml config validate
expect_status 2
grep -qF "$KNOWN" "$RUN_OUT" "$RUN_ERR" && fail "the password appeared in the error"

test_case "children of dev up: no password in argv"
# Shims in front of initdb, pg_ctl and redis-server record their argv.
shims="$HARNESS_TMP/shims"
mkdir -p "$shims"
touch "$HARNESS_TMP/argv.log" && chmod 666 "$HARNESS_TMP/argv.log"
for program in initdb pg_ctl; do
  printf '#!/bin/sh\necho "%s $*" >>%s\nexec %s/%s "$@"\n' "$program" "$HARNESS_TMP/argv.log" "$PG_BIN" "$program" >"$shims/$program"
done
printf '#!/bin/sh\necho "redis-server $*" >>%s\nexec redis-server "$@"\n' "$HARNESS_TMP/argv.log" >"$shims/redis-server"
chmod 755 "$shims" "$shims"/*
state="$HARNESS_TMP/dev"
export GOLFOPS_DEV_POSTGRES_BIN_DIR="$shims" GOLFOPS_DEV_REDIS_SERVER="$shims/redis-server"
run "$GOLFOPS" -v dev up --state-dir "$state"
expect_status 0
for pid in $("$GOLFOPS" dev status --state-dir "$state" -o json | jq -r '.servers[].pid'); do record_pid "$pid"; done
grep -q "^initdb " "$HARNESS_TMP/argv.log" || fail "the initdb shim did not run"
grep -q "^redis-server " "$HARNESS_TMP/argv.log" || fail "the redis-server shim did not run"
for secret in "$(cat "$state/postgres.password")" "$(cat "$state/redis.password")"; do
  grep -qF "$secret" "$HARNESS_TMP/argv.log" && fail "a dev password was in a child's argv"
  grep -qF "$secret" "$RUN_OUT" "$RUN_ERR" && fail "a dev password was in dev up's output"
  # Nor in any running process's command line.
  for cmdline in /proc/[0-9]*/cmdline; do
    tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -qF "$secret" && fail "a dev password is in $cmdline"
  done
done
run "$GOLFOPS" dev down --state-dir "$state" --purge --yes
expect_status 0

test_case "nothing anywhere"
grep -qF "$KNOWN" "$HARNESS_TMP/all-output" && fail "the password appeared in some output"
finish
