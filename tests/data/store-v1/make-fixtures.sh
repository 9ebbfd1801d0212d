#!/usr/bin/env bash
# make-fixtures.sh BENCHLINE - writes sqlite.sql and postgresql.sql here: a
# small sweep stored by BENCHLINE, a benchline whose schema is version 1 (the
# commit before schema version 2), dumped as SQL. tests/unit/test_store.c
# loads them and checks that opening upgrades them in place, losing nothing.
# Regenerating them with a newer benchline would defeat their purpose.
set -euo pipefail
BENCHLINE=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
T=$(mktemp -d)
trap 'pg_server_stop; rm -rf "$T"' EXIT
. "$src/tests/pg-server.sh"
export GIT_CONFIG_NOSYSTEM=1 HOME=$T/home
mkdir -p "$HOME"
git config --global user.name "Fixture Author"
git config --global user.email "fixture@example.org"
git config --global init.defaultBranch main
R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
echo "{\"name\": \"score\", \"value\": $1, \"unit\": \"pts\", \"better\": \"higher\"}" >>"$BENCHLINE_METRICS"
echo "{\"measurements\": {\"model_load_time\": 2.5, \"first_token_s\": 0.04}}" >>"$BENCHLINE_METRICS"
sleep 0.03
SH
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
build:
  command: "true"
benchmarks:
  - name: score
    command: [sh, bench/bench.sh, "{value}"]
    params:
      value: [1, 2]
    warmup: 1
    repetitions: 2
YAML
for day in 1 2; do
	echo "$day" >"$R/lib.txt"
	git -C "$R" add -A
	GIT_AUTHOR_DATE="2026-01-0${day}T12:00:00Z" GIT_COMMITTER_DATE="2026-01-0${day}T12:00:00Z" \
		git -C "$R" commit -q -m "commit $day"
done
"$BENCHLINE" -C "$R" run HEAD~1 HEAD >/dev/null
sqlite3 "$R/.benchline/results.db" .dump >"$here/sqlite.sql"
pg_server_start >/dev/null
"$BENCHLINE" -C "$R" run --db "$BENCHLINE_TEST_PG_URL" HEAD~1 HEAD >/dev/null
# Plain SQL that libpq runs as one string: no psql meta-commands (\\restrict),
# and the session's search_path left alone.
pg_dump --inserts --no-owner --no-privileges --no-comments "$BENCHLINE_TEST_PG_URL" |
	grep -v -e '^\\' -e "set_config('search_path'" >"$here/postgresql.sql"
