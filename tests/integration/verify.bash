#!/usr/bin/env bash
# `golfops verify` against the reference service (examples/golf-api) on the
# harness' PostgreSQL and Redis: it passes against the correct service and
# fails, naming the right check, against each broken mode; JUnit, suites,
# retries and baselines.
source "$(dirname "$0")/harness.bash"
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
printf '%s\n' "$REDIS_PASSWORD" >redis.password
chmod 600 pg.password redis.password
export PGPASSWORD="$PG_PASSWORD"
cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/golf"
password_file = "$HARNESS_TMP/pg.password"
[redis]
url = "redis://127.0.0.1:$REDIS_PORT/0"
password_file = "$HARNESS_TMP/redis.password"
[migrate]
dir = "$HARNESS_PROJECT/migrations"
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"
redis() { redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning "$@"; }
failed_checks() { jq -c '[.checks[] | select(.status == "fail") | .name]' "$RUN_OUT"; }
expect_failed() {
  local seen
  seen=$(failed_checks)
  [[ "$seen" == "$1" ]] || fail "expected failing checks $1, got $seen"
}
check_status() { jq -r --arg name "$1" '.checks[] | select(.name == $name) | .status' "$RUN_OUT"; }

"$GOLFOPS" migrate up -q
"$GOLFOPS" limits import "$HARNESS_PROJECT/limits/default-rules.toml" -q
start_golf_api
good=$GOLF_API_URL

test_case "the reference service: sign in, create a room, list it; JSON errors; request ids; 429s"
json_post() { curl -s -H 'Content-Type: application/json' "$@"; }
token=$(json_post -d '{"username":"alice"}' "$good/api/login" | jq -r .token)
[[ -n $token && $token != null ]] || fail "login gave no token"
room=$(json_post -H "Authorization: Bearer $token" -d '{"max_players":3}' -w ' %{http_code}' "$good/api/rooms")
[[ $room == *'"max_players":3'*' 201' ]] || fail "create room: $room"
curl -s "$good/api/games?status=waiting" | jq -e '.games[0].host == "alice" and .games[0].max_players == 3' >/dev/null ||
  fail "the room is not listed"
curl -s -D headers.txt -o body.json -H 'X-Request-ID: trace-42' -X POST "$good/api/rooms"
grep -qi '^x-request-id: trace-42' headers.txt || fail "the request id was not echoed"
grep -qi '^www-authenticate: Bearer' headers.txt || fail "401 without WWW-Authenticate"
grep -qi '^x-content-type-options: nosniff' headers.txt || fail "an error answer lacks the security headers"
jq -e '.error.code == "unauthorized" and .request_id == "trace-42"' body.json >/dev/null || fail "401 is not JSON: $(cat body.json)"
json_post -d '{"username":"x"}' "$good/api/login" | jq -e '.error.code == "invalid" and (.error.message | test("username"))' >/dev/null ||
  fail "a short username is not a JSON 422"
curl -s "$good/api/games?status=lost" | jq -e '.error.code == "bad_request"' >/dev/null || fail "a bad status is not a JSON 400"
json_post -H 'X-Forwarded-For: 198.51.100.10' -d '{"username":1' "$good/api/login" |
  jq -e '.error.code == "invalid" and (.error.message | startswith("the body is not JSON"))' >/dev/null ||
  fail "malformed JSON is not named"
head -c 100000 /dev/zero | tr '\0' 'a' >big.json
[[ $(json_post -o body.json -w '%{http_code}' --data-binary @big.json "$good/api/rooms") == 413 ]] &&
  jq -e '.error.code == "too_large"' body.json >/dev/null || fail "a 100 kB body was not refused with 413"
[[ $(curl -s -o /dev/null -D - "$good/nowhere" | grep -ci '^x-request-id: [0-9a-f]\{32\}') == 1 ]] || fail "no generated request id"
for _ in $(seq 10); do json_post -o /dev/null -H 'X-Forwarded-For: 198.51.100.9' -d '{"username":"bob"}' "$good/api/login"; done
curl -s -D headers.txt -o body.json -H 'Content-Type: application/json' -H 'X-Forwarded-For: 198.51.100.9' -d '{"username":"bob"}' "$good/api/login"
head -1 headers.txt | grep -q ' 429' || fail "the 11th login in a minute was not refused: $(head -1 headers.txt)"
grep -qi '^retry-after: [1-9]' headers.txt && grep -qi '^x-ratelimit-limit: 10' headers.txt || fail "429 without Retry-After and the rule's limit"
curl -s "$good/metrics" | grep -q 'golf_api_rate_limited_total{rule="api_auth"} 1' || fail "the 429 is not in /metrics"
"$GOLFOPS" limits reset api_auth --ip 198.51.100.9 --yes -q

test_case "the correct service passes every check that applies"
# A real client's bucket, which verify must leave alone.
curl -sf -o /dev/null -H 'X-Forwarded-For: 198.51.100.5' "$good/api/games"
before=$(redis HGETALL 'golfops:rl:api_general:{ip:198.51.100.5}' | tr '\n' ' ')
run "$GOLFOPS" verify --base-url "$good" --expect-version 1.0.0 --junit report.xml -o json
expect_status 0
expect_json '.passed and .summary.failed == 0 and .summary.skipped == 2'
for name in health ready metrics headers version migrations rules rate_limit latency; do
  [[ $(check_status "$name") == pass ]] || fail "$name did not pass"
done
[[ $(check_status tls) == skip && $(check_status backup) == skip ]] || fail "tls and backup should be skipped"
expect_json '.migration_version == "0005" and .rules_revision == 1 and .latency.p95_ms > 0'
expect_json '.checks[] | select(.name == "rate_limit") | .message | test("429 after 100 requests")'
# The burst's dedicated address leaves no bucket, stats or violations behind.
[[ -z $(redis --scan --pattern '*192.0.2.77*') ]] || fail "verify left keys for its client address"
[[ $(redis HGETALL 'golfops:rl:api_general:{ip:198.51.100.5}' | tr '\n' ' ') == "$before" ]] ||
  fail "verify changed a real client's bucket"

test_case "the JUnit file is XML with a test case per check"
/usr/bin/python3 - report.xml <<'PY' || fail "JUnit report is not as expected"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suite = root.find("testsuite")
cases = {case.get("name"): case for case in suite.findall("testcase")}
expected = ["health", "ready", "metrics", "headers", "version", "tls", "migrations", "rules",
            "rate_limit", "latency", "backup"]
assert list(cases) == expected, list(cases)
assert suite.get("tests") == "11" and suite.get("failures") == "0" and suite.get("skipped") == "2"
assert cases["tls"].find("skipped") is not None
assert all(float(case.get("time")) >= 0 for case in cases.values())
PY

test_case "security headers off: headers fails, naming each missing header"
start_golf_api GOLF_API_BROKEN=security_headers
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" --junit broken.xml -o json
expect_status 1
expect_failed '["headers"]'
expect_json '.checks[] | select(.name == "headers") | .message | test("X-Content-Type-Options missing \\(expected nosniff\\)") and test("X-Frame-Options missing")'
expect_stderr "headers: X-Content-Type-Options missing"
/usr/bin/python3 - broken.xml <<'PY' || fail "JUnit failure is not as expected"
import sys
import xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert suite.get("failures") == "1", suite.get("failures")
failed = [case for case in suite.findall("testcase") if case.find("failure") is not None]
assert [case.get("name") for case in failed] == ["headers"]
failure = failed[0].find("failure")
assert failure.get("type") == "header" and "nosniff" in failure.get("message")
PY
stop_golf_api

test_case "rate limiting off: rate_limit fails, expecting 429 after the rule's limit"
start_golf_api GOLF_API_BROKEN=rate_limit
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" -o json
expect_status 1
expect_failed '["rate_limit"]'
expect_stderr "rate_limit: first request: expected X-RateLimit-Limit 100 and X-RateLimit-Remaining 99"
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" --check rate_limit
expect_status 1
stop_golf_api

test_case "a wrong Retry-After (milliseconds) fails against the bucket in Redis"
start_golf_api GOLF_API_BROKEN=retry_after
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" -o json
expect_status 1
expect_failed '["rate_limit"]'
expect_json '.checks[] | select(.name == "rate_limit") | .message | test("Retry-After [0-9]+000 \\(the bucket in Redis allows the next request in [0-9]+ s\\)")'
stop_golf_api

test_case "/ready failing: ready fails with what the service said"
start_golf_api GOLF_API_BROKEN=ready
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" -o json
expect_status 1
expect_failed '["ready"]'
expect_json '.checks[] | select(.name == "ready") | .reason == "status" and (.message | test("expected status 200, got 503: .*database"))'
stop_golf_api

test_case "a pending migration: migrations fails, naming it"
cp -r "$HARNESS_PROJECT/migrations" pending
printf 'ALTER TABLE games ADD COLUMN title text;\n' >pending/0006_add_game_title.up.sql
printf 'ALTER TABLE games DROP COLUMN title;\n' >pending/0006_add_game_title.down.sql
GOLFOPS_MIGRATE_DIR=$HARNESS_TMP/pending run "$GOLFOPS" verify --base-url "$good" -o json
expect_status 1
expect_failed '["migrations"]'
expect_json '.checks[] | select(.name == "migrations") | .message | test("at the head of .*pending \\(0006\\), it is at 0005: 1 pending \\(0006_add_game_title\\)")'

test_case "rules drift: a change not published fails rules; publish settles it and the service reloads"
"$GOLFOPS" limits update api_auth --rate 20/60s --no-publish -q
run "$GOLFOPS" verify --base-url "$good" --check rules -o json
expect_status 1
expect_failed '["rules"]'
expect_json '.checks[0].message | test("api_auth differs \\(rate .10/1m. -> .20/1m.\\)")'
"$GOLFOPS" limits publish -q
wait_for "the service to reload revision 2" sh -c "curl -sf '$good/ready' | jq -e '.rules_revision == 2'"
run "$GOLFOPS" verify --base-url "$good" --check rules,rate_limit -o json
expect_status 0
expect_json '.rules_revision == 2'

test_case "--retry-timeout retries a failing check until the deploy settles"
"$GOLFOPS" limits update api_auth --rate 10/60s --no-publish -q
# Publish once verify has seen the drift and begun to look again: its
# progress shows on a terminal only, so count its reads of the rules in
# PostgreSQL's statement log.
seen=$(grep -c 'FROM golfops.rate_limit_rules' "$PG_LOG" || true)
"$GOLFOPS" verify --base-url "$good" --check rules --retry-timeout 60s --retry-interval 200ms -o json >retry.json 2>retry.err &
verify_pid=$!
record_pid "$verify_pid"
wait_for "verify's second attempt" sh -c "test \$(grep -c 'FROM golfops.rate_limit_rules' '$PG_LOG') -ge $((seen + 2))"
"$GOLFOPS" limits publish -q
set +e
wait "$verify_pid"
status=$?
set -e
[[ $status -eq 0 ]] || fail "verify --retry-timeout exited $status: $(cat retry.err)"
jq -e '.passed and .rounds >= 2 and .checks[0].attempts >= 2' retry.json >/dev/null ||
  fail "expected a pass after retries: $(cat retry.json)"

test_case "a suite file adds custom checks; a failing warning does not fail the run"
cat >suite.toml <<TOML
checks = ["health"]

[[check]]
name = "list waiting games"
path = "/api/games?status=waiting"
headers = { Accept = "application/json", Authorization = "Bearer s3cret-suite-token" }
conditions = ['header.content-type contains json', 'header.x-request-id != ""']

[[check]]
name = "unknown route is a JSON 404"
path = "/no/such/route"
status = 404
conditions = ['\$.error.code == "not_found"']

[[check]]
name = "docs are off"
path = "/docs"
status = 200
severity = "warning"
TOML
run "$GOLFOPS" verify --base-url "$good" --suite suite.toml --junit suite.xml -o json
expect_status 0
expect_json '[.checks[].name] == ["health", "list waiting games", "unknown route is a JSON 404", "docs are off"]'
expect_json '.summary.warnings == 1 and (.checks[3].message | test("expected status 200, got 404"))'
grep -q 's3cret-suite-token' "$RUN_OUT" suite.xml && fail "a suite header's token was shown"
grep -q 'classname="golfops.verify.suite" name="docs are off"' suite.xml || fail "suite check missing from JUnit"
sed -i 's/status = 404/status = 410/' suite.toml
run "$GOLFOPS" verify --base-url "$good" --suite suite.toml
expect_status 1
expect_stderr "unknown route is a JSON 404: expected status 410, got 404"
printf 'skipp = ["latency"]\n' >typo.toml
run "$GOLFOPS" verify --base-url "$good" --suite typo.toml
expect_status 2
expect_stderr "typo.toml:1: skipp: unknown key, did you mean 'skip'?"
printf '[[check]]\npath = "/health"\nstatuss = 200\n' >typo.toml
run "$GOLFOPS" verify --base-url "$good" --suite typo.toml
expect_status 2
expect_stderr "typo.toml:3: unknown key 'check[1].statuss' (did you mean 'status'?)"

test_case "metrics in JSON, by configuration"
start_golf_api GOLF_API_METRICS_FORMAT=json
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" --check metrics
expect_status 1
expect_stderr "metrics: expected Content-Type text/plain (Prometheus text format), got 'application/json'"
GOLFOPS_VERIFY_METRICS_FORMAT=json run "$GOLFOPS" verify --base-url "$GOLF_API_URL" --check metrics -o json
expect_status 0
expect_json '.checks[0].message | test("JSON object")'
stop_golf_api

test_case "any service: paths, conditions and required headers come from configuration"
cp golfops.toml other.toml
cat >>other.toml <<TOML
[verify]
base_url = "$good"
checks = ["health", "ready", "headers", "version"]
[verify.health]
path = "/version"
conditions = ['\$.service == "golf-api"']
[verify.ready]
path = "/health"
conditions = ['\$.status == "ok"']
[verify.version]
path = "/health"
expect = "1.0.0"
[verify.headers]
path = "/no/such/route"
required = { "X-Frame-Options" = "SAMEORIGIN", "Permissions-Policy" = "*" }
TOML
run "$GOLFOPS" --config other.toml config validate
expect_status 0
run "$GOLFOPS" --config other.toml verify -o json
expect_status 1
expect_failed '["headers"]'
expect_json '.checks[2].message == "X-Frame-Options is '"'DENY'"' (expected SAMEORIGIN)"'
expect_json '.checks[2].target | endswith("/no/such/route")'
printf '[verify.latency]\nrate = "fast"\n' >bad-verify.toml
run "$GOLFOPS" --config bad-verify.toml config validate
expect_status 2
expect_stderr "bad-verify.toml:2: verify.latency.rate: 'fast' is not a rate"
printf '[verify.headers]\nrequired = { "Bad Name" = "x" }\n' >bad-verify.toml
run "$GOLFOPS" --config bad-verify.toml config validate
expect_status 2
expect_stderr "verify.headers.required"

test_case "baselines: saved before, compared after; regressions beyond tolerance fail"
run "$GOLFOPS" verify --base-url "$good" --save-baseline before.json -o json
expect_status 0
jq -e '.format == "golfops-verify-baseline" and .migration_version == "0005" and .rules_revision == 3 and .latency.p95_ms > 0 and .checks.health == "pass"' before.json >/dev/null ||
  fail "baseline file is not as expected: $(cat before.json)"
run "$GOLFOPS" verify --base-url "$good" --baseline before.json -o json
expect_status 0
expect_json '[.baseline.comparisons[].regressed] | any | not'
expect_json '.checks[-1].name == "baseline" and .checks[-1].status == "pass"'
jq '.latency.p95_ms = 0.001 | .migration_version = "0009"' before.json >faster.json
GOLFOPS_VERIFY_BASELINE_LATENCY_SLACK=0 GOLFOPS_VERIFY_BASELINE_LATENCY_INCREASE=1000% run "$GOLFOPS" verify --base-url "$good" --baseline faster.json -o json
expect_status 1
expect_failed '["baseline"]'
expect_json '[.baseline.comparisons[] | select(.regressed) | .what] == ["p95", "migration_version"]'
run "$GOLFOPS" verify --base-url "$good" --check health --baseline faster.json -o json
expect_status 0
expect_json '[.baseline.comparisons[].what] == []'
jq '.rules_revision = -1' before.json >negative.json
run "$GOLFOPS" verify --base-url "$good" --baseline negative.json
expect_status 2
expect_stderr "negative.json: rules_revision: expected a whole number of at least 0, or null"
printf '{"format":"something else"}' >bad.json
run "$GOLFOPS" verify --base-url "$good" --baseline bad.json
expect_status 2
expect_stderr "--baseline: bad.json: not a baseline file"

test_case "https: the certificate's days and HSTS"
start_tls_nginx
run "$GOLFOPS" verify --base-url "https://localhost:$TLS_PORT" --ca-file "$TLS_DIR/ca.crt" --check tls,headers -o json
expect_status 1
expect_json '.checks[0].message | test("certificate expires in [0-9.]+ days, expected at least 14")'
expect_json '.checks[1].message | test("Strict-Transport-Security missing")'
GOLFOPS_VERIFY_TLS_MIN_DAYS=1 run "$GOLFOPS" verify --base-url "https://localhost:$TLS_PORT" --ca-file "$TLS_DIR/ca.crt" --check tls
expect_status 0

test_case "bad input: one line naming the flag, exit 2; an unreachable service is exit 3"
run "$GOLFOPS" verify --base-url "$good" --check helth
expect_status 2
expect_stderr "--check: unknown check 'helth', did you mean 'health'?"
run "$GOLFOPS" verify --base-url "$good" --slo 'p95<<1'
expect_status 2
expect_stderr "--slo"
run "$GOLFOPS" verify
expect_status 2
expect_stderr "--base-url: missing"
run "$GOLFOPS" verify --base-url "$good" --check tls
expect_status 2
expect_stderr "--check tls: cannot run here: the base URL is http"
run "$GOLFOPS" verify --base-url "$good" --junit /tmp
expect_status 2
expect_stderr "--junit"
run "$GOLFOPS" verify --base-url "ftp://example.com"
expect_status 2
expect_stderr "--base-url"
run "$GOLFOPS" verify --base-url "$good" --retry-interval 1s
expect_status 2
expect_stderr "--retry-interval: applies to retries"
run "$GOLFOPS" verify --base-url "$good" --check health --skip health
expect_status 2
expect_stderr "nothing to verify"
run "$GOLFOPS" verify --base-url "http://user:s3cret-pw@127.0.0.1:1"
expect_status 2
expect_stderr "credentials in the URL are refused"
run "$GOLFOPS" verify --base-url "http://127.0.0.1:1/?token=s3cret-q"
expect_status 2
grep -q 's3cret' "$RUN_ERR" && fail "a URL's token was echoed"
printf '[[check]]\npath = "/health"\nheaders = { "X-A" = "v\\r\\nX-Injected: 1" }\n' >inject.toml
run "$GOLFOPS" verify --base-url "$good" --suite inject.toml
expect_status 2
expect_stderr "check[1].headers: X-A: the value is not one line of printable text"
printf '[[check]]\npath = "/health"\nseverity = "critcal"\n' >severity.toml
run "$GOLFOPS" verify --base-url "$good" --suite severity.toml
expect_status 2
expect_stderr "check[1].severity: invalid value 'critcal' (expected one of: critical, warning)"
GOLFOPS_VERIFY_RATE_LIMIT_CLIENT_IP=198.51.100.5x run "$GOLFOPS" verify --base-url "$good"
expect_status 2
expect_stderr "is not a documentation address"
GOLFOPS_VERIFY_RATE_LIMIT_CLIENT_IP=8.8.8.8 run "$GOLFOPS" config validate
expect_status 2
expect_stderr "GOLFOPS_VERIFY_RATE_LIMIT_CLIENT_IP: '8.8.8.8' is not a documentation address"
# Every failure an unreachable service: exit 3, though the database checks pass.
start_listener closed
run "$GOLFOPS" verify --base-url "http://127.0.0.1:$LISTENER_PORT" -o json
expect_status 3
expect_json '[.checks[] | select(.name == "migrations" or .name == "rules") | .status] == ["pass", "pass"]'
expect_stderr "health:"

test_case "from a new-user trial: report files, empty flags, control characters, spaced lists"
# /dev/stdout is golfops' own stdout: the XML, then the table.
run "$GOLFOPS" verify --base-url "$good" --check health --junit /dev/stdout
expect_status 0
expect_stdout "<testsuites"
expect_stdout "health"
# A symbolic link stays one (its target gets the report), dangling or not.
echo old >real.xml
ln -s real.xml link.xml
ln -s made-by-verify.xml dangling.xml
run "$GOLFOPS" verify --base-url "$good" --check health --junit link.xml --save-baseline dangling.xml
expect_status 0
[[ -L link.xml && -L dangling.xml ]] || fail "a symbolic link was replaced"
grep -q "<testsuites" real.xml || fail "the link's target did not get the report"
grep -q '"version"' made-by-verify.xml || fail "the dangling link's target was not created"
if [[ $(id -u) -eq 0 ]]; then
  mknod null-device c 1 3
  run "$GOLFOPS" verify --base-url "$good" --check health --junit null-device
  expect_status 0
  [[ -c null-device ]] || fail "a device was replaced by a file"
fi
# Where no file can be created: refused before anything is sent.
run "$GOLFOPS" verify --base-url "$good" --check health --junit /proc/golfops-report.xml
expect_status 2
expect_stderr "--junit: '/proc/golfops-report.xml': cannot create files in '/proc'"
expect_stderr_lines 1
for flag in --junit --save-baseline --baseline --suite --expect-version --retry-timeout; do
  run "$GOLFOPS" verify --base-url "$good" "$flag" ""
  expect_status 2
  expect_stderr "$flag: empty"
done
run "$GOLFOPS" verify --base-url ""
expect_status 2
expect_stderr "--base-url: empty"
run "$GOLFOPS" verify --base-url "$good" --check 'health, ready'
expect_status 0
printf '[[check]]\nname = "a\\nb\\u001b[31mRED"\npath = "/health"\n' >control.toml
run "$GOLFOPS" verify --base-url "$good" --suite control.toml
expect_status 2
expect_stderr "check[1].name: '(not shown)' is not a name"
expect_stderr_lines 1
printf '[verify.headers]\nrequired = { "X-Frame-Options" = "DENY\\r\\nX: y" }\n' >header-value.toml
run "$GOLFOPS" --config header-value.toml verify --base-url "$good" --check headers
expect_status 2
expect_stderr "X-Frame-Options: not one line of printable text"
expect_stderr_lines 1
# A secret in a condition is redacted in JUnit as everywhere else.
printf '[[check]]\nname = "secret"\npath = "/health"\nconditions = ["header.content-type contains ${SMOKE_TOKEN}"]\n' >secret.toml
SMOKE_TOKEN=s3cr3tTOKENvalue run "$GOLFOPS" verify --base-url "$good" --check health --suite secret.toml --junit secret.xml
expect_status 1
grep -q s3cr3tTOKENvalue secret.xml "$RUN_OUT" "$RUN_ERR" && fail "the token was shown"
grep -q 'contains \*\*\*\*\*\*' secret.xml || fail "the condition is not in the JUnit file: $(cat secret.xml)"

test_case "SIGINT during the latency burst: latency is the interrupted check, the rest not run"
# Only the burst asks for /health many times: interrupt once it is under way.
health_requests() {
  curl -s -m 2 "$good/metrics" | awk '/^golf_api_http_requests_total.*route="\/health"/ { n += $2 } END { print n + 0 }'
}
GOLFOPS_VERIFY_LATENCY_DURATION=20s "$GOLFOPS" verify --base-url "$good" --check health,latency,migrations \
  --junit burst.xml >burst.out 2>&1 &
verify_pid=$!
record_pid "$verify_pid"
before=$(health_requests)
burst_started() { (($(health_requests) >= before + 10)); }
wait_for "the burst to start" burst_started
signal_and_wait INT "$verify_pid" 130
/usr/bin/python3 - burst.xml <<'PY' || fail "the interrupted JUnit report is not as expected: $(cat burst.xml)"
import sys
import xml.etree.ElementTree as ET
cases = {case.get("name"): case for case in ET.parse(sys.argv[1]).getroot().iter("testcase")}
assert cases["health"].find("failure") is None
failure = cases["latency"].find("failure")
assert failure is not None and failure.get("type") == "interrupted", failure
assert "interrupted by SIGINT" in failure.get("message")
assert float(cases["latency"].get("time")) > 0.1
assert cases["migrations"].find("skipped").get("message") == "not run: interrupted"
PY

test_case "a service that limits outside golfops' buckets fails rate_limit"
GOLFOPS_LIMITS_KEY_PREFIX=elsewhere: "$GOLFOPS" limits publish -q
start_golf_api GOLF_API_KEY_PREFIX=elsewhere:
run "$GOLFOPS" verify --base-url "$GOLF_API_URL" --check rate_limit
expect_status 1
expect_stderr "would let the next request pass: the service does not count in golfops' buckets (limits.key_prefix 'golfops:rl:')"
stop_golf_api
redis --scan --pattern 'elsewhere:*' | while read -r key; do redis DEL "$key" >/dev/null; done

test_case "SIGTERM during the burst: exit 143, JUnit written, the burst's buckets removed"
"$GOLFOPS" limits update api_general --rate 900/1m -q
"$GOLFOPS" verify --base-url "$good" --check health,rate_limit,latency --junit interrupted.xml >interrupted.out 2>&1 &
verify_pid=$!
record_pid "$verify_pid"
wait_for "the burst to start" sh -c "redis-cli -p $REDIS_PORT -a '$REDIS_PASSWORD' --no-auth-warning EXISTS 'golfops:rl:api_general:{ip:192.0.2.77}' | grep -q 1"
signal_and_wait TERM "$verify_pid" 143
[[ -z $(redis --scan --pattern '*192.0.2.77*') ]] || fail "an interrupted burst left keys behind"
/usr/bin/python3 - interrupted.xml <<'PY' || fail "the interrupted JUnit report is not as expected"
import sys
import xml.etree.ElementTree as ET
cases = {case.get("name"): case for case in ET.parse(sys.argv[1]).getroot().iter("testcase")}
assert cases["health"].find("failure") is None
assert "interrupted by SIGTERM" in cases["rate_limit"].find("failure").get("message")
assert cases["latency"].find("skipped").get("message") == "not run: interrupted"
PY
"$GOLFOPS" limits update api_general --rate 100/60s -q

finish
