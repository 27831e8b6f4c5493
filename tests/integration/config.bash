#!/usr/bin/env bash
# What `config validate` promises (after it passes, no command rejects the
# file, whichever profile), secrets redacted by what they are, a command
# reading only the secrets it uses, --quiet, and one JSON record per error.
source "$(dirname "$0")/harness.bash"
start_postgres
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
chmod 600 pg.password
export API_TOKEN=tok-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')

test_case "validate checks every profile and every health check as health would"
cat >bad-profile.toml <<TOML
[database]
url = "$DATABASE_URL_NOPASS"
password_file = "$HARNESS_TMP/pg.password"
[[health.check]]
type = "http"
url = "http://127.0.0.1:1/health"
[env.staging]
[[env.staging.health.check]]
type = "http"
url = "http://127.0.0.1:1/health"
conditions = ['\$.status = "ok"']
[[env.staging.health.check]]
type = "tcp"
address = "127.0.0.1:70000"
TOML
run "$GOLFOPS" --config bad-profile.toml config validate
expect_status 2
expect_stderr "health.check[1].conditions: invalid condition"
expect_stderr "health.check[2].address: invalid address '127.0.0.1:70000'"
expect_stderr "[env.staging]"
run "$GOLFOPS" --config bad-profile.toml --env staging health
expect_status 2

test_case "files validate accepts are accepted by every command"
cat >good.toml <<TOML
[database]
url = "$DATABASE_URL_NOPASS"
password_file = "$HARNESS_TMP/pg.password"
[migrate]
dir = "migrations"
[[health.check]]
type = "postgres"
[[health.check]]
type = "http"
url = "http://127.0.0.1:1/health?token=\${API_TOKEN}"
method = "POST"
status = 204
severity = "warning"
headers = { Authorization = "Bearer \${API_TOKEN}", Cookie = "session=\${API_TOKEN}", Accept = "application/json" }
conditions = ['\$.status == "ok"', 'header.content-type contains json']
[env.ci]
[[env.ci.health.check]]
type = "disk"
path = "/"
min_free = "1%"
TOML
mkdir -p migrations
run "$GOLFOPS" --config good.toml config validate
expect_status 0
for profile in "" ci; do
  env_flag=()
  [[ -n $profile ]] && env_flag=(--env "$profile")
  for command in "health" "migrate status" "migrate validate" "config show" "migrate plan"; do
    # shellcheck disable=SC2086
    run "$GOLFOPS" --config good.toml "${env_flag[@]}" $command
    [[ $RUN_STATUS != 2 ]] || fail "'$command' (profile '$profile') rejected a file validate accepted"
  done
done

test_case "config show redacts credentials by what they are"
run "$GOLFOPS" --config good.toml config show -o json
expect_status 0
grep -q "$API_TOKEN" "$RUN_OUT" "$RUN_ERR" && fail "token shown"
expect_json '[.values[] | select(.key == "health.check[2].headers") | .value] == ["Accept: application/json, Authorization: Bearer ******, Cookie: ******"]'
expect_json '[.values[] | select(.key == "health.check[2].url") | .value] == ["http://127.0.0.1:1/health?token=******"]'
run "$GOLFOPS" --config good.toml health -o json
grep -q "$API_TOKEN" "$RUN_OUT" "$RUN_ERR" && fail "token shown by health"

test_case "a malformed URL's password never appears, even in libpq's message"
run "$GOLFOPS" --database-url "postgres//u:leaky-secret-1@host/db" migrate status
expect_status 2
grep -q "leaky-secret-1" "$RUN_OUT" "$RUN_ERR" && fail "password shown"
run "$GOLFOPS" --database-url "postgres://u:leaky-secret-2@host:notaport/db" migrate status
expect_status 2
grep -q "leaky-secret-2" "$RUN_OUT" "$RUN_ERR" && fail "password shown"

test_case "a command reads only the secrets it uses"
cat >db-only.toml <<TOML
[database]
url = "$DATABASE_URL_NOPASS"
password_file = "$HARNESS_TMP/pg.password"
[redis]
url = "redis://127.0.0.1:6399/0"
password_file = "/run/secrets/not-mounted"
[migrate]
dir = "migrations"
TOML
run "$GOLFOPS" --config db-only.toml migrate up
expect_status 0
run "$GOLFOPS" --config db-only.toml config validate
expect_status 2
expect_stderr "redis.password_file: cannot read '/run/secrets/not-mounted'"

test_case "--quiet keeps a successful run silent unless a format was asked for"
run "$GOLFOPS" --config db-only.toml --quiet migrate up
expect_status 0
expect_no_stdout
run "$GOLFOPS" --config db-only.toml --quiet migrate status -o json
expect_status 0
expect_json '.migrations == []'

test_case "--log-format json: one record per error, with structured fields"
mkdir -p broken
printf 'create table ok_table (id int);\nselect * from no_such_table;\n' >broken/0001_broken.up.sql
run "$GOLFOPS" --config db-only.toml --log-format json migrate up --dir broken
expect_status 1
records=$(grep -c . "$RUN_ERR")
[[ $records == 1 ]] || fail "expected one JSON record, got $records"
jq -e '.level == "error" and (.message | contains("no_such_table")) and .file != null and .line == "2" and .sqlstate == "42P01"' "$RUN_ERR" >/dev/null ||
  fail "record lacks structured fields: $(cat "$RUN_ERR")"

test_case "timestamps labelled Z are UTC whatever TZ says"
run env TZ=America/New_York "$GOLFOPS" --log-format json --config db-only.toml migrate up --dir broken
utc_hour=$(date -u +%H)
jq -e --arg hour "$utc_hour" '.time | test("T" + $hour + ":")' "$RUN_ERR" >/dev/null ||
  [[ $(date -u +%M) == 59 || $(date -u +%M) == 00 ]] || fail "time is not UTC: $(cat "$RUN_ERR")"

test_case "the packaged example config validates once its password file exists"
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sed "s|/etc/golfops/database.password|$HARNESS_TMP/pg.password|" \
  "$project/packaging/config.toml.example" >example.toml
run "$GOLFOPS" --config example.toml config validate
expect_status 0
run "$GOLFOPS" --config example.toml --env staging config show -o json
expect_status 0
expect_json '[.values[] | select(.key == "database.url") | .value] == ["postgres://golfops@db.staging.internal:5432/golf"]'

finish
