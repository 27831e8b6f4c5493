#!/usr/bin/env bash
# `golfops backup` against `pg_dump | gzip`, and `golfops restore --jobs 2`
# against `gunzip -c | psql`, on a `pgbench -i -s SCALE` database in a
# throwaway PostgreSQL 15 (`golfops dev up`). Also the floors: pg_dump alone,
# `pg_dump | zstd -T2 -3`, `pg_restore -j2`. Prints times, sizes and ratios.
# Usage: bench/backup.sh [build-dir] [scale]    (default build/release, 30)
set -euo pipefail
scale=${2:-30}
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" zstd
bench_dev backup
"$pg_bin/psql" -X -q -d postgres -c "CREATE DATABASE bench" 
"$pg_bin/pgbench" -i -q -s "$scale" bench 2>/dev/null
"$pg_bin/psql" -X -q -d bench -c "CHECKPOINT"
sql_bytes=$("$pg_bin/pg_dump" -d bench | wc -c)

# seconds CMD...: wall time of one run, in seconds with milliseconds.
seconds() {
  local start end
  start=${EPOCHREALTIME/./}
  "$@" >/dev/null
  end=${EPOCHREALTIME/./}
  echo "scale=3; ($end - $start) / 1000000" | bc
}
# Each restore starts after a checkpoint, so none pays for the WAL the one
# before it wrote.
fresh_db() { "$pg_bin/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" -c "CHECKPOINT"; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
ratio() { echo "scale=2; $1 / $2" | bc; }

echo "== pgbench scale $scale: $((sql_bytes / 1048576)) MiB of SQL =="
machine_facts

(umask 077; openssl rand -hex 32 >"$work/backup.key")
# Each measurement twice; the second (warm cache) counts, as for every tool.
for round in 1 2; do
  t_dump=$(seconds bash -c "'$pg_bin/pg_dump' -d bench -Fc -Z0 >'$work/plain.dump'")
  t_gzip=$(seconds bash -c "'$pg_bin/pg_dump' -d bench | gzip >'$work/bench.sql.gz'")
  t_zstd=$(seconds bash -c "'$pg_bin/pg_dump' -d bench -Fc -Z0 | zstd -q -T2 -3 >'$work/bench.dump.zst'")
  rm -rf "$work/backups" "$work/encrypted"
  t_golfops=$(seconds "$golfops" backup --database bench --dir "$work/backups")
  t_encrypted=$(seconds "$golfops" backup --database bench --dir "$work/encrypted" --encrypt --key-file "$work/backup.key")
done
s_gzip=$(stat -c %s "$work/bench.sql.gz")
s_zstd=$(stat -c %s "$work/bench.dump.zst")
s_golfops=$(stat -c %s "$work"/backups/bench/*.dump.zst)

# Restores swing more than dumps here (checkpoints, the VM): three rounds,
# interleaved, and the median of each.
psql_runs=() pgr_runs=() golfops_runs=()
for round in 1 2 3; do
  fresh_db restore_psql
  psql_runs+=("$(seconds bash -c "gunzip -c '$work/bench.sql.gz' | '$pg_bin/psql' -X -q -d restore_psql")")
  fresh_db restore_pgr
  pgr_runs+=("$(seconds "$pg_bin/pg_restore" -j2 -d restore_pgr "$work/plain.dump")")
  "$pg_bin/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS restore_golfops" -c "CHECKPOINT"
  golfops_runs+=("$(seconds "$golfops" restore latest --database bench --dir "$work/backups" --target-db restore_golfops --create --jobs 2)")
done
t_psql=$(median "${psql_runs[@]}")
t_pgr=$(median "${pgr_runs[@]}")
t_restore=$(median "${golfops_runs[@]}")
echo "restore runs: psql ${psql_runs[*]}; pg_restore -j2 ${pgr_runs[*]}; golfops ${golfops_runs[*]}"

printf '\n%-34s %8s %10s\n' "backup" "seconds" "MiB"
printf '%-34s %8s %10s\n' "pg_dump -Fc -Z0 (the floor)" "$t_dump" "-"
printf '%-34s %8s %10.1f\n' "pg_dump | gzip" "$t_gzip" "$(echo "$s_gzip / 1048576" | bc -l)"
printf '%-34s %8s %10.1f\n' "pg_dump -Fc -Z0 | zstd -T2 -3" "$t_zstd" "$(echo "$s_zstd / 1048576" | bc -l)"
printf '%-34s %8s %10.1f\n' "golfops backup" "$t_golfops" "$(echo "$s_golfops / 1048576" | bc -l)"
printf '%-34s %8s %10s\n' "golfops backup --encrypt" "$t_encrypted" "-"
printf '\n%-34s %8s\n' "restore" "seconds"
printf '%-34s %8s\n' "gunzip -c | psql" "$t_psql"
printf '%-34s %8s\n' "pg_restore -j2 (uncompressed -Fc)" "$t_pgr"
printf '%-34s %8s\n' "golfops restore --jobs 2" "$t_restore"
echo
echo "backup: $(ratio "$t_gzip" "$t_golfops")x faster than pg_dump | gzip, $(ratio "$s_golfops" "$s_gzip")x its size (goal: >= 1.5x faster, <= 0.75x size)"
echo "restore: $(ratio "$t_psql" "$t_restore")x faster than gunzip -c | psql (goal: >= 2x)"
