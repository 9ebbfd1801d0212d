#!/usr/bin/env bash
# The disk fills up while a sweep stores its runs (simulated with a file size
# limit, `ulimit -f`, which fails writes past it with EFBIG: benchline ignores
# SIGXFSZ, so the limit reads as an error instead of killing it): the sweep
# stops with a clear message, the database stays intact with everything
# stored before, and the same command run again with room completes it.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
# Each run reports 300 metrics with long names: about 30 KB of database per run.
cat >"$R/bench.py" <<'PY'
import os
with open(os.environ["BENCHLINE_METRICS"], "a") as f:
    for i in range(300):
        f.write('{"name": "metric_%03d_%s", "value": %d}\n' % (i, "x" * 60, i))
PY
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: many
    command: [python3, bench.py]
    warmup: 0
    repetitions: 12
YAML
commit_at "$R" 1 "one"
commit_at "$R" 2 "two"
DB=$R/.benchline/results.db
run_bl -C "$R" run HEAD~1
expect_eq "$status" 0 "first commit stored with room"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 12 "12 runs"
size_kb=$(( $(stat -c %s "$DB") / 1024 ))

# Room for the files as they are plus 100 KB: a few runs, not twelve.
set +e
(ulimit -f $((size_kb + 100)) && exec "$BENCHLINE" -C "$R" run HEAD) >"$T/out" 2>"$T/err"
status=$?
set -e
err=$(cat "$T/err")
[ "$status" -ne 0 ] || fail "a sweep that cannot store must fail"
[ "$status" -lt 128 ] || fail "benchline was killed by signal $((status - 128)) instead of reporting the error: $err"
pass "the sweep failed with exit status $status"
expect_contains "$err" "$DB" "the message names the database"
case "$err" in
*"disk full"*) pass "the message says the disk is full" ;;
*) fail "the message should say the disk is full: $err" ;;
esac
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity after the failed store"
first=$(git -C "$R" rev-parse HEAD~1)
expect_eq "$(sql "$DB" "select count(*) from runs r join benchmarks b using(benchmark_id) where b.commit_id='$first' and r.kind='measured'")" 12 "the first commit's 12 runs are intact"
partial=$(sql "$DB" "select count(*) from runs r where r.kind='measured' and (select count(*) from metrics m where m.run_id = r.run_id and m.name like 'metric_%') <> 300")
expect_eq "$partial" 0 "no run stored without all its metrics"

run_bl -C "$R" run HEAD
[ "$status" = 0 ] || fail "the same sweep with room completes: $(tail -n 2 "$T/err")"
pass "the same sweep with room completes"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 24 "both commits hold 12 runs each"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity at the end"
