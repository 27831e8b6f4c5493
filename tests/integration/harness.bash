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
chmod 755 "$HARNESS_TMP"
HARNESS_PIDS=()       # processes we started, stopped by PID
HARNESS_PGDATA=""
HARNESS_FAILED=0
HARNESS_TESTS=0

if [[ $(id -u) -eq 0 ]]; then
  SERVER_USER=postgres
  as_server() { runuser -u "$SERVER_USER" -- "$@"; }
else
  SERVER_USER=$(id -un)
  as_server() { "$@"; }
fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

harness_cleanup() {
  local status=$?
  set +e
  if [[ -n "$HARNESS_PGDATA" && -f "$HARNESS_PGDATA/postmaster.pid" ]]; then
    as_server "$PG_BIN/pg_ctl" -D "$HARNESS_PGDATA" -m immediate -w stop >/dev/null 2>&1
  fi
  local pid
  for pid in "${HARNESS_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${HARNESS_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
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
    for pid in $(cat "$HARNESS_TMP/pids" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  ) </dev/null >/dev/null 2>&1 &
  HARNESS_WATCHDOG=$!
}
start_watchdog

record_pid() {
  HARNESS_PIDS+=("$1")
  echo "$1" >>"$HARNESS_TMP/pids"
}

# PostgreSQL with scram auth; exports PG_PORT, PG_PASSWORD, DATABASE_URL_NOPASS.
start_postgres() {
  PG_PASSWORD=${PG_PASSWORD:-pg-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  PG_PORT=$(free_port)
  local dir="$HARNESS_TMP/postgres"
  mkdir -p "$dir/run"
  printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
  chown -R "$SERVER_USER" "$dir"
  chmod 700 "$dir"
  as_server "$PG_BIN/initdb" -D "$dir/data" -U golfops --auth=scram-sha-256 \
    --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 --no-sync >"$HARNESS_TMP/initdb.log" 2>&1
  rm -f "$dir/pwfile"
  HARNESS_PGDATA="$dir/data"
  as_server "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/run -c fsync=off -c log_statement=all -c log_line_prefix=[%a]" \
    start >/dev/null
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d postgres \
    -c "CREATE DATABASE golf" >/dev/null
  DATABASE_URL_NOPASS="postgres://golfops@127.0.0.1:$PG_PORT/golf"
  PG_LOG="$dir/postgres.log"
  export PG_PORT PG_LOG PG_PASSWORD DATABASE_URL_NOPASS
}

stop_postgres() {
  as_server "$PG_BIN/pg_ctl" -D "$HARNESS_PGDATA" -m fast -w stop >/dev/null
}

# Redis with requirepass (and an ACL user 'app'); exports REDIS_PORT, REDIS_PASSWORD.
start_redis() {
  REDIS_PASSWORD=${REDIS_PASSWORD:-rd-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  REDIS_PORT=$(free_port)
  local dir="$HARNESS_TMP/redis-$REDIS_PORT"
  mkdir -p "$dir"
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
${REDIS_EXTRA_CONFIG:-}
CONF
  chown -R "$SERVER_USER" "$dir"
  as_server redis-server "$dir/redis.conf" >"$dir/redis.log" 2>&1 &
  record_pid $!
  for _ in $(seq 100); do
    [[ -s "$dir/redis.pid" ]] && REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
  # The server itself, not the runuser wrapper, is what we stop.
  REDIS_PID=$(cat "$dir/redis.pid")
  record_pid "$REDIS_PID"
  export REDIS_PORT REDIS_PASSWORD REDIS_PID
}

stop_redis() {
  kill "$REDIS_PID"
  for _ in $(seq 100); do kill -0 "$REDIS_PID" 2>/dev/null || return 0; sleep 0.05; done
}

# nginx serving a few fixed endpoints; exports HTTP_PORT.
start_nginx() {
  HTTP_PORT=$(free_port)
  local dir="$HARNESS_TMP/nginx"
  mkdir -p "$dir/logs" "$dir/tmp"
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
  record_pid $!
  for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$HTTP_PORT/health" >/dev/null && break
    sleep 0.05
  done
  export HTTP_PORT
}

# --- assertions ------------------------------------------------------------

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

test_case() {
  CURRENT_TEST=$1
  HARNESS_TESTS=$((HARNESS_TESTS + 1))
  echo "--- $CURRENT_TEST"
}

finish() {
  echo "$HARNESS_TESTS test cases, $HARNESS_FAILED failed"
  [[ $HARNESS_FAILED -eq 0 ]]
}
