#!/usr/bin/env bash
# `golfops dev up|status|down`: a throwaway PostgreSQL + Redis, used by golfops itself.
source "$(dirname "$0")/harness.bash"
state="$HARNESS_TMP/dev"
cd "$HARNESS_TMP"

# Whatever an assertion below leaves running, `dev down` stops at the end.
dev_state() {
  on_cleanup "$GOLFOPS" dev down --state-dir "$1"
}
dev_state "$state"

# The processes working in directory $1 or below it (servers chdir to their data).
processes_in() {
  local link cwd pids=()
  for link in /proc/[0-9]*/cwd; do
    cwd=$(readlink "$link" 2>/dev/null) || continue
    [[ "$cwd" == "$1" || "$cwd" == "$1/"* ]] && pids+=("${link//[^0-9]/}")
  done
  echo "${pids[*]}"
}

test_case "dev up starts both servers and writes a config"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
expect_json '.action == "up" and .already == false and all(.servers[]; .running)'
[[ -f "$state/golfops.toml" ]] || fail "no golfops.toml"
[[ $(stat -c %a "$state/golfops.toml") == 600 ]] || fail "config is not 0600"
[[ $(stat -c %a "$state/postgres.password") == 600 ]] || fail "password file is not 0600"
export GOLFOPS_CONFIG="$state/golfops.toml"

test_case "health passes against the dev servers"
run "$GOLFOPS" health -o json
expect_status 0
expect_json '.status == "pass"'

test_case "config show redacts and names the file as the source"
run "$GOLFOPS" config show -o json
expect_status 0
expect_json '(.values[] | select(.key == "database.url") | .source) == "file"'
grep -q "$(cat "$state/postgres.password")" "$RUN_OUT" && fail "password shown"

test_case "dev up again is idempotent"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
expect_json '.already == true'

test_case "status and down"
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 0
expect_stdout "running"
run "$GOLFOPS" dev down --state-dir "$state" -o json
expect_status 0
expect_json 'all(.servers[]; .running == false) and .already == false'
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 1
run "$GOLFOPS" health
expect_status 3
[[ -z "$(processes_in "$state")" ]] || fail "processes still run in $state: $(processes_in "$state")"

test_case "down leaves alone a process that took a stopped server's pid"
# A crash or reboot leaves pid files behind, and the kernel hands their pids
# to other processes: such a process must not be signalled.
sleep 300 &
stranger=$!
record_pid "$stranger"
printf '%s\n' "$stranger" >"$state/redis/redis.pid"
printf '%s\n%s\n' "$stranger" "$state/postgres/data" >"$state/postgres/data/postmaster.pid"
chown "$SERVER_USER" "$state/redis/redis.pid" "$state/postgres/data/postmaster.pid"
run "$GOLFOPS" dev status --state-dir "$state" -o json
expect_status 1
expect_json 'all(.servers[]; .running == false)'
run "$GOLFOPS" dev down --state-dir "$state" -o json
expect_status 0
expect_json '.already == true'
kill -0 "$stranger" 2>/dev/null || fail "dev down killed an unrelated process (pid $stranger)"

test_case "up after down restarts the same servers with their data, past stale pid files"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
expect_json 'all(.servers[]; .running)'
run "$GOLFOPS" health
expect_status 0
kill -0 "$stranger" 2>/dev/null || fail "dev up killed an unrelated process (pid $stranger)"
kill "$stranger"

test_case "down reports a server it could not stop, with exit 1"
# A pg_ctl that fails to stop; Redis is still stopped, and PostgreSQL keeps running.
shims="$HARNESS_TMP/failing-bin"
mkdir -p "$shims"
cp -s "$PG_BIN"/* "$shims/"
rm "$shims/pg_ctl"
printf '#!/bin/sh\nfor arg; do [ "$arg" = stop ] && { echo "pg_ctl: could not send stop signal" >&2; exit 1; }; done\nexec %s/pg_ctl "$@"\n' \
  "$PG_BIN" >"$shims/pg_ctl"
chmod 755 "$shims/pg_ctl"
run env GOLFOPS_DEV_POSTGRES_BIN_DIR="$shims" "$GOLFOPS" dev down --state-dir "$state"
expect_status 1
expect_stderr "dev down: could not stop PostgreSQL: pg_ctl stop failed (exit 1): pg_ctl: could not send stop signal"
expect_stderr_lines 1
run "$GOLFOPS" dev status --state-dir "$state" -o json
expect_json '(.servers[] | select(.name == "postgres") | .running) == true'
expect_json '(.servers[] | select(.name == "redis") | .running) == false'

test_case "down --purge without a terminal needs --yes: exit 4, nothing stopped or deleted"
run "$GOLFOPS" dev up --state-dir "$state"
expect_status 0
run "$GOLFOPS" dev down --state-dir "$state" --purge
expect_status 4
expect_stderr "pass --yes to confirm (stdin is not a terminal)"
expect_stderr_lines 1
[[ -f "$state/dev.json" && -d "$state/postgres/data" ]] || fail "--purge deleted without --yes"
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 0

test_case "down --purge on a terminal asks; no changes nothing"
tty_answer n "Continue? [y/N]" "$(printf '%q ' "$GOLFOPS" dev down --state-dir "$state" --purge)"
expect_status 4
grep -qF "dev down --purge deletes $state and the databases in it. Continue? [y/N]" "$TTY_OUT" ||
  fail "no prompt naming the directory: $(cat -v "$TTY_OUT")"
grep -q "not confirmed, nothing was changed" "$TTY_OUT" || fail "a no was not refused: $(cat -v "$TTY_OUT")"
[[ -f "$state/dev.json" ]] || fail "deleted after no"
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 0

test_case "down --purge --yes removes the state directory"
unset GOLFOPS_CONFIG
run "$GOLFOPS" dev down --state-dir "$state" --purge --yes
expect_status 0
[[ ! -e "$state" ]] || fail "state dir still exists: $(ls -A "$state")"
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 1
expect_stdout "no dev environment"

test_case "a state directory with spaces, quotes, \$(...) and backticks: it works and nothing runs"
odd="$HARNESS_TMP/dev dir 'q' \"dq\" \$(touch $HARNESS_TMP/pwned) \`touch $HARNESS_TMP/pwned2\`"
dev_state "$odd"
run "$GOLFOPS" dev up --state-dir "$odd" -o json
expect_status 0
expect_json 'all(.servers[]; .running)'
run env GOLFOPS_CONFIG="$odd/golfops.toml" "$GOLFOPS" health -o json
expect_status 0
expect_json '.status == "pass"'
# The generated TOML holds the path exactly.
run env GOLFOPS_CONFIG="$odd/golfops.toml" "$GOLFOPS" config show -o json
jq -e --arg path "$odd/redis.password" '(.values[] | select(.key == "redis.password_file") | .value) == $path' \
  "$RUN_OUT" >/dev/null || fail "redis.password_file is not the path"
run "$GOLFOPS" dev status --state-dir "$odd"
expect_status 0
# The line to copy is one shell word: a shell sets the variable to the path.
line=$(grep '^export GOLFOPS_CONFIG=' "$RUN_OUT")
[[ "$(bash -c "$line; printf %s \"\$GOLFOPS_CONFIG\"")" == "$odd/golfops.toml" ]] || fail "not one shell word: $line"
run "$GOLFOPS" dev down --state-dir "$odd" --purge --yes
expect_status 0
[[ ! -e "$odd" ]] || fail "state dir still exists"
[[ ! -e "$HARNESS_TMP/pwned" && ! -e "$HARNESS_TMP/pwned2" && ! -e /pwned && ! -e /pwned2 ]] ||
  fail "a shell ran part of the state directory's name"

test_case "a dev up that fails halfway stops what it started and names the step"
broken="$HARNESS_TMP/broken"
dev_state "$broken"
printf '#!/bin/sh\necho "redis-server: cannot start" >&2\nexit 1\n' >"$HARNESS_TMP/failing-redis"
chmod 755 "$HARNESS_TMP/failing-redis"
run env GOLFOPS_DEV_REDIS_SERVER="$HARNESS_TMP/failing-redis" "$GOLFOPS" dev up --state-dir "$broken"
expect_status 1
expect_stderr "dev up: redis-server failed (exit 1): redis-server: cannot start; stopped PostgreSQL"
expect_stderr_lines 1
[[ -z "$(processes_in "$broken")" ]] || fail "left running: $(processes_in "$broken")"
# Nothing half-made blocks the next try.
run "$GOLFOPS" dev up --state-dir "$broken" -o json
expect_status 0
expect_json 'all(.servers[]; .running)'
run "$GOLFOPS" dev down --state-dir "$broken" --purge --yes
expect_status 0

finish
