#!/usr/bin/env bash
# 200 generated migrations (table + index + a few rows + an ALTER each) on one
# throwaway PostgreSQL 15 (`golfops dev up`), applied by golfops and its peers,
# each run on a fresh database; then a no-op status. Prints ratios.
# Usage: bench/migrate.sh [build-dir] [count]    (default build/release, 200)
set -euo pipefail
count=${2:-200}
source "$(dirname "$0")/common.bash"
bench_setup "${1:-}" sqitch alembic
bench_dev migrate
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -d bench)

# The migrations, once per tool's layout.
mkdir -p "$work/sql" "$work/alembic/versions" "$work/sqitch/deploy"
for i in $(seq -w 1 "$count"); do
  cat >"$work/sql/${i}_bench_t${i}.up.sql" <<SQL
CREATE TABLE bench_t${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_t${i}_name_idx ON bench_t${i} (name);
INSERT INTO bench_t${i} (name) VALUES ('alpha'), ('bravo'), ('charlie');
ALTER TABLE bench_t${i} ADD COLUMN note text;
SQL
  previous=$([[ $((10#$i)) -gt 1 ]] && printf "'r%04d'" $((10#$i - 1)) || echo None)
  cat >"$work/alembic/versions/r${i}.py" <<PY
from alembic import op
revision = 'r$(printf %04d $((10#$i)))'
down_revision = ${previous}
def upgrade():
    op.execute(open('$work/sql/${i}_bench_t${i}.up.sql').read())
PY
  cp "$work/sql/${i}_bench_t${i}.up.sql" "$work/sqitch/deploy/c${i}.sql"
  printf 'c%s 2024-01-01T00:00:00Z bench <bench@example.com> # bench %s\n' "$i" "$i" >>"$work/sqitch/plan.tail"
done
cat "$work"/sql/*.up.sql >"$work/all.sql"
cat >"$work/alembic/alembic.ini" <<INI
[alembic]
script_location = $work/alembic
sqlalchemy.url = postgresql://golfops:${PGPASSWORD}@127.0.0.1:${port}/bench
INI
cat >"$work/alembic/env.py" <<'PY'
from alembic import context
from sqlalchemy import engine_from_config, pool
config = context.config
connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
PY
printf '%%syntax-version=1.0.0\n%%project=bench\n\n' | cat - "$work/sqitch/plan.tail" >"$work/sqitch/sqitch.plan"
printf '[core]\n\tengine = pg\n\ttop_dir = %s\n' "$work/sqitch" >"$work/sqitch/sqitch.conf"
cat >"$work/golfops.toml" <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$port/bench"
password_file = "$work/dev/postgres.password"
[migrate]
dir = "$work/sql"
TOML
export GOLFOPS_CONFIG="$work/golfops.toml"

fresh="$pg_bin/dropdb --if-exists -h 127.0.0.1 -p $port -U golfops bench && $pg_bin/createdb -h 127.0.0.1 -p $port -U golfops bench"
files=$(printf -- '-f %s ' "$work"/sql/*.up.sql)
machine_facts
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1 (golfops dev up); $count migrations"
hyperfine --runs 3 --export-json "$work/apply.json" --prepare "$fresh" \
  -n "golfops migrate up" "$golfops migrate up" \
  -n "psql, one session, one transaction (floor)" "${psql[*]} -1 $files" \
  -n "psql -f per file (real binary)" "for f in $work/sql/*.up.sql; do ${psql[*]} -f \$f; done" \
  -n "alembic upgrade head" "cd $work/alembic && /usr/bin/python3 -m alembic -c alembic.ini upgrade head" \
  -n "sqitch deploy" "cd $work/sqitch && sqitch deploy db:pg://golfops@127.0.0.1:$port/bench" >/dev/null

# No-op status: everything applied (golfops leaves the last state of the runs above in place).
eval "$fresh"
"$golfops" migrate up >/dev/null
(cd "$work/alembic" && /usr/bin/python3 -m alembic -c alembic.ini stamp head >/dev/null 2>&1)
(cd "$work/sqitch" && sqitch deploy --log-only "db:pg://golfops@127.0.0.1:$port/bench" >/dev/null)
# The peers need a shell (cd); golfops and the connect floor run without one
# (-N), so their numbers carry no shell start-up.
hyperfine --warmup 3 --runs 20 --export-json "$work/status_peers.json" \
  -n "alembic current" "cd $work/alembic && /usr/bin/python3 -m alembic -c alembic.ini current" \
  -n "sqitch status" "cd $work/sqitch && sqitch status db:pg://golfops@127.0.0.1:$port/bench" >/dev/null
# A trust-auth role shows what SCRAM-SHA-256 costs the client: libpq derives
# the key with 4096 PBKDF2 iterations, for psql and golfops alike.
"$pg_bin/psql" -X -q -d bench -c "CREATE ROLE bench_trust LOGIN IN ROLE pg_read_all_data" 2>/dev/null || true
sed -i '1i host bench bench_trust 127.0.0.1/32 trust' "$work/dev/postgres/data/pg_hba.conf"
"$pg_bin/psql" -X -q -At -d bench -c "SELECT pg_reload_conf()" >/dev/null
trust_url="postgres://bench_trust@127.0.0.1:$port/bench"
hyperfine -N --warmup 10 --runs 100 --export-json "$work/status.json" \
  -n "golfops migrate status --exit-code" "$golfops migrate status --exit-code" \
  -n "psql -c 'select 1' (connect floor)" "$pg_bin/psql -X -d bench -c 'select 1'" \
  -n "golfops migrate status, trust auth" "$golfops --database-url $trust_url migrate status --exit-code" \
  -n "psql -c 'select 1', trust auth" "$pg_bin/psql -X -U bench_trust -d bench -c 'select 1'" >/dev/null

# What the server alone takes to accept a connection, with no process start:
# pgbench opens one per transaction (-C) from an already running client.
echo 'select 1;' >"$work/select1.sql"
for role in golfops bench_trust; do
  "$pg_bin/pgbench" -n -C -T 5 -f "$work/select1.sql" -U "$role" bench 2>/dev/null |
    awk -v role="$role" '/average connection time/ { printf "pgbench -C, %-11s average connection time %s ms\n", role ":", $5 }'
done

echo "client instructions for a no-op status (callgrind, repeatable; the server's work is not counted):"
status_instructions() { # AUTH GOLFOPS_ARGS... -- PSQL_ARGS...
  local auth=$1 mine floor
  shift
  local golfops_args=() psql_args=()
  while [[ $1 != -- ]]; do golfops_args+=("$1"); shift; done
  shift
  psql_args=("$@")
  mine=$(instructions "$golfops" "${golfops_args[@]}" migrate status --exit-code)
  floor=$(instructions "$pg_bin/psql" -X "${psql_args[@]}" -d bench -c 'select 1')
  awk -v auth="$auth" -v mine="${mine//,/}" -v floor="${floor//,/}" 'BEGIN {
    printf "  %-6s golfops migrate status %11d   psql -c \"select 1\" %11d   ratio %.2f\n", auth, mine, floor, mine / floor }'
}
status_instructions scram --
status_instructions trust --database-url "$trust_url" -- -U bench_trust

/usr/bin/python3 - "$work/apply.json" "$work/status.json" "$work/status_peers.json" <<'PY'
import json, sys
def load(*paths):
    return {r["command"]: r for path in paths for r in json.load(open(path))["results"]}
for results, reference in ((load(sys.argv[1]), "golfops migrate up"),
                           (load(sys.argv[2], sys.argv[3]), "golfops migrate status --exit-code")):
    mine = results[reference]["mean"]
    print(f"\n{'command':48} {'mean':>10}  ratio to golfops")
    for name, r in results.items():
        print(f"{name:48} {r['mean']*1000:8.1f}ms  {r['mean']/mine:6.2f}x")
apply = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
floor = apply["psql, one session, one transaction (floor)"]
print(f"\ngolfops up / one-session floor = {apply['golfops migrate up']/floor:.2f} (goal <= 1.3)")
status = {k: v["mean"] for k, v in load(sys.argv[2], sys.argv[3]).items()}
mine = status["golfops migrate status --exit-code"]
connect = status["psql -c 'select 1' (connect floor)"]
trust = status["golfops migrate status, trust auth"] / status["psql -c 'select 1', trust auth"]
print(f"golfops status / psql connect floor = {mine/connect:.2f} (trust auth: {trust:.2f})")
print(f"alembic current / golfops status = {status['alembic current']/mine:.1f}x (goal >= 35x);"
      f" golfops status {mine*1000:.1f} ms (goal < 20 ms)")
PY
