#!/usr/bin/env bash
# The limiter on a three-master Redis Cluster on loopback: publish, check,
# usage (every master scanned), reset and bench route each bucket by its
# hash-tag slot, and a bucket whose slot moves mid-bench (ASK during the
# migration, MOVED after) keeps exact admission.
source "$(dirname "$0")/harness.bash"
start_postgres
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
export PGPASSWORD="$PG_PASSWORD"
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_PASSWORD=cl-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$CLUSTER_PASSWORD" >redis.password
export REDISCLI_AUTH="$CLUSTER_PASSWORD"

# cluster_answers PORT: the node answers PING with our password.
cluster_answers() { timeout 2 redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
ports=()
for node in 1 2 3; do
  port=$(free_port)
  bus=$(free_port)
  dir="$HARNESS_TMP/cluster-$node"
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<CONF
port $port
cluster-port $bus
bind 127.0.0.1
daemonize no
dir $dir
save ""
appendonly no
cluster-enabled yes
cluster-config-file $dir/nodes.conf
cluster-node-timeout 5000
requirepass $CLUSTER_PASSWORD
masterauth $CLUSTER_PASSWORD
CONF
  chown -R "$SERVER_USER" "$dir"
  as_server redis-server "$dir/redis.conf" >"$dir/redis.log" 2>&1 &
  record_pid $!
  wait_for --pid $! "cluster node on port $port" cluster_answers "$port"
  ports+=("$port")
done
# The runuser wrappers' children: the servers themselves.
for port in "${ports[@]}"; do
  record_pid "$(redis-cli -p "$port" INFO server | tr -d '\r' | sed -n 's/^process_id://p')"
done
redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" \
  --cluster-yes >cluster-create.log 2>&1 || fail "redis-cli --cluster create failed: $(tail -3 cluster-create.log)"
# Each node decides it is ok on its own, once gossip has told it every slot:
# wait for all three (one alone answered CLUSTERDOWN on a busy machine).
cluster_ok() {
  local port
  for port in "${ports[@]}"; do
    redis-cli -p "$port" CLUSTER INFO | grep -q 'cluster_state:ok' || return 1
  done
}
wait_for "the cluster to be ok" cluster_ok

cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/limits"
password_file = "$HARNESS_TMP/pg.password"
[redis]
url = "redis://127.0.0.1:${ports[0]}/0"
password_file = "$HARNESS_TMP/redis.password"
[migrate]
dir = "$project/migrations"
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d postgres -c "CREATE DATABASE limits"
run "$GOLFOPS" migrate up
expect_status 0

test_case "publish and check on a cluster: buckets spread over the masters by slot"
# per_ip counts in an hour-long fixed window through the next test case.
outside_window_edge 3600 60
run "$GOLFOPS" limits create per_ip --resource api --rate 2/1h
expect_status 0
expect_stdout "published revision 1"
for ip in 198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6; do
  for i in 1 2; do
    run "$GOLFOPS" limits check --resource api --ip "$ip"
    expect_status 0
  done
  run "$GOLFOPS" limits check --resource api --ip "$ip"
  expect_status 1
done
masters_with_buckets=0
for port in "${ports[@]}"; do
  [[ $(redis-cli -p "$port" DBSIZE) -gt 0 ]] && masters_with_buckets=$((masters_with_buckets + 1))
done
[[ $masters_with_buckets -ge 2 ]] || fail "the buckets sit on $masters_with_buckets master(s)"
run "$GOLFOPS" limits drift
expect_status 0

test_case "usage scans every master; reset finds each bucket's node"
run "$GOLFOPS" limits usage -o json
expect_status 0
expect_json '.masters == 3 and (.buckets | length) == 6 and ([.buckets[].used] | unique) == [2]'
run "$GOLFOPS" limits reset per_ip --ip 198.51.100.4 --yes
expect_status 0
run "$GOLFOPS" limits check --resource api --ip 198.51.100.4
expect_status 0
run "$GOLFOPS" limits reset per_ip --all --yes -o json
expect_json '.deleted == 6'
run "$GOLFOPS" limits violations --rule per_ip -o json
expect_json '.violations | length == 6'
run "$GOLFOPS" limits stats --rule per_ip -o json
expect_json '.rules[0].checks == 19 and .rules[0].over == 6 and .rules[0].buckets == 6'

test_case "bench on a cluster: exact admission at 200 clients, buckets on every master"
run "$GOLFOPS" limits bench --algorithm sliding_log --rate 100/7d --concurrency 200 --requests 1000 -o json
expect_status 0
expect_json '.cluster and .allowed == 100 and .checks == 1000'
run "$GOLFOPS" limits bench --concurrency 20 --requests 3000 --buckets 30 -o json
expect_status 0
expect_json '.allowed == 3000 and .redirections == 0'

test_case "a bucket whose slot moves mid-bench: ASK and MOVED followed, admission still exact"
key='golfops:rl:golfops-bench:{ip:bench-0}'
slot=$(redis-cli -p "${ports[0]}" CLUSTER KEYSLOT "$key")
source_port=""
for port in "${ports[@]}"; do
  if redis-cli -p "$port" CLUSTER NODES | grep myself | tr ' ' '\n' | awk -F- -v s="$slot" 'NF == 2 && $1 <= s && s <= $2 { f = 1 } NF == 1 && $1 == s { f = 1 } END { exit !f }'; then
    source_port=$port
  fi
done
[[ -n $source_port ]] || fail "no master owns slot $slot"
for port in "${ports[@]}"; do [[ $port != "$source_port" ]] && target_port=$port; done
source_id=$(redis-cli -p "$source_port" CLUSTER MYID)
target_id=$(redis-cli -p "$target_port" CLUSTER MYID)
"$GOLFOPS" limits bench --algorithm fixed_window --rate 5000/7d --concurrency 10 --duration 4s --keep -o json >bench.json 2>bench.err &
bench=$!
# Once the bucket is full its violations stream exists: all three keys do,
# so the script is not refused TRYAGAIN for a missing one mid-migration.
bucket_full() { [[ $(redis-cli -p "$source_port" EXISTS "$key:v") == 1 ]]; }
wait_for "the bench bucket to fill" bucket_full
redis-cli -p "$target_port" CLUSTER SETSLOT "$slot" IMPORTING "$source_id" >/dev/null
redis-cli -p "$source_port" CLUSTER SETSLOT "$slot" MIGRATING "$target_id" >/dev/null
sleep 0.5
keys=$(redis-cli -p "$source_port" CLUSTER GETKEYSINSLOT "$slot" 100 | tr '\n' ' ')
# shellcheck disable=SC2086
redis-cli -p "$source_port" MIGRATE 127.0.0.1 "$target_port" "" 0 5000 AUTH "$CLUSTER_PASSWORD" KEYS $keys >/dev/null
sleep 0.5
# The new owner first, then the old, then the rest (as redis-cli --cluster
# reshard does), so no two nodes point at each other.
for port in "$target_port" "$source_port" "${ports[@]}"; do
  redis-cli -p "$port" CLUSTER SETSLOT "$slot" NODE "$target_id" >/dev/null
done
wait "$bench" || fail "bench failed across the migration: $(cat bench.err)"
cp bench.json "$RUN_OUT"
echo "bench across the migration: $(jq -c "{checks, allowed, redirections}" bench.json)"
expect_json '.redirections > 0'
expect_json '.checks > 0 and .allowed == ([.checks, 5000] | min)'
[[ $(redis-cli -p "$target_port" HGET "$key" n) == "$(jq '.allowed' bench.json)" ]] ||
  fail "the moved bucket counts $(redis-cli -p "$target_port" HGET "$key" n), bench admitted $(jq '.allowed' bench.json)"

finish
