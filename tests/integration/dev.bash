#!/usr/bin/env bash
# `golfops dev up|status|down`: a throwaway PostgreSQL + Redis, used by golfops itself.
source "$(dirname "$0")/harness.bash"
state="$HARNESS_TMP/dev"
cd "$HARNESS_TMP"

track_dev_pids() {
  # Let the harness stop them if an assertion below fails.
  local pid
  for pid in $("$GOLFOPS" dev status --state-dir "$state" -o json | jq -r '.servers[].pid'); do
    [[ "$pid" -gt 0 ]] && record_pid "$pid"
  done
}

test_case "dev up starts both servers and writes a config"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
track_dev_pids
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
expect_json 'all(.servers[]; .running == false)'
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 1
run "$GOLFOPS" health
expect_status 3

test_case "up after down restarts the same servers with their data"
run "$GOLFOPS" dev up --state-dir "$state" -o json
expect_status 0
track_dev_pids
expect_json 'all(.servers[]; .running)'
run "$GOLFOPS" health
expect_status 0

test_case "down --purge removes the state directory"
unset GOLFOPS_CONFIG
run "$GOLFOPS" dev down --state-dir "$state" --purge
expect_status 0
[[ ! -e "$state" ]] || fail "state dir still exists"
run "$GOLFOPS" dev status --state-dir "$state"
expect_status 1
expect_stdout "no dev environment"

finish
