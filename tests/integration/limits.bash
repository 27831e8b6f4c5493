#!/usr/bin/env bash
# `golfops limits`: rules in PostgreSQL (the project's migrations 0004 and
# 0005), every change audited with its actor, optimistic concurrency,
# declarative import/diff/export, and bad rules refused with nothing changed.
source "$(dirname "$0")/harness.bash"
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
printf '%s\n' "$REDIS_PASSWORD" >redis.password
export PGPASSWORD="$PG_PASSWORD"
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d limits -c "$1"; }
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
export GOLFOPS_ACTOR=alice
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d postgres -c "CREATE DATABASE limits"

test_case "before migration 0005 the command names the migration to apply"
run "$GOLFOPS" limits list
expect_status 2
expect_stderr "no golfops.rate_limit_rules table"
run "$GOLFOPS" migrate up --to 0004
expect_status 0
run "$GOLFOPS" limits list
expect_status 2
expect_stderr "predates migration 0005"
run "$GOLFOPS" migrate up
expect_status 0

test_case "create, get, list: the rule as given, audited with its actor"
run "$GOLFOPS" limits create login_ip --resource api_auth --rate 10/60s --algorithm sliding_window --description "logins per IP" -o json
expect_status 0
expect_json '.action == "created" and .rate == "10/1m" and .version == 1 and .created_by == "alice" and .scope == "ip"'
run "$GOLFOPS" limits create burst_api --scope api_key --rate 100/1m --algorithm gcra --burst 20 --priority 5 --shadow
expect_status 0
run "$GOLFOPS" limits list -o json
expect_json '[.rules[].name] == ["burst_api", "login_ip"]'
run "$GOLFOPS" limits list
expect_stdout "shadow"
expect_stdout "each ip on api_auth"
run "$GOLFOPS" limits list --resource api_auth -o json
expect_json '[.rules[].name] == ["login_ip"]'
run "$GOLFOPS" limits get login_ip -o json
expect_json '.description == "logins per IP" and .updated_by == "alice"'
[[ $(sql "select actor || ' ' || action from golfops.rate_limit_audit where after->>'name' = 'login_ip'") == "alice create" ]] || fail "no audit row naming alice"
run "$GOLFOPS" limits create login_ip --rate 1/1m
expect_status 4
expect_stderr "rule 'login_ip' exists"
run "$GOLFOPS" limits get login_iq
expect_status 2
expect_stderr "no rule 'login_iq'; did you mean 'login_ip'?"

test_case "update changes only the flags given; a stale --if-version changes nothing (exit 1)"
run env GOLFOPS_ACTOR=bob "$GOLFOPS" limits update login_ip --rate 20/60s --if-version 1 -o json
expect_status 0
expect_json '.action == "updated" and .version == 2 and .rate == "20/1m" and .algorithm == "sliding_window" and .updated_by == "bob"'
expect_json '.changes == ["rate '"'"'10/1m'"'"' -> '"'"'20/1m'"'"'"]'
run "$GOLFOPS" limits update login_ip --rate 30/60s --if-version 1
expect_status 1
expect_stderr "rule 'login_ip' is at version 2, not 1: someone changed it (last bob at"
[[ $(sql "select requests from golfops.rate_limit_rules where name = 'login_ip'") == 20 ]] || fail "a stale update changed the rule"
run "$GOLFOPS" limits update login_ip --rate 20/60s -o json
expect_json '.action == "unchanged" and .version == 2'
run "$GOLFOPS" limits enable login_ip --if-version 2 -o json
expect_json '.action == "unchanged" and .version == 2'
run "$GOLFOPS" limits disable login_ip --if-version 9
expect_status 1
expect_stderr "rule 'login_ip' is at version 2; there is no version 9 yet"

test_case "disable, enable and delete are audited as such; history shows who did what"
run "$GOLFOPS" limits disable login_ip -o json
expect_json '.action == "disabled" and .enabled == false'
run "$GOLFOPS" limits enable login_ip
expect_status 0
run "$GOLFOPS" limits delete burst_api
expect_status 4
expect_stderr "--yes"
run "$GOLFOPS" limits delete burst_api --yes -o json
expect_status 0
expect_json '.action == "deleted"'
run "$GOLFOPS" limits history login_ip -o json
expect_json '[.entries[] | .action] == ["enable", "disable", "update", "create"]'
expect_json '[.entries[] | .actor] == ["alice", "alice", "bob", "alice"]'
run "$GOLFOPS" limits history burst_api -o json
expect_json '[.entries[] | .action] == ["delete", "create"]'
run "$GOLFOPS" limits history login_ip
expect_stdout "rate '10/1m' -> '20/1m'"

test_case "GOLFOPS_ACTOR that could forge audit lines is refused"
run env GOLFOPS_ACTOR=$'mallory\n2026-01-01 admin create' "$GOLFOPS" limits update login_ip --priority 3
expect_status 2
expect_stderr "GOLFOPS_ACTOR: not an actor name"

test_case "bad rules: one line naming the field, exit 2, nothing changed"
before=$(sql "select count(*) || ':' || coalesce(max(revision), 0) from golfops.rate_limit_rules")
audits=$(sql "select count(*) from golfops.rate_limit_audit")
for bad in "--rate 0/60s" "--rate=-5/60s" "--rate 10/0s" "--scope planet" "--algorithm leaky" "--burst 3"; do
  read -r -a words <<<"$bad"
  run "$GOLFOPS" limits create new_rule --rate 10/60s "${words[@]}"
  expect_status 2
  expect_stderr_lines 1
  option=${words[0]%%=*}; expect_stderr "${option#--}"
done
run "$GOLFOPS" limits create "Bad Name" --rate 1/1m
expect_status 2
expect_stderr "NAME"
run "$GOLFOPS" limits create login_ip --rate 1/1m
expect_status 4
run "$GOLFOPS" limits create no_rate
expect_status 2
expect_stderr "--rate: missing"
run "$GOLFOPS" limits update login_ip --scope global --scope-value x
expect_status 2
expect_stderr "--scope-value: 'x' given with scope global"
[[ $(sql "select count(*) || ':' || coalesce(max(revision), 0) from golfops.rate_limit_rules") == "$before" ]] || fail "a refused rule changed the table"
[[ $(sql "select count(*) from golfops.rate_limit_audit") == "$audits" ]] || fail "a refused rule wrote an audit row"

test_case "diff, import and export: the default rule file, declaratively and losslessly"
defaults="$project/limits/default-rules.toml"
run "$GOLFOPS" limits diff "$defaults" -o json
expect_status 0
expect_json '([.changes[] | select(.action == "add")] | length) == 8 and .applied == false'
run "$GOLFOPS" limits diff "$defaults" --exit-code
expect_status 1
expect_stdout "+  api_general"
run "$GOLFOPS" limits import "$defaults" --dry-run
expect_status 0
[[ $(sql "select count(*) from golfops.rate_limit_rules") == 1 ]] || fail "--dry-run imported"
run "$GOLFOPS" limits import "$defaults" -o json
expect_status 0
expect_json '.applied == true'
[[ $(sql "select count(*) from golfops.rate_limit_rules") == 9 ]] || fail "import did not add the 8 rules"
run "$GOLFOPS" limits diff "$defaults" --exit-code
expect_status 0
expect_stdout "no changes: import would change nothing (8 unchanged, 1 only in the database (kept; --prune removes them))"
run "$GOLFOPS" limits export
expect_status 0
cp "$RUN_OUT" exported.toml
[[ $(grep -A1 -m1 '^\[\[rule\]\]' exported.toml | tail -1) == "name = 'auth'" ]] || fail "export does not start each rule with its name: $(head -5 exported.toml)"
run "$GOLFOPS" limits diff exported.toml --prune --exit-code
expect_status 0
# The round trip: export, wipe, import the export, export again: identical.
sql "delete from golfops.rate_limit_rules" >/dev/null
run "$GOLFOPS" limits import exported.toml
expect_status 0
run "$GOLFOPS" limits export
diff exported.toml "$RUN_OUT" >/dev/null || fail "export -> import -> export differs: $(diff exported.toml "$RUN_OUT")"
# A change and a prune, planned then applied in one transaction.
sed 's|rate = "100/1m"|rate = "50/1m"|' "$defaults" >changed.toml
run "$GOLFOPS" limits diff changed.toml --prune -o json
expect_json '[.changes[] | select(.action != "keep") | .action + " " + .name] == ["change api", "remove login_ip"]'
expect_json '[.changes[] | select(.name == "api") | .fields[]] == ["rate '"'"'100/1m'"'"' -> '"'"'50/1m'"'"'"]'
run "$GOLFOPS" limits import changed.toml --prune
expect_status 4
[[ $(sql "select count(*) from golfops.rate_limit_rules where name = 'login_ip'") == 1 ]] || fail "an unconfirmed prune removed a rule"
run "$GOLFOPS" limits import changed.toml --prune --yes
expect_status 0
[[ $(sql "select count(*) from golfops.rate_limit_rules") == 8 ]] || fail "prune left $(sql "select count(*) from golfops.rate_limit_rules") rules"
printf '[[rule]]\nname = "ok"\nrate = "1/1m"\n\n[[rule]]\nname = "broken"\nrate = "0/1m"\n' >broken.toml
run "$GOLFOPS" limits import broken.toml
expect_status 2
expect_stderr "broken.toml:5: rule 'broken': rate: '0/1m'"
[[ $(sql "select count(*) from golfops.rate_limit_rules where name = 'ok'") == 0 ]] || fail "a refused file imported some of its rules"

test_case "leaving gcra drops the burst; an ip rule's scope value must be an address"
run "$GOLFOPS" limits update api --algorithm sliding_window -o json
expect_status 0
expect_json '.algorithm == "sliding_window" and .burst == 0'
run "$GOLFOPS" limits create one_ip --scope-value "not an ip" --rate 1/1m
expect_status 2
expect_stderr "--scope-value: 'not an ip' is not an IP address"
run "$GOLFOPS" limits create one_ip --scope-value 2001:db8::1 --rate 1/1m -o json
expect_status 0
expect_json '.scope == "ip" and .scope_value == "2001:db8::1"'

test_case "a rule for one API key shows it shortened in tables"
run "$GOLFOPS" limits create one_key --scope api_key --scope-value sk_live_SECRETKEY1234567890 --rate 5/1m --no-publish
expect_status 0
run "$GOLFOPS" limits list
expect_stdout "api_key sk_l…"
grep -q SECRETKEY "$RUN_OUT" && fail "limits list showed the whole API key"

finish
