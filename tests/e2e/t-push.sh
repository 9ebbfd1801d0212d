#!/usr/bin/env bash
# `benchline push` copies a SQLite store into a real PostgreSQL server
# (tests/pg-server.sh) without duplicates; a wrong password or an unreachable
# server is a clear error with exit status 3, and the password never appears
# in any output. `run` and `show` work on PostgreSQL directly too.
. "$(dirname "$0")/lib.sh"
. "$BENCHLINE_SRC/tests/pg-server.sh"

if ! pg_server_find_bin; then
	echo "SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package postgresql"
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
trap 'rc=$?; pg_server_stop; (exit $rc); cleanup' EXIT
pg_server_start >"$T/pg-start.log" 2>&1 || { cat "$T/pg-start.log"; fail "the test server starts"; }
URL=$BENCHLINE_TEST_PG_URL
PW=$PG_SERVER_PASSWORD
pg() { # pg URL QUERY -> rows
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$1" -c "$2"
}
pg "$URL" "CREATE DATABASE direct" >/dev/null
DIRECT=${URL%/*}/direct

# Every output of benchline in this test goes to $T/all-output, checked for the password at the end.
run_logged() {
	run_bl "$@"
	printf '%s\n%s\n' "$out" "$err" >>"$T/all-output"
}

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
echo "{\"name\": \"score\", \"value\": ${1:-1}, \"unit\": \"pts\", \"better\": \"higher\"}" >>"$BENCHLINE_METRICS"
echo "{\"measurements\": {\"model_load_time\": 2.5, \"first_token_s\": 0.04}}" >>"$BENCHLINE_METRICS"
sleep 0.05
SH
chmod +x "$R/bench/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
build:
  command: "echo building > built.txt"
  shell: true
benchmarks:
  - name: score
    command: [sh, bench/bench.sh, "{value}"]
    params:
      value: [1, 2]
    warmup: 1
    repetitions: 2
YAML
echo v1 >"$R/lib.txt"
commit_at "$R" 1 "first"
echo v2 >"$R/lib.txt"
commit_at "$R" 2 "second"

run_logged -C "$R" run HEAD~1 HEAD
expect_eq "$status" 0 "the sweep into SQLite runs"
DB=$R/.benchline/results.db

tables="machines commits benchmarks builds runs metric_names metric_values metrics model_measurements device_measurements"
counts() { # counts sqlite|pg
	local t
	for t in $tables; do
		if [ "$1" = sqlite ]; then
			printf '%s=%s ' "$t" "$(sql "$DB" "select count(*) from $t")"
		else
			printf '%s=%s ' "$t" "$(pg "$URL" "select count(*) from $t")"
		fi
	done
}

run_logged -C "$R" push --to "$URL"
expect_eq "$status" 0 "push exits 0"
expect_contains "$out" "pushed 12 runs (0 already there) of 4 benchmark cases, 2 builds (0 already there)" "push reports what it copied"
expect_contains "$out" "to postgresql://benchline:***@127.0.0.1:$PG_SERVER_PORT/benchline_test" "push names the server without its password"
first=$(counts pg)
expect_eq "$first" "$(counts sqlite)" "PostgreSQL holds what SQLite holds, table by table"
expect_eq "$(pg "$URL" "select count(*) from device_measurements where run_id is null or time is null")" 0 "samples keep their run and time"
expect_eq "$(pg "$URL" "select count(*) from model_measurements where (measurements->>'model_load_time')::float8 = 2.5")" 12 "model measurements are JSONB"
expect_eq "$(pg "$URL" "select string_agg(status, ',') from (select distinct status from benchmarks) s")" complete "case status copied"
expect_eq "$(pg "$URL" "select count(*) from benchmarks b join commits c on c.repository = b.repository and c.sha = b.commit_id")" 4 "cases refer to their commits"
expect_eq "$(sql "$DB" "select group_concat(created_at, ',') from (select created_at from benchmarks order by benchmark_id)")" \
	"$(pg "$URL" "select string_agg(to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ',' order by benchmark_id) from benchmarks")" \
	"cases keep their creation time"
expect_eq "$(sql "$DB" "select group_concat(started_at, ',') from (select started_at from runs order by run_id)")" \
	"$(pg "$URL" "select string_agg(to_char(started_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ',' order by run_id) from runs")" \
	"run start times copied to the millisecond"
expect_eq "$(sql "$DB" "select printf('%.6f', sum(value)) from metrics")" "$(pg "$URL" "select to_char(sum(value), 'FM999999999.000000') from metrics")" "metric values copied"

run_logged -C "$R" push --to "$URL"
expect_eq "$status" 0 "a second push exits 0"
expect_contains "$out" "pushed 0 runs (12 already there)" "a second push adds nothing"
expect_eq "$(counts pg)" "$first" "row counts unchanged after pushing twice"

# More runs later: only they are pushed.
echo v3 >"$R/lib.txt"
commit_at "$R" 3 "third"
run_logged -C "$R" run HEAD
expect_eq "$status" 0 "a sweep of one more commit"
run_logged -C "$R" push --to "$URL"
expect_eq "$status" 0 "push after more runs"
expect_contains "$out" "pushed 6 runs (12 already there) of 6 benchmark cases, 1 build (2 already there)" "only the new runs are pushed"
expect_eq "$(counts pg)" "$(counts sqlite)" "PostgreSQL again holds what SQLite holds"

# And back: PostgreSQL into a new SQLite file holds the same, twice without duplicates.
run_logged -C "$R" push --db "$URL" --to "$T/back.db"
expect_eq "$status" 0 "push from PostgreSQL into SQLite"
expect_contains "$out" "pushed 18 runs (0 already there)" "every run comes back"
DB_SAVED=$DB
DB=$T/back.db
expect_eq "$(counts sqlite)" "$(counts pg)" "the copy back holds what PostgreSQL holds, table by table"
expect_eq "$(sql "$DB" "select printf('%.6f', sum(value)) from metrics")" "$(sql "$DB_SAVED" "select printf('%.6f', sum(value)) from metrics")" "values survive the round trip"
expect_eq "$(sql "$DB" "select count(*) from model_measurements where json_extract(measurements, '$.model_load_time') = 2.5")" 18 "model measurements survive the round trip"
DB=$DB_SAVED
run_logged -C "$R" push --db "$URL" --to "$T/back.db"
expect_contains "$out" "pushed 0 runs (18 already there)" "copying back twice adds nothing"

# libpq's own ways to give the password: PGPASSWORD and ~/.pgpass.
NOPW=postgresql://benchline@127.0.0.1:$PG_SERVER_PORT/benchline_test
PGPASSWORD=$PW run_logged -C "$R" push --to "$NOPW"
expect_eq "$status" 0 "PGPASSWORD works"
printf '127.0.0.1:%s:*:benchline:%s\n' "$PG_SERVER_PORT" "$PW" >"$HOME/.pgpass"
chmod 600 "$HOME/.pgpass"
run_logged -C "$R" push --to "$NOPW"
expect_eq "$status" 0 ".pgpass works"
expect_contains "$out" "pushed 0 runs (18 already there)" "still no duplicates"
rm -f "$HOME/.pgpass"

# A wrong password and an unreachable server: a clear error, exit status 3.
WRONG=postgresql://benchline:Wr0ngPassword@127.0.0.1:$PG_SERVER_PORT/benchline_test
run_logged -C "$R" push --to "$WRONG"
expect_eq "$status" 3 "a wrong password exits 3"
expect_contains "$err" "cannot connect to store 'postgresql://benchline:***@127.0.0.1:$PG_SERVER_PORT/benchline_test'" "the error names the server, redacted"
expect_contains "$err" "password authentication failed" "the error says why"
case "$out$err" in *Wr0ngPassword*) fail "the wrong password is shown" ;; esac
pass "the wrong password is not shown"
DEAD_PORT=$(pg_server_free_port)
run_logged -C "$R" push --to "postgresql://benchline:$PW@127.0.0.1:$DEAD_PORT/benchline_test"
expect_eq "$status" 3 "an unreachable server exits 3"
expect_contains "$err" "cannot connect to store 'postgresql://benchline:***@127.0.0.1:$DEAD_PORT/benchline_test'" "the error names the unreachable server"
expect_contains "$err" "Connection refused" "the error says the connection was refused"
run_logged push --db "$T/none.db" --to "$URL"
expect_eq "$status" 2 "nothing to push is a usage error"
run_logged -C "$R" push
expect_eq "$status" 2 "--to is required"
(cd "$R" && run_logged push --to .benchline/results.db)
expect_eq "$status" 2 "pushing a database into itself is refused"

# run and show on PostgreSQL directly.
run_logged -C "$R" run --db "$DIRECT" HEAD
expect_eq "$status" 0 "run --db postgresql:// works"
expect_eq "$(pg "$DIRECT" "select count(*) from runs where kind = 'measured'")" 4 "the sweep stored its runs in PostgreSQL"
run_logged -C "$R" run --db "$DIRECT" HEAD
expect_contains "$err" "0 runs" "a second sweep resumes from PostgreSQL: nothing left to do"
run_logged -C "$R" show --db "$DIRECT" --metric score
expect_eq "$status" 0 "show --db postgresql:// works"
expect_contains "$out" "score[value=2]" "show lists the cases stored in PostgreSQL"
BENCHLINE_DB=$URL run_logged -C "$R" show --metric score --format csv
expect_eq "$status" 0 "BENCHLINE_DB may be a URL"
expect_eq "$(grep -c 'score' <<<"$out")" 6 "show reads the pushed results: 3 commits x 2 cases"

if grep -qF -- "$PW" "$T/all-output"; then
	fail "the password appears in benchline's output"
fi
pass "the password never appears in any output"
