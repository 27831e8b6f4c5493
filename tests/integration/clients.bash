#!/usr/bin/env bash
# Runs the core client tests (PostgreSQL, Redis incl. TLS, HTTP) against real servers.
source "$(dirname "$0")/harness.bash"
: "${CLIENT_TESTS:?CLIENT_TESTS must name the client test binary}"

# A CA and a server certificate for localhost, for rediss://.
tls="$HARNESS_TMP/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=golfops test CA" \
  -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
  -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 2 -copy_extensions copy -out "$tls/server.crt" >/dev/null 2>&1
chown -R "$SERVER_USER" "$tls"
REDIS_TLS_DIR=$tls
start_postgres
start_redis
start_nginx
export REDIS_TLS_PORT REDIS_TLS_CA="$tls/ca.crt"

# Accepts connections and never answers.
start_listener accept
SILENT_PORT=$LISTENER_PORT
export SILENT_PORT

test_case "core clients against real servers"
set +e
"$CLIENT_TESTS"
status=$?
set -e
[[ $status -eq 0 ]] || HARNESS_FAILED=$((HARNESS_FAILED + 1))
finish
