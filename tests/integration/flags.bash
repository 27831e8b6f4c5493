#!/usr/bin/env bash
# Every value-taking option of every command, fed a malformed value: exit 2
# and one stderr line that names the option. The list of options comes from
# the CLI definitions (golfops __flags), so a new option without a malformed
# value here fails this suite.
source "$(dirname "$0")/harness.bash"
start_postgres
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
chmod 600 pg.password
mkdir -p migrations
printf 'create table t (id int);\n' >migrations/0001_t.up.sql
printf 'drop table t;\n' >migrations/0001_t.down.sql
touch a-file
export DATABASE_URL="$DATABASE_URL_NOPASS?password_file=$HARNESS_TMP/pg.password"

# The malformed value for each option; "command<TAB>option" or "*<TAB>option"
# for every command that has it.
declare -A bad=(
  ["	--config"]="$HARNESS_TMP/no-such-config.toml"
  ["	--env"]="no-such-profile"
  ["	--output"]="xml"
  ["	--log-format"]="yaml"
  ["	--database-url"]="postgres://u:pw@h:notaport/db"
  ["	--redis-url"]="http://h/0"
  ["*	--state-dir"]="$HARNESS_TMP/a-file"
  ["*	--timeout"]="soon"
  ["*	--interval"]="0"
  ["*	--http"]="ftp://example.invalid/"
  ["*	--tcp"]="example.invalid"
  ["*	--disk"]=""
  ["*	--method"]="get me"
  ["*	--header"]="no colon"
  ["*	--body"]="{}"
  ["*	--expect-status"]="700"
  ["*	--condition"]="$.status = ok"
  ["*	--metrics-file"]="/no/such/dir/golfops.prom"
  ["*	--dir"]="$HARNESS_TMP/a-file"
  ["*	--lock-timeout"]="later"
  ["*	--ddl-lock-timeout"]="later"
  ["*	N"]="0"
  ["*	--to"]="not-a-version"
  ["*	VERSION"]="not-a-version"
  ["migrate plan	DIRECTION"]="sideways"
  ["migrate create	NAME"]="Not A Name"
  ["*	NAME"]="Not A Name"
  ["completion	shell"]="tcsh"
  ["*	--database"]="../etc"
  ["*	--label"]=$'two\nlines'
  ["*	ID"]="a/b"
  ["*	--target-db"]=".."
  ["*	--jobs"]="0"
  ["*	--key-file"]="$HARNESS_TMP/no-such.key"
  ["*	--rate"]="fast"
  ["*	--scope"]="planet"
  ["*	--scope-value"]=$'tab\there'
  ["*	--resource"]="Bad Resource"
  ["*	--algorithm"]="leaky"
  ["*	--burst"]="lots"
  ["*	--priority"]="high"
  ["*	--description"]=$'two\nlines'
  ["*	--if-version"]="0"
  ["*	--limit"]="0"
  ["*	--ip"]="not-an-address"
  ["*	--user"]=$'two\nlines'
  ["*	--api-key"]=$'two\nlines'
  ["*	--cost"]="0"
  ["*	REV"]="0"
  ["*	--top"]="0"
  ["*	--rule"]="Not A Name"
  ["*	--since"]="soon"
  ["*	--concurrency"]="0"
  ["*	--requests"]="0"
  ["*	--duration"]="soon"
  ["*	--buckets"]="0"
  ["limits diff	FILE"]="$HARNESS_TMP/no-such-rules.toml"
  ["limits import	FILE"]="$HARNESS_TMP/no-such-rules.toml"
  ["load	URL"]="ftp://example.invalid/"
  ["*	--connections"]="0"
  ["*	--threads"]="many"
  ["*	--ramp"]="30s:fast"
  ["load	--body"]="{}" # with --scenario: a scenario sets bodies in its file
  ["*	--body-file"]="$HARNESS_TMP/no-such-body.json"
  ["*	--connect-timeout"]="0"
  ["*	--ca-file"]="$HARNESS_TMP/no-such-ca.pem"
  ["*	--scenario"]="$HARNESS_TMP/a-file"
  ["*	--threshold"]="p95<fast"
  ["*	--html"]="/no/such/dir/report.html"
  ["*	--slo"]="p99<soon"
  ["*	--start-rate"]="0"
  ["*	--max-rate"]="-5"
  ["*	--step"]="0"
  ["load merge	FILES"]="$HARNESS_TMP/a-file"
  ["verify	--base-url"]="ftp://example.invalid/"
  ["*	--suite"]="$HARNESS_TMP/no-such-suite.toml"
  ["*	--check"]="helth"
  ["*	--skip"]="helth"
  ["*	--expect-version"]=$'two\nlines'
  ["*	--retry-timeout"]="soon"
  ["*	--retry-interval"]="0"
  ["*	--junit"]="/no/such/dir/report.xml"
  ["*	--baseline"]="$HARNESS_TMP/a-file"
  ["*	--save-baseline"]="/no/such/dir/baseline.json"
)
# How each command is run, with its required arguments, when option $2 is
# the one under test.
command_for() {
  case "$1 $2" in
  "load --body") echo "load --scenario $HARNESS_TMP/a-file"; return ;;
  "load --scenario") echo "load"; return ;;
  "verify --base-url") echo "verify"; return ;;
  esac
  case "$1" in
  "") echo "migrate status" ;;
  "migrate plan") echo "migrate plan up" ;;
  "migrate create") echo "migrate create add_things" ;;
  "migrate baseline" | "migrate force") echo "$1 0001" ;;
  "limits diff" | "limits import") echo "$1 $HARNESS_TMP/no-such-rules.toml" ;;
  "load") echo "load http://127.0.0.1:9/" ;;
  "load merge") echo "load merge $HARNESS_TMP/a-file" ;;
  "verify") echo "verify --base-url http://127.0.0.1:9" ;;
  "limits get" | "limits create" | "limits update" | "limits delete" | "limits enable" | \
    "limits disable" | "limits history" | "limits reset") echo "$1 some_rule" ;;
  *) echo "$1" ;;
  esac
}

test_case "every value-taking option refuses a malformed value with exit 2, one line naming it"
listed=0
while IFS= read -r line; do
  command=${line%%$'\t'*}
  option=${line#*$'\t'}
  listed=$((listed + 1))
  key="$command"$'\t'"$option"
  [[ -v "bad[$key]" ]] || key="*"$'\t'"$option"
  if [[ ! -v "bad[$key]" ]]; then
    fail "no malformed value for '$command $option': add one to tests/integration/flags.bash"
    continue
  fi
  value=${bad[$key]}
  read -r -a words <<<"$(command_for "$command" "$option")"
  if [[ $option == --* ]]; then
    if [[ -z $command ]]; then
      run "$GOLFOPS" "$option" "$value" "${words[@]}"
    else
      run "$GOLFOPS" "${words[@]}" "$option" "$value"
    fi
    name=$option
  else
    # A positional argument: the command's name, then the value (plan's N
    # follows its DIRECTION).
    read -r -a words <<<"$command"
    [[ $command == "migrate plan" && $option != DIRECTION ]] && words+=(up)
    run "$GOLFOPS" "${words[@]}" "$value"
    name=$option
  fi
  if [[ $RUN_STATUS != 2 ]]; then
    fail "'$command $option $value': expected exit 2, got $RUN_STATUS"
  elif [[ $(wc -l <"$RUN_ERR") != 1 ]]; then
    fail "'$command $option $value': expected one stderr line, got $(wc -l <"$RUN_ERR")"
  elif ! grep -qF -- "$name" "$RUN_ERR"; then
    fail "'$command $option $value': the message does not name $name"
  fi
done < <("$GOLFOPS" __flags)
[[ $listed -gt 40 ]] || fail "golfops __flags listed only $listed options"

finish
