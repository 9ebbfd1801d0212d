#!/usr/bin/env bash
# `benchline run --until-ci PCT`: repetitions until the median's confidence
# interval is narrow enough, bounded by --max-runs; reruns top up only what
# still needs it.
. "$(dirname "$0")/lib.sh"
R=$T/repo
mkdir -p "$R"
git -C "$R" init -q
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: quick
    command: [sh, -c, "exit 0"]
    warmup: 0
    repetitions: 2
YAML
commit_at "$R" 1 "first"
DB=$R/.benchline/results.db
runs() { sql "$DB" "select count(*) from runs where kind='measured'"; }

# An interval of 0.0001% is out of reach for process start-up times: it stops at --max-runs.
run_bl -C "$R" run --until-ci 0.0001% --max-runs 9 -q
expect_eq "$status" 0 "run --until-ci exits 0: $err"
expect_eq "$(runs)" 9 "stopped at --max-runs 9"
expect_contains "$err" "0 cases reached the interval, 1 stopped at --max-runs/--max-time" "summary says why it stopped"
expect_eq "$(sql "$DB" "select status from benchmarks")" complete "the case is complete"
run_bl -C "$R" run --until-ci 0.0001% --max-runs 9 -q
expect_eq "$(runs)" 9 "a rerun at the same limit adds nothing"
run_bl -C "$R" run --until-ci 0.0001% --max-runs 11 -q
expect_eq "$(runs)" 11 "a higher limit tops up by the difference"
# A generous target is met as soon as the interval exists (6 runs) or already is.
run_bl -C "$R" run --until-ci 500% -q
expect_eq "$(runs)" 11 "a met target measures nothing more"
expect_eq "$(sql "$DB" "select count(distinct idx) from runs where kind='measured'")" 11 "indexes stay unique"

run_bl -C "$R" run --until-ci 0 -q
expect_eq "$status" 2 "--until-ci 0 refused"
run_bl -C "$R" run --until-ci 5x -q
expect_eq "$status" 2 "--until-ci 5x refused"
expect_contains "$err" "5x" "and named"
run_bl -C "$R" run --max-runs 5 -q
expect_eq "$status" 2 "--max-runs without --until-ci refused"
