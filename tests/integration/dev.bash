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

test_case "up after down restarts the same servers with their data"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
expect_json 'all(.servers[]; .running)'
run "$GOLFOPS" health
expect_status 0

test_case "down --purge removes the state directory"
unset GOLFOPS_CONFIG
run "$GOLFOPS" dev down --state-dir "$state" --purge
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
run "$GOLFOPS" dev down --state-dir "$odd" --purge
expect_status 0
[[ ! -e "$odd" ]] || fail "state dir still exists"
[[ ! -e "$HARNESS_TMP/pwned" && ! -e "$HARNESS_TMP/pwned2" && ! -e /pwned && ! -e /pwned2 ]] ||
  fail "a shell ran part of the state directory's name"

finish
