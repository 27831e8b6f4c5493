#!/usr/bin/env bash
# CREATE INDEX CONCURRENTLY that fails (duplicate key, lock timeout, SIGINT)
# leaves an INVALID index: golfops names it with the statement that removes
# it, never records the migration applied while it exists, and retries a
# lock timeout only when nothing of the migration persists.
source "$(dirname "$0")/harness.bash"
start_postgres
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
export PGPASSWORD="$PG_PASSWORD"
sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d "$1" -c "$2"; }
setup_db() {
  sql postgres "CREATE DATABASE $1" >/dev/null
  mkdir -p "$1"
  cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/$1"
password_file = "$HARNESS_TMP/pg.password"
[migrate]
dir = "$HARNESS_TMP/$1"
TOML
}
is_valid() { sql "$1" "select indisvalid from pg_index where indexrelid = to_regclass('$2')"; }
state_of() { sql "$1" "select status from golfops_schema_migrations where version = '$2'"; }
# hold DB SQL: a session named 'holder' runs SQL and stays in its transaction
# until release DB ends it.
hold() {
  PGAPPNAME=holder "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d "$1" \
    -c "begin; $2; select pg_sleep(120); commit;" >/dev/null 2>&1 &
  holder=$!
  record_pid "$holder"
  holding() { [[ $(sql "$1" "select count(*) from pg_stat_activity where application_name = 'holder' and wait_event = 'PgSleep'") == 1 ]]; }
  wait_for "the holder's transaction" holding "$1"
}
release() {
  sql "$1" "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'holder'" >/dev/null
  wait "$holder" 2>/dev/null || true
}

test_case "a duplicate key fails the unique build: the INVALID index is named with its DROP, the migration recorded failed"
setup_db dup
printf 'create table dup (id int);\ninsert into dup values (1), (1);\n' >dup/0001_dup.up.sql
printf -- '-- golfops:no-transaction\ncreate unique index concurrently dup_id on dup (id);\n' >dup/0002_unique.up.sql
run "$GOLFOPS" migrate up -o json
expect_status 1
expect_stderr "SQLSTATE 23505"
expect_stderr "index public.dup_id is INVALID"
expect_stderr "DROP INDEX CONCURRENTLY IF EXISTS public.dup_id;"
expect_json '.invalid_indexes == ["public.dup_id"] and .failed_attempts == 1 and .recorded_failed == true'
[[ $(is_valid dup dup_id) == f ]] || fail "expected PostgreSQL to leave dup_id invalid"
[[ $(state_of dup 2) == failed ]] || fail "0002 is $(state_of dup 2), not failed"
# The failed row says what to drop; up refuses until it is repaired.
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "left index public.dup_id INVALID (remove it with DROP INDEX CONCURRENTLY IF EXISTS public.dup_id)"

test_case "force will not mark applied while the index it builds is INVALID"
run "$GOLFOPS" migrate force 2
expect_status 1
expect_stderr "not forced"
expect_stderr "DROP INDEX CONCURRENTLY IF EXISTS public.dup_id;"
[[ $(state_of dup 2) == failed ]] || fail "force changed the row"

test_case "a rerun with IF NOT EXISTS would keep the INVALID index: refused before anything runs"
sql dup "delete from dup where ctid = (select max(ctid) from dup)"
run "$GOLFOPS" migrate force 2 --pending
expect_status 0
printf -- '-- golfops:no-transaction\ncreate unique index concurrently if not exists dup_id on dup (id);\n' >dup/0002_unique.up.sql
printf 'create table later (id int);\n' >dup/0003_later.up.sql
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "0002_unique.up.sql: index public.dup_id is INVALID"
expect_stderr "nothing was run"
[[ $(sql dup "select to_regclass('later') is null") == t ]] || fail "0003 ran although up was refused"
[[ -z $(state_of dup 2) ]] || fail "0002 was recorded"

test_case "after the DROP the build runs again and is recorded applied"
sql dup "drop index concurrently dup_id"
run "$GOLFOPS" migrate up -o json
expect_status 0
expect_json '[.steps[].version] == ["0002", "0003"] and .invalid_indexes == []'
[[ $(is_valid dup dup_id) == t ]] || fail "dup_id not valid"
[[ $(state_of dup 2) == applied ]] || fail "0002 not applied"

test_case "a file that ends with an INVALID index it builds is recorded failed, not applied"
# The index turns invalid without an error, as when it appears between the
# check before the run and the build (another session); simulated here.
cat >dup/0004_sneaky.up.sql <<'SQL'
-- golfops:no-transaction
create index concurrently if not exists sneaky on dup (id);
update pg_index set indisvalid = false where indexrelid = 'sneaky'::regclass;
SQL
run "$GOLFOPS" migrate up -o json
expect_status 1
expect_stderr "not recorded as applied while an INVALID index it builds exists"
expect_json '.invalid_indexes == ["public.sneaky"] and .recorded_failed == true'
[[ $(state_of dup 4) == failed ]] || fail "0004 is '$(state_of dup 4)', not failed"

test_case "lock timeout after the build began: the INVALID index is reported and nothing is retried"
setup_db waits
printf 'create table t (id int);\n' >waits/0001_t.up.sql
run "$GOLFOPS" migrate up
expect_status 0
printf -- '-- golfops:no-transaction\ncreate index concurrently t_id on t (id);\n' >waits/0002_index.up.sql
# An open writer: the build registers its index, then waits for the writer
# to finish, and that wait hits lock_timeout.
hold waits "insert into t values (1)"
run env GOLFOPS_MIGRATE_DDL_RETRIES=3 "$GOLFOPS" migrate up --ddl-lock-timeout 300ms -o json
expect_status 1
expect_stderr "SQLSTATE 55P03"
expect_stderr "index public.t_id is INVALID"
expect_stderr "not retried: the statement that timed out left an INVALID index"
grep -q "retry 1/" "$RUN_ERR" && fail "retried a build that left an INVALID index"
expect_json '.failed_attempts == 1 and .invalid_indexes == ["public.t_id"]'
release waits
[[ $(is_valid waits t_id) == f ]] || fail "t_id should be invalid"
sql waits "drop index concurrently t_id"
run "$GOLFOPS" migrate force 2 --pending
expect_status 0

test_case "lock timeout before the build began: retried, and the count printed is the count made"
hold waits "lock table t in share mode"
run env GOLFOPS_MIGRATE_DDL_RETRIES=2 "$GOLFOPS" migrate up --ddl-lock-timeout 100ms -o json
expect_status 1
expect_stderr "gave up after 3 attempt(s)"
expect_stderr "retry 2/2"
[[ $(grep -c "lock_timeout (100ms) hit" "$RUN_ERR") == 2 ]] || fail "expected 2 retry warnings"
expect_json '.failed_attempts == 3 and .invalid_indexes == [] and .recorded_failed == false'
expect_stderr "failed in its first statement, which left nothing behind: nothing from it persists"
[[ -z $(state_of waits 2) ]] || fail "nothing persisted, yet 0002 was recorded"

test_case "lock timeout after earlier statements ran without a transaction: not retried, recorded failed"
printf -- '-- golfops:no-transaction\ncreate table before_it (id int);\ncreate index concurrently t_id on t (id);\n' >waits/0002_index.up.sql
run env GOLFOPS_MIGRATE_DDL_RETRIES=2 "$GOLFOPS" migrate up --ddl-lock-timeout 100ms -o json
expect_status 1
expect_stderr "not retried: it runs without a transaction and the statements before the one that timed out persist"
expect_json '.failed_attempts == 1 and .recorded_failed == true'
[[ $(state_of waits 2) == failed ]] || fail "0002 not recorded failed"
release waits
sql waits "drop table before_it"
run "$GOLFOPS" migrate force 2 --pending
expect_status 0

test_case "SIGINT during the build: exit 130, the INVALID index named, the migration recorded failed"
printf -- '-- golfops:no-transaction\ncreate index concurrently t_id on t (id);\n' >waits/0002_index.up.sql
hold waits "insert into t values (2)"
"$GOLFOPS" migrate up --ddl-lock-timeout 60s >up.out 2>up.err &
migrate_pid=$!
building() { [[ $(sql waits "select count(*) from pg_stat_activity where application_name = 'golfops' and wait_event_type = 'Lock'") == 1 ]]; }
wait_for --pid "$migrate_pid" "the build waiting for the writer" building
signal_and_wait INT "$migrate_pid" 130
RUN_ERR=up.err
expect_stderr "interrupted (SIGINT) while applying 0002_index"
expect_stderr "DROP INDEX CONCURRENTLY IF EXISTS public.t_id;"
RUN_ERR="$HARNESS_TMP/err"
release waits
[[ $(is_valid waits t_id) == f ]] || fail "t_id should be invalid after the cancel"
[[ $(state_of waits 2) == failed ]] || fail "0002 is '$(state_of waits 2)', not failed"

test_case "CREATE INDEX CONCURRENTLY names are read as PostgreSQL reads them"
setup_db names
printf 'create schema app;\ncreate table app."Mixed" (id int);\ninsert into app."Mixed" values (1), (1);\n' >names/0001_t.up.sql
printf -- '-- golfops:no-transaction\n/* comment */ CREATE UNIQUE INDEX CONCURRENTLY "Odd ""Name""" ON ONLY app."Mixed" (id);\n' >names/0002_index.up.sql
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr 'DROP INDEX CONCURRENTLY IF EXISTS app."Odd ""Name""";'
sql names "delete from app.\"Mixed\" where ctid = (select max(ctid) from app.\"Mixed\")"
run "$GOLFOPS" migrate force 2 --pending
expect_status 0
run "$GOLFOPS" migrate up
expect_status 1
expect_stderr "nothing was run"
sql names 'drop index concurrently app."Odd ""Name"""'
run "$GOLFOPS" migrate up
expect_status 0

finish
