#!/usr/bin/env bash
# A database written by a newer benchline (schema version one above this
# binary's, whatever that is) is refused by every command with a message that
# names the file and both versions, and not one byte of it changes.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: ["true"]
    warmup: 0
    repetitions: 2
YAML
commit_at "$R" 1 "one"
DB=$R/.benchline/results.db
run_bl -C "$R" run HEAD
expect_eq "$status" 0 "first sweep"
current=$(sql "$DB" "select max(version) from schema_version")
newer=$((current + 1))
sql "$DB" "insert into schema_version(version) values ($newer)"
# sqlite3 checkpoints on close: the whole database is now in the main file.
[ ! -s "$DB-wal" ] || fail "WAL file left by sqlite3"
before=$(sha256sum "$DB" | cut -d' ' -f1)

for cmd in "run HEAD" "run --force HEAD" "show" "show --format json" "detect" "report" "compare HEAD HEAD"; do
	# shellcheck disable=SC2086 # the words of the command
	run_bl -C "$R" $cmd
	[ "$status" -ne 0 ] || fail "'$cmd' on a newer database must fail"
	expect_contains "$err" "schema version $newer, newer than this benchline ($current)" "'$cmd' refused with both versions"
	expect_contains "$err" "$DB" "'$cmd' names the file"
	expect_eq "$(sha256sum "$DB" | cut -d' ' -f1)" "$before" "'$cmd' left the database untouched"
	[ ! -s "$DB-wal" ] || fail "'$cmd' wrote to the WAL of a refused database"
done
run_bl push --to "postgresql://127.0.0.1:1/none?connect_timeout=1" --db "$DB"
expect_contains "$err" "newer than this benchline" "push refuses to read a newer database"
expect_eq "$(sha256sum "$DB" | cut -d' ' -f1)" "$before" "push left the database untouched"
expect_eq "$(sql "$DB" "select count(*) from runs")" 2 "the runs are all still there"
