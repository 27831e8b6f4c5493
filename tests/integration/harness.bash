# Test harness: real PostgreSQL 15, Redis and nginx on free 127.0.0.1 ports in
# a temp directory, always torn down (on success, failure, Ctrl-C, and by a
# watchdog if the harness itself is killed). Sourced by every suite.
#
# Servers run as the unprivileged 'postgres' user when the harness runs as
# root, because initdb refuses root.
set -euo pipefail

: "${GOLFOPS:?GOLFOPS must name the golfops binary}"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
HARNESS_TMP=$(mktemp -d /tmp/golfops-it.XXXXXX)
HARNESS_PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chmod 755 "$HARNESS_TMP"
HARNESS_PIDS=()       # processes we started, stopped by PID
HARNESS_PGDATA=""
HARNESS_FAILED=0
HARNESS_TESTS=0
HARNESS_CLEANUP=()    # commands run first at cleanup (on_cleanup)
CURRENT_TEST="setup"

if [[ $(id -u) -eq 0 ]]; then
  SERVER_USER=postgres
  as_server() { runuser -u "$SERVER_USER" -- "$@"; }
else
  SERVER_USER=$(id -un)
  as_server() { "$@"; }
fi

# A port that was free a moment ago. Someone else may bind it before our
# server does (suites run in parallel under ctest -j): every start function
# tries again on a new port when its server could not bind.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# When a process started, in clock ticks since boot: with the pid, it names
# one process, so a pid the kernel gave to someone else later is never killed.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# Kills (with SIGNAL) a process recorded as "pid:start_time" if it is still that process.
kill_recorded() {
  local signal=$1 pid=${2%%:*} started=${2#*:}
  [[ "$(start_time "$pid")" == "$started" ]] && kill "-$signal" "$pid" 2>/dev/null
}

# on_cleanup CMD...: runs CMD when the suite ends, before recorded processes are killed.
on_cleanup() {
  HARNESS_CLEANUP+=("$(printf '%q ' "$@")")
}

harness_cleanup() {
  local status=$?
  set +e
  local command
  for command in "${HARNESS_CLEANUP[@]}"; do
    eval "$command" >/dev/null 2>&1
  done
  if [[ -n "$HARNESS_PGDATA" && -f "$HARNESS_PGDATA/postmaster.pid" ]]; then
    as_server "$PG_BIN/pg_ctl" -D "$HARNESS_PGDATA" -m immediate -w stop >/dev/null 2>&1
  fi
  local pid
  for pid in "${HARNESS_PIDS[@]}"; do
    kill_recorded TERM "$pid"
  done
  for pid in "${HARNESS_PIDS[@]}"; do
    for _ in $(seq 50); do kill_recorded 0 "$pid" || break; sleep 0.1; done
    kill_recorded 9 "$pid"
  done
  [[ -n "${HARNESS_WATCHDOG:-}" ]] && kill "$HARNESS_WATCHDOG" 2>/dev/null
  if [[ $status -eq 0 && $HARNESS_FAILED -eq 0 ]]; then
    rm -rf "$HARNESS_TMP"
  else
    echo "harness: kept $HARNESS_TMP for inspection" >&2
  fi
  exit "$status"
}
trap harness_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# If this shell dies by SIGKILL no trap runs: the watchdog stops what we started.
start_watchdog() {
  local parent=$$
  (
    trap '' INT TERM
    while kill -0 "$parent" 2>/dev/null; do sleep 1; done
    [[ -n "$HARNESS_PGDATA" ]] && as_server "$PG_BIN/pg_ctl" -D "$HARNESS_PGDATA" -m immediate stop >/dev/null 2>&1
    for pid in $(cat "$HARNESS_TMP/pids" 2>/dev/null); do kill_recorded 9 "$pid"; done
  ) </dev/null >/dev/null 2>&1 &
  HARNESS_WATCHDOG=$!
}
start_watchdog

# record_pid PID: the harness stops it at the end (if it is still that process).
record_pid() {
  local started
  started=$(start_time "$1") || return 0 # already gone
  HARNESS_PIDS+=("$1:$started")
  echo "$1:$started" >>"$HARNESS_TMP/pids"
}

# wait_for [--pid PID] [--timeout SECONDS] DESCRIPTION CMD...
# Polls CMD until it succeeds: the condition itself, never a guess at how long
# it takes. After TIMEOUT (default 30 s) the test fails, naming DESCRIPTION,
# and wait_for returns 1. With --pid it returns 2, failing nothing, as soon as
# PID has exited (a server that could not start). CMD must not hang: the port
# may be held by someone else's server that never answers (curl -m, timeout).
wait_for() {
  local pid="" timeout=30
  while [[ "$1" == --* ]]; do
    case "$1" in
      --pid) pid=$2 ;;
      --timeout) timeout=$2 ;;
    esac
    shift 2
  done
  local what=$1
  shift
  local deadline=$((${EPOCHREALTIME/./} + timeout * 1000000))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    if ((${EPOCHREALTIME/./} >= deadline)); then
      fail "gave up after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.05
  done
}

# signal_and_wait SIGNAL PID STATUS: sends SIGNAL to PID and checks its exit status.
signal_and_wait() {
  local status
  kill -"$1" "$2"
  set +e
  wait "$2"
  status=$?
  set -e
  [[ $status == "$3" ]] || fail "after SIG$1: expected exit $3, got $status"
}

# gone PID: true once PID has exited (for wait_for).
gone() { ! kill -0 "$1" 2>/dev/null; }

# start_listener MODE: a TCP socket on a port the kernel picks, held from the
# start by a python3 process, so no other suite can take the port. Sets
# LISTENER_PORT and LISTENER_PID. MODE is one of
#   backlog  listens and never accepts: connects succeed, nothing is said
#   accept   accepts connections and holds them open, silent
#   closed   bound but not listening: connections are refused
#   late     closed until `listen_now` is called, then backlog
start_listener() {
  local portfile="$HARNESS_TMP/listener.$1.$RANDOM"
  /usr/bin/python3 -c '
import os, socket, sys, time
mode, portfile = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
if mode in ("backlog", "accept"):
    s.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
if mode == "late":
    while not os.path.exists(portfile + ".go"):
        time.sleep(0.02)
    s.listen(16)
held = []
while mode == "accept":
    held.append(s.accept()[0])
time.sleep(3600)
' "$1" "$portfile" &
  LISTENER_PID=$!
  record_pid "$LISTENER_PID"
  wait_for "a $1 listener" test -s "$portfile"
  LISTENER_PORT=$(cat "$portfile")
  LISTENER_FILE=$portfile
}

# listen_now: the last `late` listener starts listening.
listen_now() { touch "$LISTENER_FILE.go"; }

# tty_answer ANSWER PROMPT COMMAND: runs the shell line COMMAND on a terminal
# (script(1)), and types ANSWER once its output (in TTY_OUT) shows PROMPT, a
# fixed string. Sets RUN_STATUS to COMMAND's exit status.
tty_answer() {
  local answer=$1 prompt=$2 command=$3 fifo="$HARNESS_TMP/tty.in" writer pid
  TTY_OUT="$HARNESS_TMP/tty.out"
  rm -f "$fifo"
  mkfifo "$fifo"
  script -qec "$command" /dev/null <"$fifo" >"$TTY_OUT" 2>&1 &
  pid=$!
  exec {writer}>"$fifo"
  if wait_for "the prompt '$prompt'" grep -qF -- "$prompt" "$TTY_OUT"; then
    printf '%s\n' "$answer" >&"$writer"
  fi
  exec {writer}>&-
  set +e
  wait "$pid"
  RUN_STATUS=$?
  set -e
}

# PostgreSQL with scram auth; exports PG_PORT, PG_PASSWORD, DATABASE_URL_NOPASS.
start_postgres() {
  PG_PASSWORD=${PG_PASSWORD:-pg-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  local dir="$HARNESS_TMP/postgres"
  mkdir -p "$dir/run"
  printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
  chown -R "$SERVER_USER" "$dir"
  chmod 700 "$dir"
  as_server "$PG_BIN/initdb" -D "$dir/data" -U golfops --auth=scram-sha-256 \
    --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 --no-sync >"$HARNESS_TMP/initdb.log" 2>&1
  rm -f "$dir/pwfile"
  HARNESS_PGDATA="$dir/data"
  # Settings go in a file the cluster includes (pg_basebackup copies both):
  # no -o string for pg_ctl to hand to a shell.
  printf "\ninclude 'harness.conf'\n" >>"$dir/data/postgresql.conf"
  start_cluster "$dir/data" "$dir/postgres.log" \
    "fsync = off"$'\n'"log_statement = 'all'"$'\n'"log_line_prefix = '[%a]'"
  PG_PORT=$CLUSTER_PORT
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d postgres \
    -c "CREATE DATABASE golf" >/dev/null
  DATABASE_URL_NOPASS="postgres://golfops@127.0.0.1:$PG_PORT/golf"
  PG_LOG="$dir/postgres.log"
  export PG_PORT PG_LOG PG_PASSWORD DATABASE_URL_NOPASS
}

# start_cluster DATA LOG [SETTINGS]: starts the cluster in DATA (which includes
# harness.conf) on a free port, and on another one if that port was taken
# before PostgreSQL bound it. Sets CLUSTER_PORT.
start_cluster() {
  local data=$1 log=$2 settings=${3:-} port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n%s\n" \
      "$port" "$HARNESS_TMP/postgres/run" "$settings" >"$data/harness.conf"
    chown "$SERVER_USER" "$data/harness.conf"
    if as_server "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null; then
      CLUSTER_PORT=$port
      return 0
    fi
    echo "harness: PostgreSQL did not start on port $port (attempt $attempt): $(tail -1 "$log")" >&2
  done
  fail "PostgreSQL did not start: see $log"
  return 1
}

stop_postgres() {
  as_server "$PG_BIN/pg_ctl" -D "$HARNESS_PGDATA" -m fast -w stop >/dev/null
}

# Redis with requirepass (and an ACL user 'app'); exports REDIS_PORT,
# REDIS_PASSWORD, REDIS_PID. With REDIS_TLS_DIR (server.crt, server.key,
# ca.crt), also TLS on REDIS_TLS_PORT.
start_redis() {
  REDIS_PASSWORD=${REDIS_PASSWORD:-rd-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  local attempt dir pid status tls
  for attempt in 1 2 3 4 5; do
    REDIS_PORT=$(free_port)
    dir="$HARNESS_TMP/redis-$REDIS_PORT"
    mkdir -p "$dir"
    tls=""
    if [[ -n "${REDIS_TLS_DIR:-}" ]]; then
      REDIS_TLS_PORT=$(free_port)
      tls="tls-port $REDIS_TLS_PORT
tls-cert-file $REDIS_TLS_DIR/server.crt
tls-key-file $REDIS_TLS_DIR/server.key
tls-ca-cert-file $REDIS_TLS_DIR/ca.crt
tls-auth-clients no"
    fi
    cat >"$dir/redis.conf" <<CONF
port $REDIS_PORT
bind 127.0.0.1
daemonize no
pidfile $dir/redis.pid
dir $dir
save ""
appendonly no
requirepass $REDIS_PASSWORD
user app on >app-$REDIS_PASSWORD ~* &* +@all
$tls
CONF
    chown -R "$SERVER_USER" "$dir"
    as_server redis-server "$dir/redis.conf" >"$dir/redis.log" 2>&1 &
    pid=$!
    status=0
    wait_for --pid "$pid" "Redis on port $REDIS_PORT" redis_answers "$dir" || status=$?
    if [[ $status -eq 0 ]]; then
      record_pid "$pid"
      # The server itself, not the runuser wrapper, is what we stop.
      REDIS_PID=$(cat "$dir/redis.pid")
      record_pid "$REDIS_PID"
      export REDIS_PORT REDIS_PASSWORD REDIS_PID REDIS_TLS_PORT
      return 0
    fi
    [[ $status -eq 2 ]] || return 1 # timed out: the test has failed
    wait "$pid" || true
    echo "harness: Redis did not start on port $REDIS_PORT (attempt $attempt): $(tail -1 "$dir/redis.log")" >&2
  done
  fail "Redis did not start"
  return 1
}

# redis_answers DIR: our Redis wrote its pid file and answers with our password.
redis_answers() {
  [[ -s "$1/redis.pid" ]] &&
    REDISCLI_AUTH="$REDIS_PASSWORD" timeout 2 redis-cli -p "$REDIS_PORT" ping | grep -q PONG
}

stop_redis() {
  kill "$REDIS_PID"
  wait_for "Redis (pid $REDIS_PID) to exit" gone "$REDIS_PID"
}

# nginx serving a few fixed endpoints; exports HTTP_PORT.
start_nginx() {
  local dir="$HARNESS_TMP/nginx" attempt pid status
  mkdir -p "$dir/logs" "$dir/tmp"
  for attempt in 1 2 3 4 5; do
    HTTP_PORT=$(free_port)
    cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 256; }
http {
  access_log $dir/logs/access.log;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    location = /health { default_type application/json; add_header X-Service golf; return 200 '{"status":"ok","db":{"latency_ms":3}}'; }
    location = /ready { default_type application/json; return 503 '{"status":"starting"}'; }
    location = /moved { return 302 /health; }
    location / { return 404; }
  }
}
CONF
    nginx -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
    pid=$!
    status=0
    wait_for --pid "$pid" "nginx on port $HTTP_PORT" curl -sf -m 2 "http://127.0.0.1:$HTTP_PORT/health" || status=$?
    if [[ $status -eq 0 ]]; then
      record_pid "$pid"
      export HTTP_PORT
      return 0
    fi
    [[ $status -eq 2 ]] || return 1 # timed out: the test has failed
    wait "$pid" || true
    echo "harness: nginx did not start on port $HTTP_PORT (attempt $attempt)" >&2
  done
  fail "nginx did not start: see $dir/logs/error.log"
  return 1
}

# nginx with TLS on two ports: TLS_PORT with a certificate for localhost
# from a test CA (TLS_DIR/ca.crt), EXPIRED_TLS_PORT with one of the same CA
# that expired in 2020. Both answer {"status":"ok"} to everything.
start_tls_nginx() {
  local tls="$HARNESS_TMP/tls" attempt pid status tls_port expired_port
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=golfops test CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 2 -copy_extensions copy -out "$tls/server.crt" >/dev/null 2>&1
  # And one that expired in 2020, signed by the same CA (openssl ca can backdate).
  touch "$tls/index.txt"
  echo 01 >"$tls/serial"
  printf '[ca]\ndefault_ca = test\n[test]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n[any]\ncommonName = supplied\n' \
    "$tls" "$tls" "$tls" >"$tls/ca.cnf"
  openssl ca -config "$tls/ca.cnf" -batch -cert "$tls/ca.crt" -keyfile "$tls/ca.key" \
    -startdate 20200101000000Z -enddate 20200102000000Z -in "$tls/server.csr" -out "$tls/expired.crt" >/dev/null 2>&1
  # Two TLS servers in one nginx, on new ports until both were free.
  for attempt in 1 2 3 4 5; do
    tls_port=$(free_port)
    expired_port=$(free_port)
    cat >"$tls/nginx.conf" <<CONF
daemon off;
pid $tls/nginx.pid;
error_log $tls/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $tls; proxy_temp_path $tls; fastcgi_temp_path $tls; uwsgi_temp_path $tls; scgi_temp_path $tls;
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $tls/server.crt;
    ssl_certificate_key $tls/server.key;
    location / { return 200 '{"status":"ok"}'; }
  }
  server {
    listen 127.0.0.1:$expired_port ssl;
    ssl_certificate $tls/expired.crt;
    ssl_certificate_key $tls/server.key;
    location / { return 200 '{"status":"ok"}'; }
  }
}
CONF
    nginx -c "$tls/nginx.conf" -e "$tls/error.log" &
    pid=$!
    status=0
    wait_for --pid "$pid" "nginx with TLS" \
      curl -sf -m 2 --cacert "$tls/ca.crt" "https://localhost:$tls_port/" || status=$?
    [[ $status -eq 0 ]] && break
    if [[ $status -ne 2 || $attempt -eq 5 ]]; then
      fail "nginx with TLS did not start: $(tail -2 "$tls/error.log")"
      break
    fi
    wait "$pid" || true
  done
  record_pid "$pid"
  TLS_DIR=$tls
  TLS_PORT=$tls_port
  EXPIRED_TLS_PORT=$expired_port
  export TLS_DIR TLS_PORT EXPIRED_TLS_PORT
}

# --- assertions ------------------------------------------------------------

# start_golf_api [NAME=VALUE...]: the reference service (examples/golf-api)
# on a port it picks itself, against the harness' PostgreSQL (database
# ${GOLF_API_DATABASE:-golf}) and Redis; NAME=VALUE pairs are its settings
# (GOLF_API_BROKEN=ready, GOLF_API_VERSION=2.0). Sets GOLF_API_URL and
# GOLF_API_PID; the service stops with the suite or with stop_golf_api.
start_golf_api() {
  local dir pid status=0
  dir=$(mktemp -d "$HARNESS_TMP/golf-api.XXXXXX")
  printf '%s\n' "$PG_PASSWORD" >"$dir/pg.password"
  printf '%s\n' "$REDIS_PASSWORD" >"$dir/redis.password"
  env DATABASE_URL="postgres://golfops@127.0.0.1:$PG_PORT/${GOLF_API_DATABASE:-golf}" \
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
    DATABASE_PASSWORD_FILE="$dir/pg.password" REDIS_PASSWORD_FILE="$dir/redis.password" \
    "$@" /usr/bin/python3 "$HARNESS_PROJECT/examples/golf-api/main.py" --port 0 \
    --port-file "$dir/port" >"$dir/log" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for --pid "$pid" "the golf API's port" test -s "$dir/port" || status=$?
  if [[ $status -eq 0 ]]; then
    GOLF_API_URL="http://127.0.0.1:$(cat "$dir/port")"
    wait_for --pid "$pid" "the golf API" curl -sf -m 2 "$GOLF_API_URL/health" || status=$?
  fi
  if [[ $status -ne 0 ]]; then
    fail "the golf API did not start: $(tail -3 "$dir/log")"
    return 1
  fi
  GOLF_API_PID=$pid
  export GOLF_API_URL GOLF_API_PID
}

stop_golf_api() {
  kill -TERM "$GOLF_API_PID" 2>/dev/null || true
  wait "$GOLF_API_PID" 2>/dev/null || true
}

RUN_OUT="$HARNESS_TMP/out"
RUN_ERR="$HARNESS_TMP/err"

# run CMD...: runs it, capturing stdout/stderr and the exit status in RUN_STATUS.
run() {
  set +e
  "$@" >"$RUN_OUT" 2>"$RUN_ERR" </dev/null
  RUN_STATUS=$?
  set -e
  cat "$RUN_OUT" "$RUN_ERR" >>"$HARNESS_TMP/all-output"
}

fail() {
  echo "FAIL: $CURRENT_TEST: $*" >&2
  echo "--- stdout" >&2; cat "$RUN_OUT" >&2 || true
  echo "--- stderr" >&2; cat "$RUN_ERR" >&2 || true
  HARNESS_FAILED=$((HARNESS_FAILED + 1))
}

expect_status() {
  [[ "$RUN_STATUS" == "$1" ]] || fail "expected exit $1, got $RUN_STATUS"
}
expect_stdout() { grep -qF -- "$1" "$RUN_OUT" || fail "stdout lacks '$1'"; }
expect_stderr() { grep -qF -- "$1" "$RUN_ERR" || fail "stderr lacks '$1'"; }
expect_stderr_lines() {
  local lines
  lines=$(wc -l <"$RUN_ERR")
  [[ "$lines" == "$1" ]] || fail "expected $1 stderr line(s), got $lines"
}
expect_no_stdout() { [[ ! -s "$RUN_OUT" ]] || fail "expected no stdout"; }
expect_json() {
  jq -e "$1" "$RUN_OUT" >/dev/null || fail "JSON check '$1' failed"
}

# flip_byte FILE OFFSET: inverts every bit of one byte in place, so the file
# always changes (writing a fixed value is a no-op when the byte already holds it).
flip_byte() {
  local old
  old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\$(printf '%03o' $((255 - old)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

test_case() {
  CURRENT_TEST=$1
  HARNESS_TESTS=$((HARNESS_TESTS + 1))
  echo "--- $CURRENT_TEST"
}

# outside_window_edge PERIOD_S NEEDED_S: fixed windows start on the clock (at
# multiples of the period since the epoch), so counts made across a window's
# end start again. A test that counts in one window for up to NEEDED_S seconds
# waits for the next window when fewer remain in this one.
outside_window_edge() {
  local left=$(($1 - $(date +%s) % $1))
  if ((left < $2)); then
    echo "(waiting ${left}s for the next ${1}s window to start)"
    sleep "$((left + 1))"
  fi
}

finish() {
  echo "$HARNESS_TESTS test cases, $HARNESS_FAILED failed"
  [[ $HARNESS_FAILED -eq 0 ]]
}
