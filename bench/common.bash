# Sourced by every bench script: an up-to-date build of golfops, the peers
# installed, and the machine facts printed beside the numbers.
# Sets: build (directory), golfops (absolute path of the binary).

# bench_setup BUILD_DIR PEER...: rebuilds the release preset when BUILD_DIR is
# its directory (an old binary must never be measured), installs missing peers.
bench_setup() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  build=${1:-build/release}
  shift || true
  local program
  for program in hyperfine "$@"; do
    if ! command -v "$program" >/dev/null; then
      ./scripts/install-deps.sh
      break
    fi
  done
  if [[ "$build" == build/release ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" >/dev/null
  fi
  golfops=$(realpath "$build/golfops")
}

# bench_dev NAME: a throwaway PostgreSQL 15 + Redis (`golfops dev up`) in a
# temp dir, stopped and removed on exit. Sets pg_bin and work; exports
# GOLFOPS_CONFIG and the PG* variables psql, pg_dump and pgbench use.
bench_dev() {
  pg_bin=/usr/lib/postgresql/15/bin
  work=$(mktemp -d "/tmp/golfops-bench-$1.XXXXXX")
  chmod 755 "$work"
  trap '"$golfops" dev down --state-dir "$work/dev" --purge --yes >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  "$golfops" dev up --state-dir "$work/dev" >/dev/null
  export GOLFOPS_CONFIG="$work/dev/golfops.toml"
  local port
  port=$("$golfops" config show -o json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["database_target"].split(":")[1].split("/")[0])')
  PGPASSWORD=$(cat "$work/dev/postgres.password")
  export PGPASSWORD PGHOST=127.0.0.1 PGPORT=$port PGUSER=golfops
}

machine_facts() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
}

# A bench killed by Ctrl-C, timeout(1) or a closed pipe (`| head`) still runs
# its EXIT trap, which stops the servers it started.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

# instructions CMD...: instructions CMD executes (callgrind), start-up and
# dynamic loading included. Unlike wall-clock time on a shared VM, the count
# repeats exactly, so small changes show.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    awk '/Collected/ {print $4}'
}
