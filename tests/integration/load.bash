#!/usr/bin/env bash
# golfops load against real servers: nginx (harness), nginx with TLS, and
# delay_server, whose every answer takes a known time (and which can stall
# for a second on cue). Timing is asserted only where the server sets it
# (a 20 ms delay, a 1 s stall), never golfops' own speed.
source "$(dirname "$0")/harness.bash"
: "${DELAY_SERVER:?DELAY_SERVER must name the delay_server binary}"
start_nginx
cd "$HARNESS_TMP"
nginx_url="http://127.0.0.1:$HTTP_PORT/health"

# start_delay_server NAME ARGS...: a delay_server; sets DELAY_PORT.
start_delay_server() {
  local name=$1 pid
  shift
  "$DELAY_SERVER" "$HARNESS_TMP/$name.port" "$@" &
  pid=$!
  record_pid "$pid"
  wait_for "delay_server $name" test -s "$HARNESS_TMP/$name.port"
  DELAY_PORT=$(cat "$HARNESS_TMP/$name.port")
}

# counts_add_up FILE: requests == the statuses plus transport errors.
counts_add_up() {
  jq -e '.requests == ([.statuses[]] | add // 0) + .errors.connect + .errors.tls + .errors.timeout + .errors.read' "$1" >/dev/null ||
    fail "counts do not add up in $1: $(jq -c '{requests, statuses, errors}' "$1")"
}

test_case "closed model: -n sends exactly that many; the counts add up; a result file is JSON"
run "$GOLFOPS" load "$nginx_url" -n 5000 -c 20 -o json
expect_status 0
cp "$RUN_OUT" n.json
expect_json '.requests == 5000 and .statuses["200"] == 5000 and .errors.total == 0'
expect_json '.model == "closed" and .connections == 20 and .format == "golfops-load/1"'
expect_json '.latency_ms.p50 > 0 and .latency_ms.p50 <= .latency_ms.p99 and .latency_ms.p99 <= .latency_ms.max'
expect_json '([.timeline[].requests] | add) == 5000'
counts_add_up n.json
run "$GOLFOPS" load "$nginx_url" -d 1s -c 4
expect_status 0
expect_stdout "p99.9"
expect_stdout "HTTP 200"
expect_stdout "closed model"

test_case "a server that answers in 20 ms is reported within 1 ms at p50"
start_delay_server steady --delay-ms 20
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -d 2s -c 10 -o json
expect_status 0
expect_json '.latency_ms.p50 >= 20 and .latency_ms.p50 <= 21'
expect_json '.latency_ms.min >= 20'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -d 2s -c 10 --rate 100/s -o json
expect_status 0
expect_json '.latency_ms.p50 >= 20 and .latency_ms.p50 <= 21'
expect_json '.model == "open" and .requests >= 195 and .requests <= 201'

test_case "a one-second stall: the open model's p99 shows it; the closed model's hides it (documented)"
start_delay_server stall_open --delay-ms 5 --stall-after-ms 1500 --stall-ms 1000
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -d 4s -c 10 --rate 200/s -o json
expect_status 0
cp "$RUN_OUT" open.json
# A fifth of the requests came due during the stall: each waited for it.
expect_json '.latency_ms.p99 >= 900'
expect_json '.latency_ms.p50 < 50'
expect_json '.generator.queued > 0'
counts_add_up open.json
start_delay_server stall_closed --delay-ms 5 --stall-after-ms 1500 --stall-ms 1000
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -d 4s -c 10 -o json
expect_status 0
# Each of the 10 connections waited once: 10 slow requests among thousands.
expect_json '.latency_ms.max >= 900 and .latency_ms.p99 < 500'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -n 50 -c 5
expect_stdout "closed model: each connection waits for an answer"

test_case "thresholds pass and fail as written; a failure is exit 1 naming it"
run "$GOLFOPS" load "$nginx_url" -n 2000 -c 10 --threshold 'p99<5s' --threshold 'error_rate<1%' --threshold 'rps>1' --threshold 'requests>=2000'
expect_status 0
expect_stdout "pass"
run "$GOLFOPS" load "$nginx_url" -n 2000 -c 10 --threshold 'p50<1us' --threshold 'error_rate<1%' -o json
expect_status 1
expect_json '.passed == false'
expect_json '[.thresholds[] | select(.passed == false) | .threshold] == ["p50<1us"]'
expect_stderr "threshold p50<1us failed: observed"
run "$GOLFOPS" load "http://127.0.0.1:$HTTP_PORT/nope" -n 100 -c 5 --threshold 'error_rate<1%'
expect_status 1
expect_stdout "FAIL"
expect_stderr "threshold error_rate<1% failed: observed 100.00%"

test_case "429s are counted as throttled, apart from errors, with their Retry-After"
start_delay_server throttle
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/429" -n 300 -c 5 -o json
expect_status 0
expect_json '.throttled == 300 and .statuses["429"] == 300 and .errors.total == 0 and .error_rate == 0'
expect_json '.retry_after.with_header == 300 and .retry_after.min_seconds == 3 and .retry_after.max_seconds == 3'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/429" -n 30 -c 5
expect_stdout "throttled: 30 answers were 429"
expect_stdout "Retry-After 3s"

test_case "errors by kind: unexpected status, timeout, connect; the counts still add up"
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/status/503" -n 200 -c 5 -o json
expect_status 0
expect_json '.errors.status == 200 and .statuses["503"] == 200 and .error_rate == 1'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -n 100 -c 5 --expect-status 201 -o json
expect_json '.errors.status == 100'
start_delay_server slow --delay-ms 3000
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -n 10 -c 5 --timeout 200ms -o json
expect_status 0
cp "$RUN_OUT" timeouts.json
expect_json '.errors.timeout == 10 and .requests == 10'
counts_add_up timeouts.json
start_listener closed
run "$GOLFOPS" load "http://127.0.0.1:$LISTENER_PORT/" -n 10
expect_status 3
expect_stderr "cannot connect to 127.0.0.1:$LISTENER_PORT"
expect_stderr_lines 1

test_case "two generators at once: the merged result is exactly the sum of the parts"
"$GOLFOPS" load "$nginx_url" -d 2s -c 5 -o json >part-a.json &
first=$!
"$GOLFOPS" load "http://127.0.0.1:$HTTP_PORT/nope" -d 2s -c 5 -o json >part-b.json
wait "$first" || fail "the first generator failed"
run "$GOLFOPS" load merge part-a.json part-b.json -o json
expect_status 0
cp "$RUN_OUT" merged.json
jq -e --slurpfile a part-a.json --slurpfile b part-b.json '
  .requests == $a[0].requests + $b[0].requests and
  .statuses["200"] == $a[0].statuses["200"] and .statuses["404"] == $b[0].statuses["404"] and
  .errors.status == $a[0].errors.status + $b[0].errors.status and
  .bytes == $a[0].bytes + $b[0].bytes and .sources == 2 and
  .histogram.sum == $a[0].histogram.sum + $b[0].histogram.sum and
  .histogram.min == ([$a[0].histogram.min, $b[0].histogram.min] | min) and
  .histogram.max == ([$a[0].histogram.max, $b[0].histogram.max] | max) and
  ([.timeline[].requests] | add) == .requests' merged.json >/dev/null ||
  fail "merged totals are not the sum: $(jq -c '{requests, statuses, sources}' merged.json)"
# Bucket by bucket: the merged histogram is the two added.
jq -e --slurpfile a part-a.json --slurpfile b part-b.json '
  def counts(h): reduce h.buckets[] as $x ({}; .[($x[0] | tostring)] += $x[1]);
  counts(.histogram) == (counts($a[0].histogram) as $x | counts($b[0].histogram) as $y |
    reduce ($y | keys[]) as $k ($x; .[$k] += $y[$k]))' merged.json >/dev/null ||
  fail "the merged histogram is not the sum of the two"
counts_add_up merged.json
# Merging is associative: the merged file merges again.
run "$GOLFOPS" load merge merged.json part-a.json -o json
expect_json ".requests == $(jq '.requests' merged.json) + $(jq '.requests' part-a.json) and .sources == 3"
run "$GOLFOPS" load merge part-a.json part-b.json --threshold 'error_rate<1%'
expect_status 1
run "$GOLFOPS" load merge part-a.json README-missing.json
expect_status 2
expect_stderr "README-missing.json"
printf '{"format":"golfops-load/1","requests":5}' >forged.json
run "$GOLFOPS" load merge part-a.json forged.json
expect_status 2
expect_stderr "forged.json: bytes: missing"
expect_stderr_lines 1

test_case "the HTML report is one well-formed, self-contained file with both charts"
run "$GOLFOPS" load "$nginx_url" -d 2s -c 5 --html report.html
expect_status 0
expect_stdout "report: report.html"
/usr/bin/python3 - report.html <<'PY' || fail "report.html is not well-formed or not self-contained"
import sys
from html.parser import HTMLParser
void = {"meta", "br", "img", "input", "link", "hr"}
class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.problems, self.svgs, self.titles = [], [], 0, []
    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") or (value or "").startswith(("http://", "https://")) and name != "xmlns":
                self.problems.append(f"external reference {name}={value}")
        if tag in ("script", "link", "iframe", "object"):
            self.problems.append(f"<{tag}>")
        if tag == "svg":
            self.svgs += 1
        if tag not in void:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")
    def handle_data(self, data):
        if "url(" in data or "@import" in data:
            self.problems.append("a CSS reference")
        if self.stack and self.stack[-1] == "text":
            self.titles.append(data)
text = open(sys.argv[1]).read()
check = Check()
check.feed(text)
check.close()
assert text.startswith("<!DOCTYPE html>"), "no doctype"
assert not check.stack, f"unclosed: {check.stack}"
assert not check.problems, check.problems
assert check.svgs >= 3, f"{check.svgs} charts"
assert "Latency over time (by second answered)" in check.titles, check.titles
assert "Latency by percentile" in check.titles, check.titles
PY

test_case "a scenario sends weighted requests to one origin and reports each"
printf '{"user":"demo"}' >login.json
cat >scenario.toml <<TOML
base_url = "http://127.0.0.1:$HTTP_PORT"
headers = { Accept = "application/json" }

[[request]]
name = "health"
path = "/health"
weight = 3

[[request]]
name = "login"
method = "POST"
path = "/health"
body_file = "login.json"
weight = 1
expect_status = [200]
TOML
run "$GOLFOPS" load --scenario scenario.toml -n 400 -c 4 -o json
expect_status 0
cp "$RUN_OUT" scenario.json
# Smooth weighted round-robin: 3:1 exactly, not by chance.
expect_json '[.by_request[] | {(.name): .requests}] | add == {"health": 300, "login": 100}'
expect_json '.requests == 400'
counts_add_up scenario.json
cat >other-origin.toml <<TOML
[[request]]
url = "http://127.0.0.1:$HTTP_PORT/health"
[[request]]
url = "http://localhost:$HTTP_PORT/health"
TOML
run "$GOLFOPS" load --scenario other-origin.toml -n 10
expect_status 2
expect_stderr "a run loads one origin"
printf '[[request]]\npath = "/x"\nwieght = 2\n' >typo.toml
run "$GOLFOPS" load --scenario typo.toml
expect_status 2
expect_stderr "unknown key 'wieght' (did you mean 'weight'?)"
expect_stderr_lines 1

test_case "HTTPS with a trusted CA; an untrusted certificate is a tls error (exit 3)"
start_tls_nginx
run "$GOLFOPS" load "https://localhost:$TLS_PORT/" --ca-file "$TLS_DIR/ca.crt" -n 500 -c 5 -o json
expect_status 0
expect_json '.statuses["200"] == 500'
run "$GOLFOPS" load "https://localhost:$TLS_PORT/" -n 10
expect_status 3
expect_stderr "certificate"
run "$GOLFOPS" load "https://localhost:$EXPIRED_TLS_PORT/" --insecure -n 20 -c 2 -o json
expect_status 0
expect_json '.statuses["200"] == 20'

test_case "threads share one schedule; interim 1xx answers are not the answer; the end waits at most --timeout"
start_delay_server extras --delay-ms 1
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -t 3 -c 6 --rate 100/s -d 2s -o json
expect_status 0
expect_json '.threads == 3 and .requests >= 198 and .requests <= 201 and .rate == 100'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/early" -n 200 -c 4 -o json
expect_status 0
expect_json '.statuses == {"200": 200} and .requests == 200'
# The server stalls from 1.5 s on for longer than the run: what is in
# flight and what waits for a connection both end as timeouts, counted
# from when they were due, and the run ends about --timeout after its end.
start_delay_server stall_end --delay-ms 1 --stall-after-ms 1500 --stall-ms 60000
started=$SECONDS
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -c 5 --rate 100/s -d 2s --timeout 1s -o json
expect_status 0
cp "$RUN_OUT" stall-end.json
# The 50 requests due from 1.5 s on all time out: sent or not.
expect_json '.errors.timeout >= 45 and .errors.timeout == .requests - .statuses["200"] and .requests >= 198'
counts_add_up stall-end.json
((SECONDS - started < 30)) || fail "the run did not end after its timeout"

test_case "--no-keepalive opens a connection per request; an open-model ramp starts at 0"
run "$GOLFOPS" load "$nginx_url" --no-keepalive -n 300 -c 5 -o json
expect_status 0
expect_json '.statuses["200"] == 300'
run "$GOLFOPS" load "$nginx_url" --rate 400/s --ramp 1s -d 2s -c 5 -o json
expect_status 0
# 0 -> 400/s over 1 s, then 400/s for 1 s: 200 + 400 requests.
expect_json '.requests >= 595 and .requests <= 601 and .rate == 400'

test_case "find-max steps the rate up until the SLO breaks and reports the highest rate held"
# 10 connections to a server that takes 20 ms: at most 500/s can be answered.
start_delay_server capacity --delay-ms 20
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -c 10 --find-max --slo 'p99<100ms' --start-rate 100/s --step 2s -o json
expect_status 0
cp "$RUN_OUT" findmax.json
expect_json '.highest_sustained_rate >= 200 and .highest_sustained_rate <= 550'
expect_json '[.steps[] | select(.sustained == false)] | length >= 1'
expect_json '.steps[0].rate == 100 and .steps[0].sustained == true'
run "$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" -c 1 --find-max --slo 'p99<1ms' --start-rate 10/s --step 1s
expect_status 1
expect_stdout "no rate held"

test_case "Ctrl-C prints the partial result and exits 130"
"$GOLFOPS" load "$nginx_url" -d 60s -c 5 -o json >partial.json 2>partial.err &
pid=$!
wait_for "requests to flow" test -n "$(grep -c . "$HARNESS_TMP/nginx/logs/access.log" 2>/dev/null)"
sleep 1
signal_and_wait INT "$pid" 130
jq -e '.interrupted == true and .requests > 0' partial.json >/dev/null || fail "no partial result: $(head -c 300 partial.json)"
counts_add_up partial.json
# Merged later, a partial run is judged like any other, not "interrupted" again.
run "$GOLFOPS" load merge partial.json --threshold 'requests>0'
expect_status 0
expect_stdout "interrupted: these are the figures up to Ctrl-C"

test_case "a generator that falls behind its schedule says its run is invalid, and why"
# Stopped for 400 ms, golfops sends the requests due meanwhile late: it is
# the generator that was slow, and the result must not pass that off as
# the server's latency without saying so.
start_delay_server behind --delay-ms 2
"$GOLFOPS" load "http://127.0.0.1:$DELAY_PORT/" --rate 200/s -d 3s -c 20 -o json >behind.json &
pid=$!
sleep 1
kill -STOP "$pid"
sleep 0.4
kill -CONT "$pid"
wait "$pid" || fail "the stopped run failed"
jq -e '.valid == false and (.invalid_reasons[0] | contains("after they were due"))' behind.json >/dev/null ||
  fail "a stopped generator's run is not marked invalid: $(jq -c '{valid, invalid_reasons}' behind.json)"
jq -e '.generator.send_lag_ms.max >= 300 and .latency_ms.max >= 300' behind.json >/dev/null ||
  fail "the lag is not in the result: $(jq -c '.generator' behind.json)"
run "$GOLFOPS" load merge behind.json --threshold 'p99<1ms'
expect_status 1
expect_stdout "INVALID: golfops sent 1% of its requests"
expect_stderr "(on an invalid run: see INVALID above)"

test_case "bad input: one line naming the flag, exit 2, nothing sent"
for args in "ftp://example.invalid/" "http://127.0.0.1:$HTTP_PORT/ --rate fast" \
  "http://127.0.0.1:$HTTP_PORT/ --threshold p95>>1" "http://127.0.0.1:$HTTP_PORT/ -c 0" \
  "http://127.0.0.1:$HTTP_PORT/ --ramp 30s" "http://127.0.0.1:$HTTP_PORT/ --slo p99<1s" \
  "http://127.0.0.1:$HTTP_PORT/ --find-max" "http://127.0.0.1:$HTTP_PORT/ -d 25h" \
  "http://127.0.0.1:$HTTP_PORT/ --threshold p101<1s" "http://user:pw@127.0.0.1:$HTTP_PORT/"; do
  read -r -a words <<<"$args"
  run "$GOLFOPS" load "${words[@]}"
  [[ $RUN_STATUS == 2 ]] || fail "load $args: expected exit 2, got $RUN_STATUS"
  [[ $(wc -l <"$RUN_ERR") == 1 ]] || fail "load $args: expected one stderr line"
done
run "$GOLFOPS" load
expect_status 2
expect_stderr "give a URL or --scenario FILE"
run "$GOLFOPS" load "http://user:secretpw@127.0.0.1:$HTTP_PORT/"
expect_stderr "credentials in the URL are not sent"
if grep -q secretpw "$RUN_ERR"; then fail "the password was echoed"; fi
run "$GOLFOPS" load "$nginx_url" -n 10 -H "Authorization: Bearer sekrit-token-123" --threshold 'p50<1us'
expect_status 1
if grep -q "sekrit-token-123" "$RUN_OUT" "$RUN_ERR"; then fail "the header secret appeared in output"; fi
run "$GOLFOPS" load "$nginx_url" -n 10 -H "Authorization Bearer sekrit-token-456"
expect_status 2
expect_stderr "--header: 'Authorization…' is not 'Name: value'"
if grep -q "sekrit-token-456" "$RUN_ERR"; then fail "a refused header's value was echoed"; fi
run "$GOLFOPS" load "$nginx_url" -n 10 -H "TopSecret123"
expect_status 2
if grep -q "TopSecret123" "$RUN_ERR"; then fail "a header without a colon was echoed"; fi
run "$GOLFOPS" load "http://:pw-only-secret@127.0.0.1:$HTTP_PORT/" -n 10
expect_status 2
expect_stderr "credentials in the URL are not sent"
run "$GOLFOPS" load "$nginx_url" -n 10 --html "$HARNESS_TMP"
expect_status 2
expect_stderr "is a directory"
run "$GOLFOPS" load "$nginx_url?api_key=query-secret-789" -n 10 -o json --html query.html
expect_status 0
if grep -q "query-secret-789" "$RUN_OUT" "$RUN_ERR" query.html; then fail "the query token appeared in the result"; fi
# Longer than a day, or no time at all: refused before anything is sent.
run "$GOLFOPS" load "$nginx_url" --rate 1/s -n 1000000
expect_status 2
expect_stderr "would run for 277.8 h"
run "$GOLFOPS" load "$nginx_url" --rate 10/s --ramp 25h
expect_status 2
expect_stderr "longer than 24h"
printf '[[request]]\nurl = "%s"\n[request.headers]\n"X-A\\r\\nX-Evil" = "1"\n' "$nginx_url" >inject.toml
run "$GOLFOPS" load --scenario inject.toml -n 1
expect_status 2
expect_stderr "is not a token"
# A crafted result file: refused with one line, whatever its shape.
/usr/bin/python3 -c 'import sys; sys.stdout.write("{\"format\":\"golfops-load/1\",\"requests\":" + "[" * 100000 + "]" * 100000 + "}")' >deep.json
run "$GOLFOPS" load merge deep.json
expect_status 2
expect_stderr "deep.json: requests: a JSON array is not a count"
expect_stderr_lines 1
jq -c '.seconds = 1e300' part-a.json >huge.json
run "$GOLFOPS" load merge huge.json
expect_status 2
expect_stderr "huge.json: seconds:"
jq -c '.timeline[0].histogram.buckets[0][0] = 4294967301' part-a.json >index.json
run "$GOLFOPS" load merge index.json
expect_status 2
expect_stderr "index.json: timeline[0].histogram: bucket"

finish
