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
expect_stderr "-o/--output: invalid format 'prometheus' ('golfops migrate status' offers table, json)"
run "$GOLFOPS" health --http http://127.0.0.1:1/ -o xml
expect_status 2
expect_stderr "offers table, json, health+json, prometheus"

test_case "completion scripts: each shell parses its own"
for shell in bash zsh fish; do
  run "$GOLFOPS" completion "$shell"
  expect_status 0
  cp "$RUN_OUT" "$HARNESS_TMP/completion.$shell"
done
bash -n "$HARNESS_TMP/completion.bash" || fail "bash -n: syntax error"
zsh -n "$HARNESS_TMP/completion.zsh" || fail "zsh -n: syntax error"
fish -n "$HARNESS_TMP/completion.fish" || fail "fish -n: syntax error"
run "$GOLFOPS" completion tcsh
expect_status 2

# Help texts with an apostrophe, which a careless quote turns into a syntax
# error or a truncated description.
config_help="Show and validate golfops' configuration"
lock_help="Wait this long for another run's lock"

test_case "bash completes subcommands and options"
bash_complete() { # the words of a command line, the last one being completed
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _golfops; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$HARNESS_TMP/completion.bash" "$@"
}
[[ "$(bash_complete golfops mig)" == migrate ]] || fail "bash: 'golfops mig' gave '$(bash_complete golfops mig)'"
words=$(bash_complete golfops config '')
[[ "$words" == *show* && "$words" == *validate* ]] || fail "bash: 'golfops config' gave '$words'"
words=$(bash_complete golfops dev down --state-dir x --p)
[[ "$words" == "--purge"$'\n'"--progress" || "$words" == "--progress"$'\n'"--purge" ]] ||
  fail "bash: 'golfops dev down ... --p' gave '$words'"

test_case "fish completes subcommands and options, with their descriptions"
# Its own HOME and XDG dirs: fish keeps universal variables and caches there,
# shared with any other suite (or preset) running fish at the same time.
mkdir -p "$HARNESS_TMP/fish-home"
fish_complete() {
  HOME="$HARNESS_TMP/fish-home" XDG_CONFIG_HOME="$HARNESS_TMP/fish-home/config" \
    XDG_DATA_HOME="$HARNESS_TMP/fish-home/data" XDG_CACHE_HOME="$HARNESS_TMP/fish-home/cache" \
    fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$HARNESS_TMP/completion.fish" "$1"
}
[[ "$(fish_complete "golfops mig")" == "migrate"$'\t'"PostgreSQL schema migrations"* ]] ||
  fail "fish: 'golfops mig' gave '$(fish_complete "golfops mig")'"
# Captured first: grep -q stops reading at its match, and with pipefail the
# writer's SIGPIPE would fail the pipeline whenever grep wins the race.
top_level=$(fish_complete "golfops ")
grep -qxF "config"$'\t'"$config_help" <<<"$top_level" ||
  fail "fish: no config with its description: $(fish_complete "golfops ")"
lock_options=$(fish_complete "golfops migrate up --lock")
grep -qF -- "--lock-timeout"$'\t'"$lock_help" <<<"$lock_options" ||
  fail "fish: no --lock-timeout with its description: $(fish_complete "golfops migrate up --lock")"
[[ "$(fish_complete "golfops dev " | cut -f1 | sort | tr '\n' ' ')" == "down status up " ]] ||
  fail "fish: 'golfops dev' gave $(fish_complete "golfops dev ")"

test_case "zsh loads the script and completes, with descriptions, in a real session"
zsh -f -c "autoload -U compinit && compinit -u -D && source '$HARNESS_TMP/completion.zsh'" >zsh.out 2>&1 ||
  fail "zsh could not load it: $(cat zsh.out)"
[[ ! -s zsh.out ]] || fail "zsh said something while loading it: $(cat zsh.out)"
# An interactive zsh on a pseudo-terminal (zpty): type the line and TAB, then
# read until the screen matches a zsh pattern (the listing aligns descriptions
# with spaces). timeout(1) bounds a listing that never appears.
cat >"$HARNESS_TMP/zsh-complete.zsh" <<'ZSH'
zmodload zsh/zpty
zpty -b session zsh -f -i
zpty -w session "PROMPT='> '; autoload -U compinit; compinit -u -D; source ${(q)1}; print LOADED"
zpty -r session out '*LOADED*'
zpty -w -n session "$2"$'\t'
zpty -r session out "*${~3}*" && print -r -- "$out"
zpty -d session
ZSH
zsh_complete() { timeout 20 zsh -f "$HARNESS_TMP/zsh-complete.zsh" "$HARNESS_TMP/completion.zsh" "$1" "$2" >/dev/null; }
zsh_complete "golfops mig" "golfops migrate" || fail "zsh: 'golfops mig' did not complete to migrate"
zsh_complete "golfops " "config  *-- $config_help" || fail "zsh: no config with its description"
zsh_complete "golfops migrate up --lo" "--lock-timeout  *-- $lock_help" ||
  fail "zsh: no --lock-timeout with its description"

test_case "man pages generated at build time from the CLI definitions: golfops(1) and one per family"
man_dir="$(dirname "$GOLFOPS")/generated/man"
[[ -s "$man_dir/golfops.1" ]] || fail "no $man_dir/golfops.1"
grep -q -- '\\-\\-database\\-url' "$man_dir/golfops.1" || fail "golfops.1 lacks --database-url"
grep -q 'golfops\\-dev (1)' "$man_dir/golfops.1" || fail "golfops.1 does not point at golfops-dev(1)"
grep -q 'golfops dev up' "$man_dir/golfops-dev.1" || fail "golfops-dev.1 lacks dev up"
grep -q -- '\\-\\-lock\\-timeout' "$man_dir/golfops-migrate.1" || fail "golfops-migrate.1 lacks --lock-timeout"
for family in backup restore config dev health limits load migrate verify version completion; do
  [[ -s "$man_dir/golfops-$family.1" ]] || fail "no golfops-$family.1"
done
if command -v man >/dev/null; then
  for page in "$man_dir"/*.1; do
    # Rendered without warnings (groff's -ww): a request misread from a help text shows here.
    warnings=$(MANROFFOPT=-ww man -l "$page" 2>&1 >/dev/null) || fail "man cannot render $page"
    [[ -z "$warnings" ]] || fail "$page: $warnings"
  done
  man -l "$man_dir/golfops-backup.1" 2>/dev/null | grep -q "golfops backup prune" || fail "backup page lacks prune"
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
