# bash completion for golfops (generated from its CLI definitions)
_golfops() {
  local current="${COMP_WORDS[COMP_CWORD]}" seen="" word words="" candidate i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "$seen" in
      "") candidate="$word" ;;
      *) candidate="$seen $word" ;;
    esac
    if _golfops_known "$candidate"; then seen="$candidate"; fi
  done
  case "$seen" in
    "") words="backup restore config dev health limits load migrate verify version completion --help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "backup") words="list verify prune --help -h --dir --database --label --redis --encrypt --key-file --metrics-file --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "backup list") words="--help -h --dir --database --redis --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "backup verify") words="--help -h --dir --database --redis --key-file --restore-test --metrics-file --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "backup prune") words="--help -h --dir --database --redis --dry-run --yes -y --metrics-file --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "restore") words="--help -h --dir --database --target-db --create --jobs -j --clean --yes -y --key-file --redis --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "config") words="show validate --help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "config show") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "config validate") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "dev") words="up down status --help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "dev up") words="--help -h --state-dir --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "dev down") words="--help -h --state-dir --purge --yes -y --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "dev status") words="--help -h --state-dir --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "health") words="wait --help -h --timeout --http --tcp --disk --method --header --body --expect-status --condition --nagios --watch --metrics-file --interval --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "health wait") words="--help -h --timeout --interval --http --tcp --disk --method --header --body --expect-status --condition --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits") words="list get create update delete enable disable history diff import export publish rollback drift check explain usage reset violations stats script bench --help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits list") words="--help -h --scope --resource --enabled --disabled --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits get") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits create") words="--help -h --rate --scope --scope-value --resource --algorithm --burst --priority --description --shadow --disabled --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits update") words="--help -h --rate --scope --scope-value --resource --algorithm --burst --priority --description --shadow --no-shadow --if-version --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits delete") words="--help -h --if-version --yes -y --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits enable") words="--help -h --if-version --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits disable") words="--help -h --if-version --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits history") words="--help -h --limit --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits diff") words="--help -h --prune --exit-code --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits import") words="--help -h --prune --dry-run --yes -y --no-publish --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits export") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits publish") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits rollback") words="--help -h --list --limit --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits drift") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits check") words="--help -h --resource --ip --user --api-key --cost --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits explain") words="--help -h --resource --ip --user --api-key --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits usage") words="--help -h --top --rule --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits reset") words="--help -h --ip --user --api-key --all --yes -y --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits violations") words="--help -h --since --rule --limit --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits stats") words="--help -h --since --rule --metrics-file --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits script") words="--help -h --algorithm --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "limits bench") words="--help -h --concurrency --requests --duration --algorithm --rate --burst --buckets --keep --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "load") words="merge --help -h --connections -c --threads -t --duration -d --requests -n --rate --ramp --method -m --header -H --body --body-file --expect-status --no-keepalive --connect-timeout --timeout --ca-file --insecure --scenario --threshold --html --find-max --slo --start-rate --max-rate --step --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "load merge") words="--help -h --threshold --html --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate") words="up down redo status validate history plan create adopt baseline force --help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate up") words="--help -h --dir --lock-timeout --to --ddl-lock-timeout --allow-out-of-order --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate down") words="--help -h --dir --lock-timeout --to --yes -y --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate redo") words="--help -h --dir --lock-timeout --yes -y --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate status") words="--help -h --dir --lock-timeout --exit-code --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate validate") words="--help -h --dir --lock-timeout --allow-out-of-order --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate history") words="--help -h --dir --lock-timeout --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate plan") words="--help -h --dir --lock-timeout --to --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate create") words="--help -h --dir --timestamp --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate adopt") words="--help -h --dir --lock-timeout --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate baseline") words="--help -h --dir --lock-timeout --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "migrate force") words="--help -h --dir --lock-timeout --pending --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "verify") words="--help -h --base-url --suite --check --skip --slo --expect-version --timeout --ca-file --retry-timeout --retry-interval --junit --baseline --save-baseline --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "version") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
    "completion") words="--help -h --version --config --env --output -o --quiet -q --verbose -v --log-format --no-color --progress --database-url --redis-url" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$current"))
}
_golfops_known() {
  case "$1" in
    "backup"|"backup list"|"backup verify"|"backup prune"|"restore"|"config"|"config show"|"config validate"|"dev"|"dev up"|"dev down"|"dev status"|"health"|"health wait"|"limits"|"limits list"|"limits get"|"limits create"|"limits update"|"limits delete"|"limits enable"|"limits disable"|"limits history"|"limits diff"|"limits import"|"limits export"|"limits publish"|"limits rollback"|"limits drift"|"limits check"|"limits explain"|"limits usage"|"limits reset"|"limits violations"|"limits stats"|"limits script"|"limits bench"|"load"|"load merge"|"migrate"|"migrate up"|"migrate down"|"migrate redo"|"migrate status"|"migrate validate"|"migrate history"|"migrate plan"|"migrate create"|"migrate adopt"|"migrate baseline"|"migrate force"|"verify"|"version"|"completion") return 0 ;;
  esac
  return 1
}
complete -o default -F _golfops golfops
