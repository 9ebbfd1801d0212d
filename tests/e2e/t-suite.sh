#!/usr/bin/env bash
# The suite comes from the current working tree by default (old commits lack
# new benchmarks); files: commit uses each commit's own files; the suite hash
# stored with the results changes when the suite does.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
echo "old" >"$R/code.txt"
commit_at "$R" 1 "before the benchmark existed"
cat >"$R/bench/run.sh" <<'SH'
#!/bin/sh
v=1
echo "{\"name\": \"version\", \"value\": $v}" >>"$BENCHLINE_METRICS"
SH
chmod +x "$R/bench/run.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
benchmarks:
  - name: current
    command: [./bench/run.sh]
    repetitions: 1
    warmup: 0
  - name: at-commit
    command: [./bench/run.sh]
    files: commit
    repetitions: 1
    warmup: 0
YAML
commit_at "$R" 2 "add the benchmark"
# An uncommitted edit of the suite is what runs (files: current).
sed -i 's/^v=1$/v=2/' "$R/bench/run.sh"
DB=$R/.benchline/results.db

run_bl -C "$R" run HEAD~1 HEAD
expect_eq "$status" 1 "the commit-files benchmark fails where its file is missing"
old=$(git -C "$R" rev-parse HEAD~1)
new=$(git -C "$R" rev-parse HEAD)
q() { sql "$DB" "select m.value from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) where b.name='$1' and b.commit_id='$2' and m.name='version'"; }
expect_eq "$(q current "$old")" 2.0 "old commit runs today's suite"
expect_eq "$(q current "$new")" 2.0 "new commit runs today's uncommitted suite"
expect_eq "$(q at-commit "$new")" 1.0 "files: commit runs the committed suite"
expect_eq "$(sql "$DB" "select status from benchmarks where name='at-commit' and commit_id='$old'")" failed "files: commit at a commit without the file"
expect_eq "$(git -C "$R" status --porcelain)" " M bench/run.sh" "user's tree as it was"

# Changing the suite makes new cases (new suite hash); nothing is mixed.
sed -i 's/^v=2$/v=3/' "$R/bench/run.sh"
run_bl -C "$R" run HEAD
expect_eq "$status" 0 "rerun after changing the suite"
expect_eq "$(sql "$DB" "select count(distinct suite_hash) from benchmarks where name='current'")" 2 "a new suite hash"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where name='at-commit' and commit_id='$new'")" 1 "files: commit unchanged by the working tree"
# show tells the two series of one case apart by their suites, on every row of each.
run_bl -C "$R" show
for h in $(sql "$DB" "select distinct substr(suite_hash, 1, 7) from benchmarks where name='current'"); do
	expect_eq "$(grep -c "current suite $h" "$T/out")" \
		"$(sql "$DB" "select count(*) from benchmarks where name='current' and suite_hash like '$h%'")" \
		"show labels every row of suite $h"
done
expect_eq "$(grep -c "current suite" "$T/out")" 3 "three rows of current: two commits, then the new suite"

# Ignored files in a suite path (build outputs, caches) are not the suite.
echo '*.o' >"$R/.gitignore"
touch "$R/bench/scratch.o"
run_bl -C "$R" run --dry-run HEAD
expect_contains "$out" "runs to do: 0" "an ignored file does not change the suite hash"

# A suite file deleted since an old commit is not left in that commit's checkout.
R2=$T/repo2
mkdir -p "$R2/bench"
git init -q "$R2"
echo a >"$R2/bench/keep.sh"
echo b >"$R2/bench/old.sh"
cat >"$R2/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
benchmarks:
  - name: list
    command: [ls, bench]
    repetitions: 1
    warmup: 0
YAML
commit_at "$R2" 1 "two suite files"
git -C "$R2" rm -q bench/old.sh
commit_at "$R2" 2 "drop one"
run_bl -C "$R2" run HEAD~1
expect_eq "$status" 0 "old commit with today's suite"
expect_eq "$(cat "$R2"/.benchline/cache/logs/*/list-*/run0.out)" "keep.sh" "the deleted suite file is gone from the old commit's checkout"
