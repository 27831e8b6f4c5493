#!/usr/bin/env bash
# `golfops backup` and `golfops restore` against a real PostgreSQL 15: what
# is restored equals what was backed up, damage and interruptions never
# leave a backup that looks good, and the password never reaches argv.
source "$(dirname "$0")/harness.bash"
start_postgres
start_redis
cd "$HARNESS_TMP"
printf '%s\n' "$PG_PASSWORD" >pg.password
chmod 600 pg.password
export PGPASSWORD="$PG_PASSWORD"
sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U golfops -d "$1" -c "$2"; }
cat >golfops.toml <<TOML
[database]
url = "postgres://golfops@127.0.0.1:$PG_PORT/shop"
password_file = "$HARNESS_TMP/pg.password"
[redis]
url = "redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
[backup]
dir = "$HARNESS_TMP/backups"
keep_daily = 0
keep_weekly = 0
keep_monthly = 0
keep_last = 2
TOML
export GOLFOPS_CONFIG="$HARNESS_TMP/golfops.toml"

sql postgres "CREATE DATABASE shop" >/dev/null
sql shop "
CREATE SCHEMA sales;
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, data jsonb, blob bytea, note text);
INSERT INTO items (name, data, blob, note)
SELECT 'item ' || g, jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 7)),
       decode(md5(g::text), 'hex'),
       CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN E'line one\nline two' WHEN 2 THEN E'tab\there \\\\ back'
                  WHEN 3 THEN 'ünïcødé ✓' ELSE E'\\\\.' END
FROM generate_series(1, 20000) g;
CREATE TABLE sales.\"Order Lines\" (id bigint PRIMARY KEY, item int REFERENCES items, qty int);
INSERT INTO sales.\"Order Lines\" SELECT g, 1 + g % 20000, g % 9 FROM generate_series(1, 5000) g;
CREATE TABLE empty_table (id int);
CREATE INDEX items_name ON items (name);
CREATE VIEW big_orders AS SELECT * FROM sales.\"Order Lines\" WHERE qty > 5;
ANALYZE;
"
# Every user table: rows and the md5 of its ordered contents.
fingerprint() {
  sql "$1" "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname IN ('public', 'sales') ORDER BY 1" |
    while IFS= read -r table; do
      quoted=$(sql "$1" "SELECT format('%I.%I', split_part('$table', '.', 1), split_part('$table', '.', 2))")
      echo "$table $(sql "$1" "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM $quoted t")"
    done
}
newest_id() { "$GOLFOPS" backup list -o json | jq -r '.backups[0].id'; }
backups_listed() { "$GOLFOPS" backup list -o json | jq '.backups | length'; }

test_case "backup, then restore into a new database: every table's rows and contents are equal"
run "$GOLFOPS" backup --label first -o json
expect_status 0
expect_json '.database == "shop" and .label == "first" and .bytes_out < .bytes_in'
expect_json '[.tables[] | select(.name == "items") | .rows] == [20000]'
expect_json '[.tables[] | select(.name == "Order Lines") | .rows] == [5000]'
first=$(jq -r .id "$RUN_OUT")
archive=$(jq -r .path "$RUN_OUT")
[[ $(stat -c %a "$archive") == 600 ]] || fail "archive mode $(stat -c %a "$archive")"
[[ $(stat -c %a "${archive%.dump.zst}.json") == 600 ]] || fail "manifest not 0600"
[[ $(sha256sum "$archive" | cut -d' ' -f1) == $(jq -r .sha256 "$RUN_OUT") ]] || fail "sha256 differs"
run "$GOLFOPS" restore "$first" --target-db shop_copy --create --jobs 2 -o json
expect_status 0
expect_json '.created == true and .mismatches == []'
expect_json '[.tables[] | select(.name == "items") | .restored] == [20000]'
[[ "$(fingerprint shop)" == "$(fingerprint shop_copy)" ]] || fail "restored contents differ: $(diff <(fingerprint shop) <(fingerprint shop_copy))"
[[ $(sql shop_copy "SELECT count(*) FROM big_orders") == $(sql shop "SELECT count(*) FROM big_orders") ]] || fail "view differs"

test_case "--jobs 1 streams the archive into pg_restore: the same result"
run "$GOLFOPS" restore latest --target-db shop_stream --create --jobs 1
expect_status 0
[[ "$(fingerprint shop)" == "$(fingerprint shop_stream)" ]] || fail "streamed restore differs"
expect_stdout "restored backup $first into shop_stream (created)"

test_case "a target that has tables is refused without --yes, and left untouched"
sql shop_copy "INSERT INTO empty_table VALUES (42)"
run "$GOLFOPS" restore latest --target-db shop_copy
expect_status 4
expect_stderr "database 'shop_copy' already has 3 table(s)"
[[ $(sql shop_copy "SELECT count(*) FROM empty_table") == 1 ]] || fail "target changed"
# --yes without --clean: the existing objects collide; the cause is named
# (not pg_restore's last line) and so is the state left behind.
run "$GOLFOPS" restore latest --target-db shop_copy --yes
expect_status 1
expect_stderr "already exists"
expect_stderr "stopped part-way: the database now holds part of the backup"
run "$GOLFOPS" restore latest --target-db shop_copy --clean --yes
expect_status 0
[[ $(sql shop_copy "SELECT count(*) FROM empty_table") == 0 ]] || fail "--clean did not restore the backup's contents"
run "$GOLFOPS" restore latest --target-db no_such_db
expect_status 2
expect_stderr "--target-db: database 'no_such_db' does not exist"

test_case "verify: checksum and the whole archive; the manifest remembers"
run "$GOLFOPS" backup verify -o json
expect_status 0
expect_json '.ok == true and .verified_how == "checksum+archive"'
run "$GOLFOPS" backup verify "${first##*-}" --restore-test -o json
expect_status 0
expect_json '.verified_how == "restore-test" and ([.tables[] | select(.rows != .restored)] | length) == 0'
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'golfops_verify_%'") == 0 ]] || fail "throwaway database left behind"
run "$GOLFOPS" backup list
expect_stdout "restore-test"

test_case "a flipped byte: verify exits 1, restore refuses and creates nothing"
run "$GOLFOPS" backup --label second -o json
second=$(jq -r .id "$RUN_OUT")
damaged=$(jq -r .path "$RUN_OUT")
cp "$damaged" pristine.zst
size=$(stat -c %s "$damaged")
flip_byte "$damaged" $((size / 2))
run "$GOLFOPS" backup verify "$second"
expect_status 1
expect_stderr "SHA-256 of $second.dump.zst is"
run "$GOLFOPS" backup list -o json
expect_json "[.backups[] | select(.id == \"$second\") | .verified_how] == [\"failed\"]"
run "$GOLFOPS" restore "$second" --target-db shop_damaged --create
expect_status 1
expect_stderr "is damaged"
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'shop_damaged'") == 0 ]] || fail "a database was created from a damaged backup"
cp pristine.zst "$damaged"

test_case "two backups of one database at once: the second exits 4 naming the holder"
exec 7>"$HARNESS_TMP/backups/shop/.lock"
flock 7
run "$GOLFOPS" backup
expect_status 4
expect_stderr "is held by pid"
exec 7>&-

# hold_table [DB]: a session that keeps an ACCESS EXCLUSIVE lock on items,
# so pg_dump waits (it locks every table before dumping), as does a
# pg_restore --clean (it drops the table).
hold_table() {
  PGAPPNAME=holder "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U golfops -d "${1:-shop}" \
    -c "begin; lock table items in access exclusive mode; select pg_sleep(120); commit;" >/dev/null 2>&1 &
  holder=$!
  record_pid "$holder"
  wait_for "the holder's lock" holder_sleeps
}
holder_sleeps() { [[ $(sql postgres "select count(*) from pg_stat_activity where application_name = 'holder' and wait_event = 'PgSleep'") == 1 ]]; }
release_table() {
  sql postgres "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'holder'" >/dev/null
  wait "$holder" 2>/dev/null || true
}
dump_waiting() { [[ $(sql postgres "select count(*) from pg_stat_activity where application_name = 'golfops backup' and wait_event_type = 'Lock'") == 1 ]]; }
pg_dump_pid() { pgrep -f "^$PG_BIN/pg_dump " | head -1; }
no_pg_dump() { [[ -z $(pg_dump_pid) ]]; }
temporaries() { find "$HARNESS_TMP/backups/shop" -name '.*.tmp.*' | wc -l; }

test_case "the password never reaches pg_dump's argv; it gets a 0600 passfile"
hold_table
"$GOLFOPS" backup >backup.out 2>backup.err &
backup_pid=$!
wait_for --pid "$backup_pid" "pg_dump waiting for the table lock" dump_waiting
dump=$(pg_dump_pid)
tr '\0' ' ' <"/proc/$dump/cmdline" >dump.cmdline
grep -q "$PG_PASSWORD" dump.cmdline && fail "the password is in pg_dump's argv"
grep -q "host='127.0.0.1'" dump.cmdline || fail "pg_dump's argv lacks the connection: $(cat dump.cmdline)"
grep -q "sslmode=" dump.cmdline && fail "libpq's compiled defaults are repeated in pg_dump's argv: $(cat dump.cmdline)"
passfile=$(tr '\0' '\n' <"/proc/$dump/environ" | sed -n 's/^PGPASSFILE=//p')
[[ -n $passfile && $(stat -c %a "$passfile") == 600 ]] || fail "no 0600 passfile ($passfile)"
tr '\0' '\n' <"/proc/$dump/environ" | grep -q "PGPASSWORD" && fail "PGPASSWORD in pg_dump's environment"

test_case "SIGINT during a backup: exit 130, pg_dump gone, no temporary file, nothing listed"
before=$(backups_listed)
signal_and_wait INT "$backup_pid" 130
wait_for "pg_dump to be gone" no_pg_dump
[[ $(temporaries) == 0 ]] || fail "temporary files left: $(find "$HARNESS_TMP/backups" -name '.*')"
[[ $(backups_listed) == "$before" ]] || fail "an interrupted backup is listed"
[[ -z $passfile || ! -e $passfile ]] || fail "the passfile outlived the backup"

test_case "kill -9 during a backup: nothing listed, the lock released, the next backup cleans up and succeeds"
"$GOLFOPS" backup >/dev/null 2>&1 &
backup_pid=$!
wait_for --pid "$backup_pid" "pg_dump waiting for the table lock" dump_waiting
kill -9 "$backup_pid"
wait "$backup_pid" 2>/dev/null || true
release_table
wait_for "the orphaned pg_dump to end" no_pg_dump
[[ $(backups_listed) == "$before" ]] || fail "a killed backup is listed"
run "$GOLFOPS" backup -v
expect_status 0
expect_stderr "left by a backup that did not finish"
[[ $(temporaries) == 0 ]] || fail "temporary files left after the next backup"
[[ $(backups_listed) == $((before + 1)) ]] || fail "the next backup is not listed"

test_case "pg_dump killed halfway: the backup fails, nothing is listed, earlier backups untouched"
before=$(backups_listed)
sums=$(sha256sum "$HARNESS_TMP"/backups/shop/*.dump.zst)
hold_table
"$GOLFOPS" backup >backup.out 2>backup.err &
backup_pid=$!
wait_for --pid "$backup_pid" "pg_dump waiting for the table lock" dump_waiting
kill -9 "$(pg_dump_pid)"
set +e
wait "$backup_pid"
status=$?
set -e
release_table
[[ $status == 1 ]] || fail "backup exited $status after pg_dump was killed"
grep -q "pg_dump of shop was killed by signal 9; no backup was written, earlier backups are untouched" backup.err ||
  fail "message: $(cat backup.err)"
[[ $(backups_listed) == "$before" ]] || fail "a failed backup is listed"
[[ $(sha256sum "$HARNESS_TMP"/backups/shop/*.dump.zst) == "$sums" ]] || fail "earlier backups changed"
[[ $(temporaries) == 0 ]] || fail "temporary files left"

test_case "a full disk: a clear error, nothing partial left"
mkdir -p small
mount -t tmpfs -o size=64k tmpfs small || fail "cannot mount a small tmpfs (the suite runs as root)"
run env GOLFOPS_BACKUP_DIR="$HARNESS_TMP/small" "$GOLFOPS" backup
umount_small() { umount "$HARNESS_TMP/small"; }
on_cleanup umount_small
expect_status 1
expect_stderr "No space left on device"
[[ $(find small -type f -name '*.zst*' | wc -l) == 0 ]] || fail "partial files on the full disk: $(ls -la small/shop)"

test_case "SIGINT during a restore: exit 130, pg_restore gone, the scratch copy removed"
hold_table shop_copy
restore_waiting() { [[ $(sql postgres "select count(*) from pg_stat_activity where application_name = 'golfops restore' and wait_event_type = 'Lock'") -ge 1 ]]; }
no_pg_restore() { [[ -z $(pgrep -f "^$PG_BIN/pg_restore ") ]]; }
"$GOLFOPS" restore latest --target-db shop_copy --clean --yes --jobs 2 >restore.out 2>restore.err &
restore_pid=$!
wait_for --pid "$restore_pid" "pg_restore waiting for the table lock" restore_waiting
signal_and_wait INT "$restore_pid" 130
wait_for "pg_restore to be gone" no_pg_restore
release_table
[[ $(find "$HARNESS_TMP/backups" -name '.restore-*' | wc -l) == 0 ]] || fail "scratch copy left"
grep -q "interrupted (SIGINT)" restore.err || fail "message: $(cat restore.err)"

# A database whose rows pass a domain check that a role setting can make
# slow or refuse, so a restore's own loading phase can be held and failed.
sql postgres "CREATE DATABASE gated" >/dev/null
sql gated "
CREATE FUNCTION restore_gate(v int) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
  IF current_setting('golfops_test.gate', true) = 'sleep' THEN PERFORM pg_sleep(60); END IF;
  IF current_setting('golfops_test.gate', true) = 'nap' THEN PERFORM pg_sleep(0.5); END IF;
  RETURN coalesce(current_setting('golfops_test.gate', true), '') <> 'refuse' OR v < 3;
END \$\$;
CREATE DOMAIN gated_int AS int CHECK (restore_gate(VALUE));
CREATE TABLE gate (id gated_int);
INSERT INTO gate VALUES (1), (2), (3);
-- Three rows of 5 MB: a batch each (batches are cut at 4 MiB).
CREATE TABLE wide (id gated_int, payload text);
INSERT INTO wide SELECT g, repeat(md5(g::text), 160000) FROM generate_series(1, 3) g;
CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, 200000) g;
ALTER TABLE big ADD PRIMARY KEY (id);
CREATE TABLE child (id int PRIMARY KEY, big_id int REFERENCES big);
INSERT INTO child SELECT g, g FROM generate_series(1, 1000) g;
CREATE SEQUENCE counter START 1;
SELECT setval('counter', 4242);
"
"$GOLFOPS" backup --database gated --dir "$HARNESS_TMP/gated-backups" >/dev/null
gate() { sql postgres "ALTER ROLE golfops SET golfops_test.gate = '$1'" >/dev/null; }

test_case "golfops loads the rows itself: a big table split across --jobs sessions, counts from COPY, schema whole"
# While one session's row naps in the server, the next batch goes to the other.
gate nap
run "$GOLFOPS" restore latest --database gated --dir "$HARNESS_TMP/gated-backups" --target-db gated_copy --create --jobs 2 -o json
gate ''
expect_status 0
expect_json '.rows_loaded_by == "golfops" and .mismatches == []'
expect_json '[.tables[] | select(.name == "big") | .restored] == [200000]'
[[ "$(fingerprint gated)" == "$(fingerprint gated_copy)" ]] || fail "restored contents differ"
# Each session's COPY is its own transaction: two writers, two xmins.
[[ $(sql gated_copy "SELECT count(DISTINCT xmin::text) FROM wide") == 2 ]] || fail "wide was not split across two sessions"
[[ $(sql gated_copy "SELECT last_value FROM counter") == 4242 ]] || fail "the sequence value was not restored"
[[ $(sql gated_copy "SELECT count(*) FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype = 'f'") == 1 ]] || fail "the foreign key is missing"
sql gated_copy "SELECT 1 FROM pg_indexes WHERE indexname = 'big_pkey'" | grep -q 1 || fail "the primary key is missing"
[[ $(find "$HARNESS_TMP/gated-backups" -name '.restore-*' | wc -l) == 0 ]] || fail "temporary files left"
run "$GOLFOPS" restore latest --database gated --dir "$HARNESS_TMP/gated-backups" --target-db gated_one --create --jobs 1 -o json
expect_status 0
[[ $(sql gated_one "SELECT count(DISTINCT xmin::text) FROM wide") == 1 ]] || fail "--jobs 1 used more than one session"
[[ "$(fingerprint gated)" == "$(fingerprint gated_one)" ]] || fail "--jobs 1 contents differ"
run "$GOLFOPS" restore latest --database gated --dir "$HARNESS_TMP/gated-backups" --target-db gated_one --clean --yes -o json
expect_status 0
expect_json '.rows_loaded_by == "pg_restore" and .mismatches == []'

test_case "large objects: pg_restore restores the whole archive, the objects with it"
sql postgres "CREATE DATABASE lobs" >/dev/null
sql lobs "CREATE TABLE docs (id int, body oid); INSERT INTO docs VALUES (1, lo_from_bytea(0, 'large object body'))" >/dev/null
"$GOLFOPS" backup --database lobs --dir "$HARNESS_TMP/gated-backups" >/dev/null
run "$GOLFOPS" restore latest --database lobs --dir "$HARNESS_TMP/gated-backups" --target-db lobs_copy --create -o json
expect_status 0
expect_json '.rows_loaded_by == "pg_restore" and .mismatches == []'
[[ $(sql lobs_copy "SELECT convert_from(lo_get(body), 'UTF8') FROM docs") == "large object body" ]] || fail "the large object was not restored"

test_case "a row the target refuses while loading: exit 1 naming it, the created database dropped"
gate refuse
run "$GOLFOPS" restore latest --database gated --dir "$HARNESS_TMP/gated-backups" --target-db gated_refused --create
gate ''
expect_status 1
expect_stderr "loading public.gate: "
expect_stderr "line 3"
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'gated_refused'") == 0 ]] || fail "the created database was left"

test_case "SIGINT while golfops loads rows: exit 130, sessions and database gone, temporary files removed"
gate sleep
"$GOLFOPS" restore latest --database gated --dir "$HARNESS_TMP/gated-backups" --target-db gated_copy2 --create >restore.out 2>restore.err &
restore_pid=$!
copying() { [[ $(sql postgres "select count(*) from pg_stat_activity where datname = 'gated_copy2' and query like 'COPY %' and wait_event = 'PgSleep'") -ge 1 ]]; }
wait_for --pid "$restore_pid" "a COPY held by the gate" copying
gate ''
signal_and_wait INT "$restore_pid" 130
[[ $(sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'gated_copy2'") == 0 ]] || fail "sessions left"
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'gated_copy2'") == 0 ]] || fail "the created database was left"
[[ $(find "$HARNESS_TMP/gated-backups" -name '.restore-*' | wc -l) == 0 ]] || fail "temporary files left"
grep -q "interrupted (SIGINT)" restore.err || fail "message: $(cat restore.err)"

test_case "prune keeps what the policy says and the newest verified backup; --dry-run removes nothing"
"$GOLFOPS" backup
"$GOLFOPS" backup
run "$GOLFOPS" backup prune --dry-run
expect_stdout "would remove"
run "$GOLFOPS" backup prune --dry-run -o json
expect_status 0
expect_json '.dry_run == true'
kept=$(jq '[.backups[] | select(.keep)] | length' "$RUN_OUT")
total=$(jq '.backups | length' "$RUN_OUT")
[[ $kept == 3 ]] || fail "expected 2 (keep_last) + the newest verified kept, got $kept"
[[ $(backups_listed) == "$total" ]] || fail "--dry-run removed something"
expect_json "[.backups[] | select(.id == \"$first\") | .reasons] == [[\"newest verified\"]]"
run "$GOLFOPS" backup prune
expect_status 4
expect_stderr "pass --yes to confirm"
run "$GOLFOPS" backup prune --yes
expect_status 0
[[ $(backups_listed) == 3 ]] || fail "prune left $(backups_listed)"
[[ $(find "$HARNESS_TMP/backups/shop" -name '*.dump.zst' | wc -l) == 3 ]] || fail "archives left behind"
run env GOLFOPS_BACKUP_KEEP_LAST=0 "$GOLFOPS" backup prune --yes
expect_status 2
expect_stderr "set a retention policy"

test_case "bad input: one line naming the field, exit 2, nothing written"
run "$GOLFOPS" backup --database ../etc
expect_status 2
expect_stderr "--database: '../etc' is not a database name"
run "$GOLFOPS" restore latest --jobs 0
expect_status 2
run env GOLFOPS_BACKUP_COMPRESSION_LEVEL=30 "$GOLFOPS" backup
expect_status 2
expect_stderr "GOLFOPS_BACKUP_COMPRESSION_LEVEL: invalid value 30 (expected 1 to 19)"
run "$GOLFOPS" restore nope
expect_status 2
expect_stderr "ID: no backup 'nope'"
for empty in --database --target-db --dir; do
  run "$GOLFOPS" restore latest "$empty" ""
  expect_status 2
  expect_stderr "$empty: ''"
  expect_stderr_lines 1
done
run "$GOLFOPS" restore latest --jobs ""
expect_status 2
expect_stderr "--jobs: ''"
# A copied directory is not where golfops looks: skipped with a warning,
# never listed as a backup that verify and restore then cannot find.
cp -r backups/shop backups/shop.old
run "$GOLFOPS" backup list -o json
expect_status 0
expect_stderr "outside $HARNESS_TMP/backups/shop; skipped"
[[ $(jq '[.backups[].id] | length == (unique | length)' "$RUN_OUT") == true ]] || fail "a backup listed twice"
rm -r backups/shop.old
touch a-file
run "$GOLFOPS" backup --dir "$HARNESS_TMP/a-file/backups"
expect_status 2
expect_stderr "--dir: cannot use '$HARNESS_TMP/a-file/backups/shop' for backups: Not a directory"
expect_stderr_lines 1

test_case "--metrics-file: written atomically from the catalog; a failure keeps the last success's time"
run "$GOLFOPS" backup --metrics-file "$HARNESS_TMP/backup.prom"
expect_status 0
grep -q '^golfops_backup_error{database="shop"} 0$' backup.prom || fail "no error gauge at 0: $(cat backup.prom)"
success=$(sed -n 's/^golfops_backup_last_success_timestamp_seconds{database="shop"} //p' backup.prom)
[[ -n $success ]] || fail "no last success: $(cat backup.prom)"
[[ $(stat -c %a backup.prom) == 644 ]] || fail "metrics file mode $(stat -c %a backup.prom)"
grep -q '^golfops_backup_last_verified{database="shop"} 0$' backup.prom || fail "the new backup is not verified yet"
run "$GOLFOPS" backup verify --metrics-file "$HARNESS_TMP/backup.prom"
grep -q '^golfops_backup_last_verified{database="shop"} 1$' backup.prom || fail "verify did not refresh the metrics"
# The server refuses: the error is written, the last success stays.
run env GOLFOPS_DATABASE_URL="postgres://golfops@127.0.0.1:$PG_PORT/shop?password=wrong" "$GOLFOPS" backup --metrics-file "$HARNESS_TMP/backup.prom"
expect_status 3
grep -q '^golfops_backup_error{database="shop",reason="auth"} 1$' backup.prom || fail "no auth error: $(cat backup.prom)"
grep -q "^golfops_backup_last_success_timestamp_seconds{database=\"shop\"} $success$" backup.prom || fail "the last success was lost"
grep -q wrong backup.prom && fail "the password reached the metrics file"
# Bad config before anything runs: the file says golfops failed.
run env GOLFOPS_BACKUP_JOBS=0 "$GOLFOPS" backup --metrics-file "$HARNESS_TMP/backup.prom"
expect_status 2
grep -q '^golfops_backup_error{reason="usage"} 1$' backup.prom || fail "no usage error: $(cat backup.prom)"

test_case "health's backup check: the newest verified backup is younger than max_age"
cat >health.toml <<TOML
$(cat golfops.toml)
[[health.check]]
type = "backup"
max_age = "1h"
[[health.check]]
name = "ancient"
type = "backup"
max_age = "100ms"
TOML
sleep 1.1
run env GOLFOPS_CONFIG="$HARNESS_TMP/health.toml" "$GOLFOPS" health -o json
expect_status 1
expect_json '[.checks[] | select(.name == "backup") | .status] == ["pass"]'
expect_json '[.checks[] | select(.name == "ancient") | .reason] == ["stale"]'
run env GOLFOPS_CONFIG="$HARNESS_TMP/health.toml" "$GOLFOPS" health -o prometheus
expect_stdout 'golfops_health_backup_age_seconds{check="backup",type="backup"}'
run env GOLFOPS_CONFIG="$HARNESS_TMP/health.toml" GOLFOPS_BACKUP_DIR="$HARNESS_TMP/empty" "$GOLFOPS" health -o json
expect_json '[.checks[] | select(.name == "backup") | .message] == ["no backups of shop in '"$HARNESS_TMP"'/empty/shop"]'

test_case "the systemd units are valid and run golfops' own verbs"
units="$HARNESS_TMP/units"
mkdir -p "$units"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for unit in golfops-{backup,health,limits}.{service,timer}; do
  sed "s|/usr/bin/golfops|$GOLFOPS|" "$repo/packaging/systemd/$unit" >"$units/$unit"
done
run systemd-analyze verify --man=no "$units"/golfops-*
expect_status 0
# The chain the service runs (backup, verify, prune) works as written.
while IFS= read -r line; do
  line=${line#ExecStart=/usr/bin/golfops }
  read -r -a words <<<"${line//\$\{METRICS_DIR\}/$HARNESS_TMP}"
  run "$GOLFOPS" "${words[@]}"
  expect_status 0
done < <(grep '^ExecStart=' "$repo/packaging/systemd/golfops-backup.service")
grep -q '^golfops_backup_last_verified{database="shop"} 1$' golfops_backup.prom || fail "the chain did not leave a verified backup: $(cat golfops_backup.prom)"
# The health timer's command, as written, fills its metrics file.
line=$(grep '^ExecStart=' "$repo/packaging/systemd/golfops-health.service")
line=${line#ExecStart=/usr/bin/golfops }
read -r -a words <<<"${line//\$\{METRICS_DIR\}/$HARNESS_TMP}"
run "$GOLFOPS" "${words[@]}"
expect_status 0
grep -q '^golfops_health_up{' golfops_health.prom || fail "the health unit wrote no metrics: $(cat golfops_health.prom)"

rcli() { redis-cli -p "$REDIS_PORT" --no-auth-warning -a "$REDIS_PASSWORD" "$@"; }

test_case "backup --redis: an RDB taken over the replication protocol, checksummed and CRC-checked"
for i in $(seq 1 3000); do echo "SET key:$i value-$i"; done | rcli >/dev/null
rcli HSET profile name golfer handicap 12 >/dev/null
rcli -n 3 SET elsewhere 1 >/dev/null
run "$GOLFOPS" backup --redis -o json
expect_status 0
expect_json '.database == "redis" and (.file | endswith(".rdb.zst"))'
expect_json '[.tables[] | {name, estimate}] == [{"name": "db0", "estimate": 3001}, {"name": "db3", "estimate": 1}]'
redis_backup=$(jq -r .id "$RUN_OUT")
redis_file=$(jq -r .path "$RUN_OUT")
[[ $(stat -c %a "$redis_file") == 600 ]] || fail "RDB backup mode $(stat -c %a "$redis_file")"
# head exits after 5 bytes: zstd may then die of SIGPIPE, which pipefail
# would count as a failure of the check itself.
magic=$(zstd -dc "$redis_file" | head -c 5) || true
[[ $magic == REDIS ]] || fail "not an RDB inside: '$magic'"
run "$GOLFOPS" backup verify --redis
expect_status 0
run "$GOLFOPS" restore "$redis_backup"
expect_status 2
expect_stderr "is a Redis backup: restore it with golfops restore --redis"

test_case "restore --redis: refused without --yes; then every key replaced, the server a master again"
rcli FLUSHALL >/dev/null
rcli SET newer 1 >/dev/null
run "$GOLFOPS" restore --redis
expect_status 4
expect_stderr "every one of the 1 keys there now is replaced"
[[ $(rcli DBSIZE) == 1 ]] || fail "the refused restore changed Redis"
run "$GOLFOPS" restore --redis --yes -o json
expect_status 0
[[ $(rcli DBSIZE) == 3001 ]] || fail "db0 has $(rcli DBSIZE) keys after the restore"
[[ $(rcli GET key:1234) == value-1234 ]] || fail "key:1234 not restored"
[[ $(rcli HGET profile handicap) == 12 ]] || fail "hash not restored"
[[ $(rcli -n 3 GET elsewhere) == 1 ]] || fail "db3 not restored"
[[ -z $(rcli GET newer) ]] || fail "a key the backup did not hold survived"
rcli INFO replication | grep -q '^role:master' || fail "Redis was left a replica"
expect_json '[.tables[] | .restored] == [3001, 1]'

test_case "health's backup check with kind = redis looks at the Redis snapshots"
"$GOLFOPS" backup verify --redis >/dev/null
cat >redis-health.toml <<TOML
$(cat golfops.toml)
[[health.check]]
name = "redis_backup"
type = "backup"
kind = "redis"
max_age = "1h"
TOML
run env GOLFOPS_CONFIG="$HARNESS_TMP/redis-health.toml" "$GOLFOPS" health -o json
expect_status 0
expect_json '[.checks[] | select(.name == "redis_backup") | .status] == ["pass"]'
expect_json '[.checks[] | select(.name == "redis_backup") | .message | startswith("newest verified backup")] == [true]'
printf '[[health.check]]\ntype = "backup"\nkind = "memcached"\nmax_age = "1h"\n' >>redis-health.toml
run env GOLFOPS_CONFIG="$HARNESS_TMP/redis-health.toml" "$GOLFOPS" health
expect_status 2
expect_stderr "memcached"

test_case "a PostgreSQL database named redis and the Redis backups share a directory, never a list"
sql postgres "CREATE DATABASE redis" >/dev/null
run "$GOLFOPS" backup --database redis -o json
expect_status 0
run "$GOLFOPS" backup list --database redis -o json
expect_json '[.backups[] | .file | endswith(".dump.zst")] == [true]'
run "$GOLFOPS" backup list --redis -o json
expect_json '([.backups[] | .file | endswith(".rdb.zst")] | all) and (.backups | length) == 1'
run "$GOLFOPS" restore latest --database redis --target-db redis_copy --create
expect_status 0

test_case "a damaged Redis backup: verify exits 1, restore --redis refuses and changes nothing"
size=$(stat -c %s "$redis_file")
flip_byte "$redis_file" $((size / 2))
run "$GOLFOPS" backup verify --redis
expect_status 1
rcli SET marker kept >/dev/null
run "$GOLFOPS" restore --redis --yes
expect_status 1
expect_stderr "is damaged"
[[ $(rcli GET marker) == kept ]] || fail "a damaged backup changed Redis"

test_case "refused credentials during --restore-test say unreachable (3) and leave the backup verified"
run "$GOLFOPS" backup verify
expect_status 0
run env GOLFOPS_DATABASE_URL="postgres://golfops@127.0.0.1:$PG_PORT/shop?password=wrong" "$GOLFOPS" backup verify --restore-test
expect_status 3
run "$GOLFOPS" backup list --database shop -o json
expect_json '.backups[0].verified_at != null'

test_case "the database is found as libpq finds it: PGDATABASE when the URL names none"
run env GOLFOPS_DATABASE_URL="postgres://golfops@127.0.0.1:$PG_PORT" PGDATABASE=shop "$GOLFOPS" backup verify -o json
expect_status 0
expect_json '.database == "shop"'

test_case "--encrypt: restored contents equal; the key is checked by fingerprint first; damage is caught"
umask 077
openssl rand -hex 32 >backup.key
openssl rand -hex 32 >other.key
umask 022
enc=(--dir "$HARNESS_TMP/encrypted")
run "$GOLFOPS" backup "${enc[@]}" --encrypt
expect_status 2
expect_stderr "--encrypt: true needs backup.encryption_key_file"
[[ ! -e encrypted/shop ]] || fail "a refused --encrypt wrote something"
run "$GOLFOPS" backup "${enc[@]}" --key-file backup.key
expect_status 2
expect_stderr "--key-file: given without --encrypt"
run "$GOLFOPS" backup "${enc[@]}" --encrypt --key-file backup.key -o json
expect_status 0
expect_json '.encryption.algorithm == "aes-256-gcm" and (.encryption.key_fingerprint | length) == 16'
sealed=$(jq -r .path "$RUN_OUT")
[[ $sealed == *.dump.zst.enc ]] || fail "encrypted file named $sealed"
[[ $(stat -c %a "$sealed") == 600 ]] || fail "encrypted archive mode $(stat -c %a "$sealed")"
[[ $(head -c 7 "$sealed") == GOLFENC ]] || fail "no encryption header"
! grep -qa "item 1" "$sealed" || fail "plaintext rows in the encrypted file"
! grep -rqF "$(cat backup.key)" encrypted || fail "the key was written beside the backup"
run "$GOLFOPS" backup verify "${enc[@]}" --key-file ""
expect_status 2
expect_stderr "--key-file: '' is not a key file"
run "$GOLFOPS" backup verify "${enc[@]}"
expect_status 2
expect_stderr "is encrypted (key "
run "$GOLFOPS" restore "${enc[@]}" --key-file other.key --target-db shop_wrong_key --create
expect_status 2
expect_stderr "the wrong key; nothing was read"
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'shop_wrong_key'") == 0 ]] || fail "a wrong key created the target"
chmod 644 other.key
run "$GOLFOPS" backup verify "${enc[@]}" --key-file other.key
expect_status 2
expect_stderr "--key-file: 'other.key' is readable by every user (mode 0644); chmod 600 it"
run "$GOLFOPS" backup verify "${enc[@]}" --key-file backup.key --restore-test -o json
expect_status 0
expect_json '.ok == true and ([.tables[] | select(.rows != .restored)] | length) == 0'
for jobs in 1 2; do
  run "$GOLFOPS" restore "${enc[@]}" --key-file backup.key --target-db "shop_enc$jobs" --create --jobs $jobs
  expect_status 0
  [[ "$(fingerprint shop)" == "$(fingerprint "shop_enc$jobs")" ]] || fail "encrypted restore --jobs $jobs differs"
done
# pg_restore alone (--clean) streams an encrypted backup: no decrypted copy on disk.
run "$GOLFOPS" restore "${enc[@]}" --key-file backup.key --target-db shop_enc2 --create --clean --yes --jobs 2 -o json
expect_status 0
expect_json '.rows_loaded_by == "pg_restore"'
[[ "$(fingerprint shop)" == "$(fingerprint shop_enc2)" ]] || fail "encrypted restore --clean differs"
grep -qF "$(cat backup.key)" "$HARNESS_TMP/all-output" && fail "the key appeared in output"
flip_byte "$sealed" $(( $(stat -c %s "$sealed") / 2 ))
# A damaged file whose manifest checksum is brought along too: the
# authentication tags still catch it.
manifest="${sealed%.dump.zst.enc}.json"
jq --arg sum "$(sha256sum "$sealed" | cut -d' ' -f1)" '.sha256 = $sum' "$manifest" >m.json && cat m.json >"$manifest"
run "$GOLFOPS" backup verify "${enc[@]}" --key-file backup.key
expect_status 1
expect_stderr "does not authenticate"
run "$GOLFOPS" restore "${enc[@]}" --key-file backup.key --target-db shop_enc_damaged --create --jobs 1
expect_status 1
[[ $(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'shop_enc_damaged'") == 0 ]] || fail "a damaged encrypted backup left its target"
run "$GOLFOPS" backup --redis "${enc[@]}" --encrypt --key-file backup.key -o json
expect_status 0
run "$GOLFOPS" backup verify --redis "${enc[@]}" --key-file backup.key
expect_status 0

test_case "under cron (no terminal) a successful backup prints nothing; -o json still answers"
run "$GOLFOPS" backup
expect_status 0
expect_no_stdout
run "$GOLFOPS" backup --verbose
expect_stdout "backup "

finish
