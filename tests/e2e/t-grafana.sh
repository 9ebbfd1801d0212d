#!/usr/bin/env bash
# grafana/ without Grafana: a real sweep over a repository whose metric steps
# up at one commit goes into a throwaway PostgreSQL server
# (tests/pg-server.sh); `detect --save` stores the regression (and on
# SQLite too, where saving again replaces rather than adds); then every
# template variable, panel target and annotation of the dashboard, expanded
# as Grafana's PostgreSQL data source expands them, runs with psql and returns
# the expected columns and rows (tests/e2e/grafana_check.py). The dashboard
# and the provisioning files are checked for the fields Grafana requires, and
# SQL in the shape of the transformers v1 dashboard's panels is run to see
# which work unchanged.
. "$(dirname "$0")/lib.sh"
. "$BENCHLINE_SRC/tests/pg-server.sh"

if ! pg_server_find_bin; then
	echo "SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package postgresql"
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
trap 'rc=$?; pg_server_stop; (exit $rc); cleanup' EXIT
check=$BENCHLINE_SRC/tests/e2e/grafana_check.py
G=$BENCHLINE_SRC/grafana

# ---- the files themselves ------------------------------------------------------------------------------------------
python3 "$check" schema "$G/dashboards/benchline.json" "$G/provisioning/datasources/benchline.yaml" \
	"$G/provisioning/dashboards/benchline.yaml" || fail "the dashboard and provisioning files pass the schema check"
pass "dashboard and provisioning schema"
# The check itself must catch a broken dashboard.
python3 - "$G/dashboards/benchline.json" "$T/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["panels"][0]["gridPos"]
del d["uid"]
json.dump(d, open(sys.argv[2], "w"))
PY
set +e
broken=$(python3 "$check" schema "$T/broken.json" "$G/provisioning/datasources/benchline.yaml" \
	"$G/provisioning/dashboards/benchline.yaml")
st=$?
set -e
[ $st -ne 0 ] || fail "a dashboard without uid and gridPos fails the schema check"
expect_contains "$broken" "'uid' missing" "the schema check names the missing uid"
expect_contains "$broken" "'gridPos' missing" "the schema check names the missing gridPos"

# ---- a sweep with a step -------------------------------------------------------------------------------------------
pg_server_start >"$T/pg-start.log" 2>&1 || { cat "$T/pg-start.log"; fail "the test server starts"; }
URL=$BENCHLINE_TEST_PG_URL
export PSQL=$PG_BIN/psql
[ -x "$PSQL" ] || PSQL=psql
pg() { "$PSQL" -X -q -t -A -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
# The protocol metric's level is in level.txt: 0.100 s, then 0.150 s from
# commit 5 on, with 1% of noise; the name holds quotes on purpose. Given an
# argument (benchmark flat), it stays at 0.050 s.
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
if [ -n "$1" ]; then level=0.050; else level=$(cat level.txt); fi
noise=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
value=$(awk -v l="$level" -v n="$noise" 'BEGIN { printf "%.6f", l * (1 + (n % 100) / 10000) }')
echo "{\"name\": \"time to 'first' token\", \"value\": $value, \"unit\": \"s\", \"better\": \"lower\"}" >>"$BENCHLINE_METRICS"
echo "{\"measurements\": {\"time_to_first_token_secs\": $value}}" >>"$BENCHLINE_METRICS"
sleep 0.03
SH
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
build:
  command: "true"
benchmarks:
  - name: step
    command: [sh, bench/bench.sh]
    warmup: 0
    repetitions: 3
  - name: flat
    command: [sh, bench/bench.sh, "{size}"]
    params:
      size: [1]
    warmup: 0
    repetitions: 3
YAML
for day in 1 2 3 4 5 6 7 8; do
	if [ "$day" -lt 5 ]; then echo 0.100 >"$R/level.txt"; else echo 0.150 >"$R/level.txt"; fi
	commit_at "$R" "$day" "commit $day"
done
step_sha=$(git -C "$R" rev-parse HEAD~3)
git -C "$R" show -s --format=%s "$step_sha" | grep -qx "commit 5" || fail "HEAD~3 is commit 5"

sweep_from=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
run_bl -C "$R" run --db "$URL" HEAD~7 HEAD~7..HEAD
expect_eq "$status" 0 "the sweep into PostgreSQL runs"
sleep 1
sweep_to=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%S+00:00)
expect_eq "$(pg "select count(*) from runs")" 48 "48 runs stored"
[ "$(pg "select count(*) from device_measurements")" -gt 96 ] || fail "device samples stored"
pass "device samples stored"

# ---- detect --save ---------------------------------------------------------------------------------------------------
metric="time to 'first' token"
run_bl -C "$R" detect --save --db "$URL" --metric "$metric"
expect_eq "$status" 0 "detect --save exits 0"
expect_contains "$out" "regressed" "detect finds the step"
expect_contains "$err" "saved 1 change point of 2 series in 'postgresql://benchline:***@" "detect --save says what it stored"
row=$(pg "select name, metric, unit, commit_id, verdict, round(change::numeric, 1), unmeasured, head_commit_id = '$(git -C "$R" rev-parse HEAD)' from change_points")
expect_eq "$row" "step|$metric|s|$step_sha|regressed|0.5|0|t" "the regression is stored at commit 5 with its change"
first=$(pg "select change_id from change_points")
run_bl -C "$R" detect --save --db "$URL" --metric "$metric"
expect_eq "$(pg "select count(*) from change_points")" 1 "saving again replaces the series' change points"
[ "$(pg "select change_id from change_points")" != "$first" ] || fail "the second save wrote a new row"
pass "the second save wrote a new row"
# All default metrics (wall_time too) for the dashboard's panels.
run_bl -C "$R" detect --save --db "$URL"
expect_eq "$status" 0 "detect --save of every metric"
# (wall_time is real time: on a loaded machine it may step anywhere, so only the protocol metric is counted.)
expect_eq "$(pg "select count(*) from change_points where verdict = 'regressed' and commit_id = '$step_sha'
	and metric = '${metric//\'/\'\'}'")" 1 "the regression is still stored once"
run_bl -C "$R" detect --save --input - --db "$URL" </dev/null
expect_eq "$status" 2 "--save with --input is a usage error"
expect_contains "$err" "--save stores what is found in the database; it cannot be used with --input" "--save with --input says why"

# The same on SQLite, through the same store operation.
run_bl -C "$R" run HEAD~7 HEAD~7..HEAD
expect_eq "$status" 0 "the sweep into SQLite runs"
DB=$R/.benchline/results.db
run_bl -C "$R" detect --save --metric "$metric"
expect_eq "$status" 0 "detect --save on SQLite"
expect_eq "$(sql "$DB" "select name || ' ' || verdict || ' ' || commit_id from change_points")" "step regressed $step_sha" \
	"the regression is stored in SQLite"
run_bl -C "$R" detect --save --metric "$metric" --last 3
expect_eq "$(sql "$DB" "select count(*) from change_points")" 0 \
	"a detection that no longer sees the step (--last 3) clears the stored change point"
expect_contains "$err" "saved 0 change points of 2 series" "detect --save counts what it stored"

# ---- every query of the dashboard ------------------------------------------------------------------------------------
full_to=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S+00:00)
python3 "$check" queries "$G/dashboards/benchline.json" "$URL" 2026-01-01T00:00:00+00:00 "$full_to" "$step_sha" \
	"$metric" "$sweep_from" "$sweep_to" >"$T/queries.log" 2>&1 || { cat "$T/queries.log"; fail "every dashboard query runs"; }
cat "$T/queries.log"
n=$(grep -c '^ok - ' "$T/queries.log")
[ "$n" -ge 19 ] || fail "18 targets in three rounds and the regression found: only $n checks passed"
pass "every panel, variable and annotation query runs with the expected columns and rows ($n checks)"

# ---- the transformers v1 dashboard's queries --------------------------------------------------------------------------
python3 "$check" v1 "$URL" main >"$T/v1.log" 2>&1 || { cat "$T/v1.log"; fail "v1-shaped queries behave as docs/GRAFANA.md says"; }
cat "$T/v1.log"
pass "v1-shaped queries behave as docs/GRAFANA.md says"
