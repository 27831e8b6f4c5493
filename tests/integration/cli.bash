#!/usr/bin/env bash
# The CLI surface: help, version, completion, man page, and bad input (one
# clear line, exit 2, nothing written).
source "$(dirname "$0")/harness.bash"
cd "$HARNESS_TMP"
export HOME="$HARNESS_TMP/home" XDG_CONFIG_HOME="$HARNESS_TMP/home/.config"
mkdir -p "$HOME"

test_case "help lists commands and exit codes"
run "$GOLFOPS" --help
expect_status 0
expect_stdout "health"
expect_stdout "EXIT STATUS:"
run "$GOLFOPS" health --help
expect_status 0
expect_stdout "EXAMPLES:"
expect_stdout "3  a dependency"

test_case "version, table and json"
run "$GOLFOPS" version
expect_status 0
expect_stdout "libpq"
run "$GOLFOPS" version -o json
expect_status 0
expect_json '.version != null and .commit != null and .libraries.libpq != null and .libraries.hiredis != null'

test_case "version needs no config, even a broken one"
printf '[database\n' >"$HARNESS_TMP/broken.toml"
run env GOLFOPS_CONFIG="$HARNESS_TMP/broken.toml" "$GOLFOPS" version
expect_status 0
rm "$HARNESS_TMP/broken.toml"

test_case "unknown subcommand suggests the closest"
run "$GOLFOPS" helth
expect_status 2
expect_stderr "unknown command 'helth' (did you mean 'health'?)"
expect_stderr_lines 1
expect_no_stdout

test_case "unknown flag"
run "$GOLFOPS" health --bogus
expect_status 2
expect_stderr "--bogus"
expect_stderr_lines 1

test_case "errors follow --log-format json and GOLFOPS_LOG_FORMAT"
run "$GOLFOPS" --log-format json helth
expect_status 2
jq -e '.level == "error" and (.message | contains("did you mean"))' "$RUN_ERR" >/dev/null || fail "not a JSON error line"
run env GOLFOPS_LOG_FORMAT=json "$GOLFOPS" --config "$HARNESS_TMP/missing.toml" config show
expect_status 2
jq -e '.level == "error"' "$RUN_ERR" >/dev/null || fail "not a JSON error line"

test_case "bad -o value names the allowed values"
run "$GOLFOPS" -o xml version
expect_status 2
expect_stderr "offers table, json"
expect_stderr_lines 1
run "$GOLFOPS" migrate status -o prometheus
expect_status 2
expect_stderr "-o: invalid format 'prometheus' ('golfops migrate status' offers table, json)"
run "$GOLFOPS" health --http http://127.0.0.1:1/ -o xml
expect_status 2
expect_stderr "offers table, json, health+json, prometheus"

test_case "completion scripts are valid"
run "$GOLFOPS" completion bash
expect_status 0
bash -n "$RUN_OUT" || fail "bash completion has a syntax error"
cp "$RUN_OUT" "$HARNESS_TMP/completion.bash"
words=$(bash -c "source '$HARNESS_TMP/completion.bash'; COMP_WORDS=(golfops config ''); COMP_CWORD=2; _golfops; echo \${COMPREPLY[*]}")
[[ "$words" == *show* && "$words" == *validate* ]] || fail "bash completion of 'golfops config' gave '$words'"
words=$(bash -c "source '$HARNESS_TMP/completion.bash'; COMP_WORDS=(golfops he); COMP_CWORD=1; _golfops; echo \${COMPREPLY[*]}")
[[ "$words" == "health" ]] || fail "bash completion of 'he' gave '$words'"
run "$GOLFOPS" completion fish
expect_status 0
expect_stdout "complete -c golfops"
run "$GOLFOPS" completion zsh
expect_status 0
expect_stdout "#compdef golfops"
run "$GOLFOPS" completion tcsh
expect_status 2

test_case "man page generated at build time from the CLI definitions"
man_page="$(dirname "$GOLFOPS")/golfops.1"
[[ -s "$man_page" ]] || fail "no $man_page"
grep -q -- '\\-\\-database\\-url' "$man_page" || fail "man page lacks --database-url"
grep -q 'golfops dev up' "$man_page" || fail "man page lacks dev up"
if command -v man >/dev/null; then
  man -l "$man_page" >/dev/null 2>&1 || fail "man cannot render the page"
fi

test_case "malformed TOML is reported as file:line, exit 2"
printf '[database]\nurl = "postgres://a@b/c"\nconnect_timeout = "5s\n' >golfops.toml
run "$GOLFOPS" config validate
expect_status 2
expect_stderr "golfops.toml:3:"
expect_stderr_lines 1
run "$GOLFOPS" health
expect_status 2
expect_stderr "golfops.toml:3:"

test_case "unknown key, invalid value: one line each, key, value, allowed"
printf '[database]\nulr = "x"\nconnect_timeout = "soon"\n[log]\nformat = "xml"\n' >golfops.toml
run "$GOLFOPS" config validate
expect_status 2
expect_stderr "golfops.toml:2: unknown key 'database.ulr' (did you mean 'database.url'?)"
expect_stderr "golfops.toml:3: database.connect_timeout: invalid duration 'soon' (expected"
expect_stderr "golfops.toml:5: log.format: invalid value 'xml' (expected one of: text, json)"
expect_stderr_lines 3
run "$GOLFOPS" config validate -o json
expect_status 2
expect_json '.valid == false and (.problems | length) == 3'

test_case "invalid URLs exit 2 without echoing the password"
printf '[database]\nurl = "postgres://u:url-pass-123@h:99999/db"\n[redis]\nurl = "http://:url-pass-456@h/0"\n' >golfops.toml
run "$GOLFOPS" health
expect_status 2
expect_stderr "database.url: invalid PostgreSQL connection string"
expect_stderr "redis.url: invalid Redis URL"
grep -q "url-pass" "$RUN_ERR" "$RUN_OUT" && fail "password echoed"

test_case "redis.url: the scheme is checked at load, the rest where Redis is used and by validate"
printf '[redis]\nurl = "redis://:deep-pass-789@h:notaport/0"\n' >golfops.toml
run "$GOLFOPS" config validate
expect_status 2
expect_stderr "golfops.toml:2: redis.url: invalid Redis URL"
run "$GOLFOPS" health
expect_stderr "golfops.toml:2: redis.url: invalid Redis URL"
expect_status 2
grep -q "deep-pass" "$RUN_ERR" "$RUN_OUT" && fail "password echoed"

test_case "missing password file"
printf '[database]\nurl = "postgres://u@127.0.0.1:1/db"\npassword_file = "%s/nope"\n' "$HARNESS_TMP" >golfops.toml
run "$GOLFOPS" health
expect_status 2
expect_stderr "database.password_file: cannot read '$HARNESS_TMP/nope'"
expect_stderr_lines 1

test_case "a named config file that does not exist"
run "$GOLFOPS" --config "$HARNESS_TMP/missing.toml" config show
expect_status 2
expect_stderr "--config: config file '$HARNESS_TMP/missing.toml' does not exist"

test_case "unknown profile"
printf '[env.staging.database]\nurl = "postgres://u@h/db"\n' >golfops.toml
run "$GOLFOPS" --env prod config show
expect_status 2
expect_stderr "no profile 'prod'"
expect_stderr "profiles: staging"

test_case "bad input writes nothing"
before=$(find "$HARNESS_TMP" -newer golfops.toml -type f ! -name out ! -name err ! -name all-output ! -name pids | wc -l)
run "$GOLFOPS" --env prod dev up --state-dir "$HARNESS_TMP/should-not-exist"
expect_status 2
[[ ! -e "$HARNESS_TMP/should-not-exist" ]] || fail "dev up created its state dir despite bad config"
after=$(find "$HARNESS_TMP" -newer golfops.toml -type f ! -name out ! -name err ! -name all-output ! -name pids | wc -l)
[[ "$before" == "$after" ]] || fail "files were written"

test_case "nothing to check is a usage error"
rm golfops.toml
run env -u DATABASE_URL -u REDIS_URL -u PGHOST -u PGDATABASE "$GOLFOPS" health
expect_status 2
expect_stderr "nothing to check"

finish
