#!/usr/bin/env bash
# `golfops migrate` against a real PostgreSQL 15.
source "$(dirname "$0")/harness.bash"
corpus="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/migrate/corpus"
project_migrations="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/migrations"
start_postgres
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
export PGPASSWORD="$PG_PASSWORD"
psql_real="$PG_BIN/psql"
sql() { "$psql_real" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d "$1" -c "$2"; }
new_db() { sql postgres "CREATE DATABASE $1" >/dev/null; }
use_db() {
  cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/$1"
password_file = "$HARNESS_TMP/pg.password"
[migrate]
dir = "$2"
TOML
}
dump_schema() {
  "$PG_BIN/pg_dump" --schema-only --no-owner -h 127.0.0.1 -p "$PG_PORT" -U golfops \
    --exclude-table=golfops_schema_migrations "$1" | grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'
}

test_case "the corpus applied by golfops equals psql -v ON_ERROR_STOP=1 file by file"
new_db corpus_golfops
new_db corpus_psql
use_db corpus_golfops "$corpus"
run "$GOLFOPS" migrate plan -o json
expect_status 0
expect_json '.setup_sql | contains("CREATE TABLE IF NOT EXISTS \"public\".\"golfops_schema_migrations\"")'
[[ $(sql corpus_golfops "select to_regclass('golfops_schema_migrations') is null") == t ]] || fail "plan created the state table"
run "$GOLFOPS" migrate up -o json
expect_status 0
expect_json '(.steps | length) == 6 and .remaining == 0 and .failure == []'
for file in "$corpus"/*.up.sql; do
  "$psql_real" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d corpus_psql -f "$file" >/dev/null
done
diff <(dump_schema corpus_golfops) <(dump_schema corpus_psql) >schema.diff || fail "schemas differ: $(head -20 schema.diff)"
[[ $(sql corpus_golfops "select count(*) from players") == 2 ]] || fail "corpus data missing"

test_case "status, history and plan after up"
run "$GOLFOPS" migrate status -o json
expect_status 0
expect_json '.applied == 6 and .pending == 0 and all(.migrations[]; .state == "applied")'
run "$GOLFOPS" migrate status --exit-code
expect_status 0
run "$GOLFOPS" migrate history -o json
expect_status 0
expect_json '(.migrations | length) == 6 and all(.migrations[]; .applied_by != "" and .execution_ms >= 0)'
run "$GOLFOPS" migrate plan
expect_status 0
expect_stdout "nothing to run"
run "$GOLFOPS" migrate validate -o json
expect_status 0
expect_json '.valid == true and .problems == []'

test_case "status loads no library it does not use (libcurl stays unloaded with redis.url set)"
cp golfops.toml golfops.toml.saved
printf '[redis]\nurl = "redis://127.0.0.1:1/0"\n' >>golfops.toml
LD_DEBUG=files run "$GOLFOPS" migrate status --exit-code
expect_status 0
grep -q "file=libpq" "$RUN_ERR" || fail "LD_DEBUG shows no libraries at all"
grep -q "file=libcurl" "$RUN_ERR" && fail "migrate status loaded libcurl"
mv golfops.toml.saved golfops.toml

test_case "down needs --yes without a terminal; then reverts newest first"
run "$GOLFOPS" migrate down 2
expect_status 4
expect_stderr "--yes"
[[ $(sql corpus_golfops "select count(*) from golfops_schema_migrations") == 6 ]] || fail "down ran without --yes"
run "$GOLFOPS" migrate down 2 --yes -o json
expect_status 0
expect_json '[.steps[].version] == ["0006", "0005"]'
run "$GOLFOPS" migrate status --exit-code
expect_status 1

test_case "down on a terminal asks, naming the database and the migrations; only yes reverts"
# script(1) gives golfops a terminal; the answer is typed once the prompt shows.
tty_answer n "Continue? [y/N]" "$GOLFOPS migrate down 2"
grep -q "reverting 2 migration(s) (0004_.*, 0003_.*) on 127.0.0.1:$PG_PORT/corpus_golfops. Continue? \[y/N\]" "$TTY_OUT" ||
  fail "no prompt: $(cat -v "$TTY_OUT" | head -3)"
grep -q "not confirmed, nothing was changed" "$TTY_OUT" || fail "a no was not refused: $(cat -v "$TTY_OUT")"
expect_status 4
[[ $(sql corpus_golfops "select count(*) from golfops_schema_migrations") == 4 ]] || fail "reverted after no"
tty_answer y "Continue? [y/N]" "$GOLFOPS migrate down 1"
expect_status 0
[[ $(sql corpus_golfops "select count(*) from golfops_schema_migrations") == 3 ]] || fail "yes did not revert: $(cat -v "$TTY_OUT")"
run "$GOLFOPS" migrate up 1
expect_status 0

test_case "plan prints exactly the SQL and changes nothing"
run "$GOLFOPS" migrate plan -o json
expect_status 0
expect_json '(.steps | length) == 2 and .steps[0].transaction == true and .steps[1].transaction == false'
expect_json '.steps[0].sql | contains("SET LOCAL lock_timeout") and contains("ALTER TABLE players ADD COLUMN created_at")'
expect_json '.setup_sql == null'
[[ $(sql corpus_golfops "select count(*) from golfops_schema_migrations") == 4 ]] || fail "plan changed state"
run "$GOLFOPS" migrate redo --yes
expect_status 0
expect_stdout "2 step(s) done, 2 pending"
run "$GOLFOPS" migrate up
expect_status 0
diff <(dump_schema corpus_golfops) <(dump_schema corpus_psql) >schema.diff || fail "schemas differ after down/up: $(head -20 schema.diff)"

test_case "the project's own migrations apply and revert cleanly"
new_db project
use_db project "$project_migrations"
run "$GOLFOPS" migrate up
expect_status 0
sql project "insert into golfops.rate_limit_rules (name, resource, scope, requests, window_ms) values ('login', 'api_auth', 'ip', 5, 60000)"
[[ $(sql project "select count(*) from golfops.rate_limit_audit") == 1 ]] || fail "audit trigger missing"
[[ $(sql project "select actor from golfops.rate_limit_audit") == golfops ]] || fail "the audit row does not name the role"
run "$GOLFOPS" migrate down --to 0 --yes
expect_status 0
[[ $(sql project "select count(*) from pg_tables where schemaname = 'public' and tablename <> 'golfops_schema_migrations'") == 0 ]] || fail "down left tables"

test_case "four concurrent up: each migration once, all exit 0"
new_db concurrent
mkdir -p concurrent
sql concurrent "create table runs (version int)"
for n in 1 2 3 4 5 6 7 8; do
  printf 'insert into runs values (%d);\nselect pg_sleep(0.05);\ncreate table t%d (id int);\n' "$n" "$n" >concurrent/000${n}_step.up.sql
done
use_db concurrent "$HARNESS_TMP/concurrent"
pids=()
for i in 1 2 3 4; do
  "$GOLFOPS" migrate up >"concurrent-$i.out" 2>&1 &
  pids+=($!)
done
for i in 0 1 2 3; do
  wait "${pids[$i]}" || fail "concurrent up $((i + 1)) failed: $(cat "concurrent-$((i + 1)).out")"
done
[[ $(sql concurrent "select count(*) from runs") == 8 ]] || fail "migrations ran $(sql concurrent "select count(*) from runs") times, not 8"
[[ $(sql concurrent "select count(distinct version) from runs") == 8 ]] || fail "a migration ran twice"

test_case "lock held by another run: exit 4 naming the holder"
printf 'select pg_sleep(3);\n' >concurrent/0009_slow.up.sql
"$GOLFOPS" migrate up >slow.out 2>&1 &
slow=$!
# The holder is visible in pg_locks, and already in its pg_sleep(3).
holding() {
  [[ $(sql concurrent "select count(*) from pg_locks l join pg_stat_activity a using (pid)
    where l.locktype = 'advisory' and l.granted and a.application_name = 'golfops'
      and a.state = 'active' and a.query like '%pg_sleep(3)%'") == 1 ]]
}
wait_for "the slow up to hold the lock" holding
run "$GOLFOPS" migrate up --lock-timeout 300ms
expect_status 4
expect_stderr "application 'golfops'"
expect_stderr "pid "
wait "$slow" || fail "the slow up failed"

test_case "edited, missing and out-of-order files"
printf '\n-- edited\n' >>concurrent/0003_step.up.sql
run "$GOLFOPS" migrate validate
expect_status 1
expect_stderr "0003_step.up.sql: edited after it was applied"
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "edited after it was applied"
run "$GOLFOPS" migrate status --exit-code
expect_status 1
expect_stdout "problem: "
sed -i '$d' concurrent/0003_step.up.sql
sed -i '$d' concurrent/0003_step.up.sql
run "$GOLFOPS" migrate validate
expect_status 0
expect_stdout "valid: every applied migration's file is present and unchanged"
mv concurrent/0004_step.up.sql 0004_step.up.sql.away
run "$GOLFOPS" migrate validate -o json
expect_status 1
expect_json '.problems | any(contains("version 4 (step) is applied but its file is missing"))'
mv 0004_step.up.sql.away concurrent/0004_step.up.sql
printf 'create table dup (id int);\n' >concurrent/08_duplicate.up.sql
run "$GOLFOPS" migrate up
expect_status 2
expect_stderr "version 8 is also used"
rm concurrent/08_duplicate.up.sql
# A Flyway-style 2.5 sorts between 2 and 3, older than the newest applied (9).
mkdir -p ooo && cp concurrent/*.sql ooo/
printf 'create table late (id int);\n' >"ooo/V2_5__late.sql"
use_db concurrent "$HARNESS_TMP/ooo"
run "$GOLFOPS" migrate up
expect_status 4
expect_stderr "older than the newest applied version 9"
run "$GOLFOPS" migrate up --allow-out-of-order
expect_status 0
[[ $(sql concurrent "select count(*) from golfops_schema_migrations where version = '2.5'") == 1 ]] || fail "out-of-order file not applied"

test_case "a bad statement in the middle: file:line:column, SQLSTATE, source line, nothing persists"
new_db failures
mkdir -p failing
cat >failing/0001_good.up.sql <<'SQL'
create table good (id int);
SQL
cat >failing/0002_bad.up.sql <<'SQL'
-- Creates a table, then fails: the table must not survive.
create table half_done (id int);

insert into half_done values (1);
create tabel typo (id int);
create table never (id int);
SQL
use_db failures "$HARNESS_TMP/failing"
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "failing/0002_bad.up.sql:5:8: syntax error at or near \"tabel\" (SQLSTATE 42601)"
expect_stderr "     5 | create tabel typo (id int);"
expect_stderr "0002_bad was rolled back"
[[ $(sql failures "select to_regclass('half_done') is null") == t ]] || fail "half_done persisted"
[[ $(sql failures "select string_agg(version, ',') from golfops_schema_migrations") == 1 ]] || fail "state rows wrong"

test_case "an error without a position points at its statement; DO blocks name the PL/pgSQL line"
cat >failing/0002_bad.up.sql <<'SQL'
create table uniq (id int primary key);
insert into uniq values (1);
/* the next statement fails at run time */
insert into uniq
  values (1);
SQL
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "failing/0002_bad.up.sql:4:1: duplicate key value violates unique constraint \"uniq_pkey\" (SQLSTATE 23505)"
expect_stderr "DETAIL: Key (id)=(1) already exists."
cat >failing/0002_bad.up.sql <<'SQL'
select 1;
DO $$
BEGIN
  PERFORM 1 / 0;
END
$$;
SQL
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "failing/0002_bad.up.sql:4:3: division by zero (SQLSTATE 22012)"
expect_stderr "     4 |   PERFORM 1 / 0;"
expect_stderr "CONTEXT: PL/pgSQL function inline_code_block line 3 at PERFORM"

test_case "a failed no-transaction migration is recorded, blocks up, and is repaired with force"
cat >failing/0002_bad.up.sql <<'SQL'
-- golfops:no-transaction
create table partial (id int);
create index concurrently partial_idx on missing_table (id);
SQL
run "$GOLFOPS" migrate up -o json
expect_status 1
expect_stderr "may be partly applied"
expect_json '.recorded_failed == true and .remaining == 0'
run "$GOLFOPS" migrate status -o json
expect_json '(.migrations[] | select(.version == "0002") | .state) == "failed"'
expect_json '.failed == 1 and .pending == 0'
run "$GOLFOPS" migrate status --exit-code
expect_status 1
expect_stdout "pending, 1 failed"
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "golfops migrate force 2"
# force to applied keeps the row's audit data: who ran it, when, its error.
before=$(sql failures "select applied_by || '|' || applied_at from golfops_schema_migrations where version = '2'")
run "$GOLFOPS" migrate force 2
expect_status 0
[[ $(sql failures "select applied_by || '|' || applied_at from golfops_schema_migrations where version = '2'") == "$before" ]] ||
  fail "force replaced who applied it and when"
[[ $(sql failures "select status || ': ' || error from golfops_schema_migrations where version = '2'") == "applied: relation \"missing_table\" does not exist; forced to applied at "* ]] ||
  fail "force lost the error or did not record itself: $(sql failures "select error from golfops_schema_migrations where version = '2'")"
sql failures "drop table partial"
run "$GOLFOPS" migrate force 2 --pending
expect_status 0
expect_stdout "forced 0002 to pending"
run "$GOLFOPS" migrate force 2 --pending
expect_status 2
expect_stderr "VERSION: 0002 has no row in \"public\".\"golfops_schema_migrations\": it is already pending"
printf -- '-- golfops:no-transaction\ncreate table partial (id int);\ncreate index concurrently partial_idx on partial (id);\n' >failing/0002_bad.up.sql
run "$GOLFOPS" migrate up
expect_status 0
[[ $(sql failures "select status from golfops_schema_migrations where version = '2'") == applied ]] || fail "not applied"

test_case "lock_timeout: DDL waits a bounded time, retries with backoff, then succeeds"
new_db locks
mkdir -p locking
printf 'create table busy (id int);\n' >locking/0001_busy.up.sql
printf 'alter table busy add column note text;\n' >locking/0002_alter.up.sql
use_db locks "$HARNESS_TMP/locking"
run "$GOLFOPS" migrate up 1
expect_status 0
# A long transaction holds a lock on busy for ~1.5 s.
"$psql_real" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d locks \
  -c "begin; lock table busy in access share mode; select pg_sleep(1.5); commit;" >/dev/null &
holder=$!
# Another session holds a granted lock on busy.
busy_locked() {
  [[ $(sql locks "select count(*) from pg_locks where relation = 'busy'::regclass and granted
    and pid <> pg_backend_pid()") -ge 1 ]]
}
wait_for "the lock on busy" busy_locked
run "$GOLFOPS" migrate up --ddl-lock-timeout 200ms -o json
expect_status 0
expect_json '.steps[0].attempts > 1'
expect_stderr "lock_timeout (200ms) hit"
wait "$holder"

test_case "lock_timeout: gives up after the bounded retries, naming the cause"
printf 'alter table busy add column more text;\n' >locking/0003_more.up.sql
"$psql_real" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d locks \
  -c "begin; lock table busy in access share mode; select pg_sleep(4); commit;" >/dev/null &
holder=$!
wait_for "the lock on busy" busy_locked
run env GOLFOPS_MIGRATE_DDL_RETRIES=1 "$GOLFOPS" migrate up --ddl-lock-timeout 100ms
expect_status 1
expect_stderr "SQLSTATE 55P03"
expect_stderr "gave up after 2 attempt(s)"
[[ $(sql locks "select count(*) from golfops_schema_migrations") == 2 ]] || fail "state changed"
wait "$holder"

test_case "kill -9 during up leaves each migration applied or not, and the next up finishes"
new_db killed
mkdir -p killing
for n in 1 2 3 4 5 6; do
  printf 'create table k%d (id int);\nselect pg_sleep(0.3);\ninsert into k%d values (%d);\n' "$n" "$n" "$n" >killing/000${n}_k.up.sql
done
use_db killed "$HARNESS_TMP/killing"
"$GOLFOPS" migrate up >/dev/null 2>&1 &
victim=$!
# Killed inside a migration, after at least one was recorded.
mid_migration() {
  [[ $(sql killed "select count(*) from golfops_schema_migrations") -ge 1 &&
    $(sql killed "select count(*) from pg_stat_activity where application_name = 'golfops'
      and state = 'active' and query like '%pg_sleep%'") == 1 ]]
}
wait_for "up to be inside a migration" mid_migration
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
for n in 1 2 3 4 5 6; do
  table=$(sql killed "select to_regclass('k$n') is not null")
  row=$(sql killed "select count(*) from golfops_schema_migrations where version = '$n'")
  if [[ "$table" == t && "$row" != 1 ]] || [[ "$table" == f && "$row" != 0 ]]; then
    fail "after kill -9: k$n exists=$table but state row count=$row"
  fi
done
run "$GOLFOPS" migrate up
expect_status 0
[[ $(sql killed "select count(*) from golfops_schema_migrations") == 6 ]] || fail "not all applied after kill -9"

test_case "progress: redrawn on a terminal, silent without one, lines with --progress"
new_db progress
use_db progress "$HARNESS_TMP/killing"
run "$GOLFOPS" migrate up 2
expect_status 0
[[ ! -s "$RUN_ERR" ]] || fail "progress written without a terminal"
run "$GOLFOPS" --progress migrate up 2
expect_status 0
expect_stderr "golfops: progress: [0/2] applying 0003_k"
# script(1) gives golfops a terminal.
script -qec "$GOLFOPS migrate up" /dev/null >tty.out </dev/null
grep -q $'\r\033\[K\[1/2\] applying 0006_k' tty.out || fail "no redrawn progress line on a terminal: $(cat -v tty.out | head -3)"

test_case "dbmate and Flyway layouts"
new_db formats
mkdir -p dbmate flyway
printf -- '-- migrate:up\ncreate table dm (id int);\n\n-- migrate:down\ndrop table dm;\n' >dbmate/20240101120000_dm.sql
printf -- '-- migrate:up transaction:false\ncreate index concurrently dm_idx on dm (id);\n-- migrate:down\ndrop index dm_idx;\n' >dbmate/20240102120000_dm_index.sql
use_db formats "$HARNESS_TMP/dbmate"
run "$GOLFOPS" migrate up -o json
expect_status 0
expect_json '(.steps | length) == 2'
run "$GOLFOPS" migrate down --yes
expect_status 0
printf 'create table fw (id int);\n' >flyway/V1__fw.sql
printf 'drop table fw;\n' >flyway/U1__fw.sql
printf 'alter table fw add column x int;\n' >flyway/V1.1__fw_x.sql
printf 'alter table fw add column y int;\n' >flyway/V1.10__fw_y.sql
printf 'alter table fw add column z int;\n' >flyway/V1.2__fw_z.sql
new_db flyway
use_db flyway "$HARNESS_TMP/flyway"
run "$GOLFOPS" migrate up -o json
expect_status 0
expect_json '[.steps[].version] == ["1", "1.1", "1.2", "1.10"]'

test_case "create, baseline and bad input"
mkdir -p created
use_db formats "$HARNESS_TMP/created"
run "$GOLFOPS" migrate create add_users
expect_status 0
[[ -f created/0001_add_users.up.sql && -f created/0001_add_users.down.sql ]] || fail "create wrote $(ls created)"
run "$GOLFOPS" migrate create add_more
[[ -f created/0002_add_more.up.sql ]] || fail "no 0002"
run "$GOLFOPS" migrate create "Bad Name"
expect_status 2
expect_stderr "NAME: 'Bad Name' is not a migration name"
run "$GOLFOPS" migrate create --timestamp stamped
expect_status 0
ls created | grep -Eq '^20[0-9]{12}_stamped.up.sql$' || fail "no timestamped file"
printf 'create table x;\n' >created/notes.sql
run "$GOLFOPS" migrate status
expect_status 2
expect_stderr "notes.sql: not a migration file name"
rm created/notes.sql
new_db adopted
"$psql_real" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d adopted \
  -f "$project_migrations/0001_create_users.up.sql" >/dev/null
use_db adopted "$project_migrations"
run "$GOLFOPS" migrate baseline 1
expect_status 0
run "$GOLFOPS" migrate status -o json
expect_json "(.migrations[0].state) == \"baseline\" and .pending == $(( $(ls "$project_migrations"/*.up.sql | wc -l) - 1 ))"
run "$GOLFOPS" migrate up
expect_status 0
run "$GOLFOPS" migrate baseline 1
expect_status 4
run "$GOLFOPS" migrate up --to nine
expect_status 2
expect_stderr "--to: 'nine' is not a version"
# A count of 0 or -1 once meant "all": refused, and nothing is reverted.
for count in 0 -1 2x; do
  run "$GOLFOPS" migrate down "$count" --yes
  expect_status 2
  expect_stderr "N: '$count' is not a count (expected a whole number of at least 1)"
done
run "$GOLFOPS" migrate down --to 99 --yes
expect_status 2
expect_stderr "--to: no migration with version 99 (0 reverts everything)"
run "$GOLFOPS" migrate status -o json
expect_json '.pending == 0'

test_case "files are read while connecting: a bad directory is still reported first, a down server after"
# A port that refuses connections, held so no other suite's server can take it.
start_listener closed
refused_port=$LISTENER_PORT
run "$GOLFOPS" --database-url "postgres://golfops@127.0.0.1:$refused_port/none" migrate status --dir "$HARNESS_TMP/nowhere"
expect_status 2
expect_stderr "--dir: '$HARNESS_TMP/nowhere' is not a directory (expected the directory of migration files; set it with --dir or migrate.dir)"
run "$GOLFOPS" --database-url "postgres://golfops@127.0.0.1:$refused_port/none" migrate status --dir "$project_migrations"
expect_status 3
printf 'SELECT 1;\n' >created/0002_again.up.sql
run "$GOLFOPS" migrate status --dir "$HARNESS_TMP/created"
expect_status 2
expect_stderr "version 2 is also used by"
rm created/0002_again.up.sql

test_case "a config file elsewhere: its relative migrate.dir is found from any working directory"
new_db elsewhere
mkdir -p app/db
cp "$project_migrations"/*.sql app/db/
cat >app/golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/elsewhere"
password_file = "$HARNESS_TMP/pg.password"
[migrate]
dir = "db"
TOML
project_count=$(ls "$project_migrations"/*.up.sql | wc -l)
run bash -c "cd / && '$GOLFOPS' --config '$HARNESS_TMP/app/golfops.toml' migrate up -o json"
expect_status 0
expect_json "(.steps | length) == $project_count"
run bash -c "cd / && '$GOLFOPS' --config '$HARNESS_TMP/app/golfops.toml' config show -o json"
expect_stdout "$HARNESS_TMP/app/db"
sed -i 's/^dir = "db"/dir = "gone"/' app/golfops.toml
run bash -c "cd / && '$GOLFOPS' --config '$HARNESS_TMP/app/golfops.toml' migrate status"
expect_status 2
expect_stderr "$HARNESS_TMP/app/golfops.toml:5: migrate.dir: '$HARNESS_TMP/app/gone' is not a directory"

test_case "transaction control inside a transactional file: refused before anything runs"
new_db txctl
mkdir -p txctl
printf 'BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\nSELECT 1/0;\n' >txctl/0001_midway.up.sql
use_db txctl txctl
for verb in up plan validate; do
  run "$GOLFOPS" migrate $verb
  expect_status 2
  expect_stderr "0001_midway.up.sql:3: COMMIT in a migration golfops runs in one transaction"
  expect_stderr "golfops:no-transaction"
done
[[ $(sql txctl "select count(*) from pg_tables where tablename in ('a', 'b', 'golfops_schema_migrations')") == 0 ]] ||
  fail "something was written"
run "$GOLFOPS" migrate status --exit-code
expect_status 1
grep -qF "0001_midway.up.sql:3: COMMIT" "$RUN_OUT" "$RUN_ERR" || fail "status does not flag the file up would refuse"

test_case "a file wrapped in BEGIN ... COMMIT (golang-migrate style) runs in golfops' transaction"
rm txctl/*
printf 'BEGIN;\nCREATE TABLE wrapped (id int);\nCOMMIT;\n' >txctl/0001_wrapped.up.sql
printf 'begin transaction;\nCREATE TABLE half (id int);\nSELECT 1/0;\nend;\n' >txctl/0002_fails.up.sql
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "0002_fails.up.sql:3:1: division by zero"
expect_stderr "nothing from it persists"
[[ $(sql txctl "select to_regclass('wrapped') is not null and to_regclass('half') is null") == t ]] ||
  fail "0001 should be applied and 0002 rolled back entirely"

test_case "statements that cannot run in a transaction are found before running, with the fix"
new_db conc_db
mkdir -p conc
printf 'CREATE TABLE t (id int);\n' >conc/0001_t.up.sql
printf -- '-- an index\ncreate unique index concurrently t_id on t (id);\n' >conc/0002_index.up.sql
use_db conc_db conc
for verb in up plan validate; do
  run "$GOLFOPS" migrate $verb
  expect_status 2
  expect_stderr "0002_index.up.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block: put '-- golfops:no-transaction' on the first line of 0002_index.up.sql"
done
[[ $(sql conc_db "select to_regclass('t') is null") == t ]] || fail "0001 ran although 0002 was refused"
printf -- '-- golfops:no-transaction\ncreate unique index concurrently t_id on t (id);\n' >conc/0002_index.up.sql
printf 'VACUUM t;\n' >conc/0003_vacuum.up.sql
run "$GOLFOPS" migrate up
expect_status 2
expect_stderr "0003_vacuum.up.sql:1: VACUUM cannot run inside a transaction block"
rm conc/0003_vacuum.up.sql
cat >conc/0003_atomic.up.sql <<'SQL'
CREATE FUNCTION answer() RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT 42;
END;
SQL
run "$GOLFOPS" migrate up
expect_status 0
[[ $(sql conc_db "select answer()") == 42 ]] || fail "BEGIN ATOMIC function not created"

test_case "golang-migrate's state (schema_migrations version bigint, dirty boolean) is detected and adopted"
new_db gm_db
mkdir -p gm
for n in 1 2 3; do printf 'CREATE TABLE gm_t%d (id int);\n' "$n" >gm/000${n}_t${n}.up.sql; done
sql gm_db "CREATE TABLE gm_t1 (id int); CREATE TABLE gm_t2 (id int);
  CREATE TABLE schema_migrations (version bigint NOT NULL, dirty boolean NOT NULL, PRIMARY KEY (version));
  INSERT INTO schema_migrations VALUES (2, false);"
use_db gm_db gm
for verb in status up plan; do
  run "$GOLFOPS" migrate $verb
  expect_status 4
  expect_stderr "golang-migrate manages this database (public.schema_migrations)"
  expect_stderr "golfops migrate adopt"
done
[[ $(sql gm_db "select to_regclass('gm_t3') is null and to_regclass('golfops_schema_migrations') is null") == t ]] ||
  fail "something ran before adopting"
sql gm_db "UPDATE schema_migrations SET dirty = true"
run "$GOLFOPS" migrate adopt
expect_status 4
expect_stderr "is dirty at version 2"
sql gm_db "UPDATE schema_migrations SET dirty = false"
run "$GOLFOPS" migrate adopt
expect_status 0
expect_stdout "adopted 2 migration(s) applied by golang-migrate"
run "$GOLFOPS" migrate status -o json
expect_json '[.migrations[] | .state] == ["applied", "applied", "pending"]'
run "$GOLFOPS" migrate up
expect_status 0
[[ $(sql gm_db "select to_regclass('gm_t3') is not null") == t ]] || fail "0003 did not run after adopting"
run "$GOLFOPS" migrate adopt
expect_status 4

test_case "dbmate's schema_migrations(version varchar) is detected and adopted"
new_db dbmate_db
mkdir -p dbm
printf -- '-- migrate:up\nCREATE TABLE dbm_a (id int);\n-- migrate:down\nDROP TABLE dbm_a;\n' >dbm/20240101000000_a.sql
printf -- '-- migrate:up\nCREATE TABLE dbm_b (id int);\n-- migrate:down\nDROP TABLE dbm_b;\n' >dbm/20240201000000_b.sql
sql dbmate_db "CREATE TABLE dbm_a (id int);
  CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
  INSERT INTO schema_migrations VALUES ('20240101000000');"
use_db dbmate_db dbm
run "$GOLFOPS" migrate up
expect_status 4
expect_stderr "dbmate manages this database"
run "$GOLFOPS" migrate adopt
expect_status 0
expect_stdout "adopted 1 migration(s) applied by dbmate"
run "$GOLFOPS" migrate up
expect_status 0
[[ $(sql dbmate_db "select to_regclass('dbm_b') is not null") == t ]] || fail "the pending dbmate file did not run"

test_case "Flyway's flyway_schema_history is detected; a failed row is refused until repaired"
new_db flyway_db
mkdir -p fly
printf 'CREATE TABLE fly_a (id int);\n' >fly/V1__a.sql
printf 'CREATE TABLE fly_b (id int);\n' >fly/V2__b.sql
printf 'CREATE TABLE fly_c (id int);\n' >fly/V3__c.sql
sql flyway_db "CREATE TABLE fly_a (id int); CREATE TABLE fly_b (id int);
  CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
    description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL,
    checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
    execution_time int NOT NULL, success boolean NOT NULL);
  INSERT INTO flyway_schema_history VALUES
    (1, '1', 'a', 'SQL', 'V1__a.sql', 1, 'app', now(), 5, true),
    (2, '2', 'b', 'SQL', 'V2__b.sql', 2, 'app', now(), 5, false);"
use_db flyway_db fly
run "$GOLFOPS" migrate status
expect_status 4
expect_stderr "Flyway manages this database (public.flyway_schema_history, version 2 failed"
run "$GOLFOPS" migrate adopt
expect_status 4
expect_stderr "flyway repair"
sql flyway_db "UPDATE flyway_schema_history SET success = true"
run "$GOLFOPS" migrate adopt
expect_status 0
run "$GOLFOPS" migrate status -o json
expect_json '[.migrations[] | .state] == ["applied", "applied", "pending"]'

test_case "least privilege: a role that may create only in its schema runs migrate up"
# The grants docs/migrate.md lists as the minimum, and nothing more.
sql postgres "CREATE ROLE lp_migrator LOGIN PASSWORD 'lp-migrator-pw'" >/dev/null
new_db lp_db
sql postgres "REVOKE ALL ON DATABASE lp_db FROM PUBLIC; GRANT CONNECT ON DATABASE lp_db TO lp_migrator" >/dev/null
sql lp_db "GRANT USAGE, CREATE ON SCHEMA public TO lp_migrator;" >/dev/null
mkdir -p lp
printf 'CREATE TABLE lp_t (id int);\n' >lp/0001_t.up.sql
cat >golfops.toml <<TOML
[database]
url = "postgres://lp_migrator:lp-migrator-pw@127.0.0.1:$PG_PORT/lp_db"
[migrate]
dir = "lp"
TOML
run "$GOLFOPS" migrate up
expect_status 0
run "$GOLFOPS" migrate status --exit-code
expect_status 0
printf 'CREATE SCHEMA other_schema;\n' >lp/0002_schema.up.sql
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "0002_schema.up.sql:1:1: permission denied for database lp_db"

test_case "migrate create follows the directory's layout: padding, timestamps, dbmate and Flyway files"
mkdir -p layout_seq layout_ts
printf 'select 1;\n' >layout_seq/000007_x.up.sql
printf 'select 1;\n' >layout_ts/20240101120000_x.up.sql
run "$GOLFOPS" migrate create next_step --dir layout_seq
expect_status 0
[[ -f layout_seq/000008_next_step.up.sql && -f layout_seq/000008_next_step.down.sql ]] || fail "not 000008: $(ls layout_seq)"
run "$GOLFOPS" migrate create next_step --dir layout_ts
expect_status 0
ls layout_ts | grep -qE '^20[0-9]{12}_next_step\.up\.sql$' || fail "no timestamp version: $(ls layout_ts)"
run "$GOLFOPS" migrate create next_step --dir dbm
expect_status 0
created=$(ls dbm | grep next_step)
[[ $created =~ ^20[0-9]{12}_next_step\.sql$ ]] && grep -q -- '-- migrate:up' "dbm/$created" || fail "not a dbmate file: $created"
run "$GOLFOPS" migrate create next_step --dir fly
expect_status 0
[[ -f fly/V4__next_step.sql ]] || fail "not V4__next_step.sql: $(ls fly)"

test_case "archived files: applied versions below migrate.archived_below need no file"
new_db archive
mkdir -p archiving
for n in 1 2 3; do printf 'create table a%d (id int);\n' "$n" >archiving/000${n}_a$n.up.sql; done
printf 'drop table a3;\n' >archiving/0003_a3.down.sql
use_db archive "$HARNESS_TMP/archiving"
run "$GOLFOPS" migrate up
expect_status 0
rm archiving/0001_a1.up.sql archiving/0002_a2.up.sql
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "version 1 (a1) is applied but its file is missing from the migrations directory; if old files were archived on purpose, set migrate.archived_below"
printf 'archived_below = "3"\n' >>golfops.toml
run "$GOLFOPS" migrate status --exit-code
expect_status 0
expect_stdout "1..2"
expect_stdout "(2 without files)"
run "$GOLFOPS" migrate status -o json
expect_json '[.migrations[] | .state] == ["archived", "archived", "applied"] and .applied == 3 and .problems == []'
printf 'create table a4 (id int);\n' >archiving/0004_a4.up.sql
printf 'drop table a4;\n' >archiving/0004_a4.down.sql
run "$GOLFOPS" migrate up
expect_status 0
# A version below the bound whose file is gone cannot be reverted: refused before any step runs.
run "$GOLFOPS" migrate down --to 0 --yes
expect_status 1
expect_stderr "cannot revert version 2 (a2): its file is archived (below migrate.archived_below)"
[[ $(sql archive "select count(*) from golfops_schema_migrations") == 4 ]] || fail "down reverted something"
# A file removed above the bound is still missing.
rm archiving/0004_a4.up.sql archiving/0004_a4.down.sql
run "$GOLFOPS" migrate status --exit-code
expect_status 1
expect_stdout "version 4 (a4) is applied but its file is missing"
run env GOLFOPS_MIGRATE_ARCHIVED_BELOW=three "$GOLFOPS" migrate status
expect_status 2
expect_stderr "GOLFOPS_MIGRATE_ARCHIVED_BELOW: 'three' is not a version"
sed -i 's/archived_below = "3"/archived_below = "x1"/' golfops.toml
run "$GOLFOPS" config validate
expect_status 2
expect_stderr "'x1' is not a version"

finish
