#!/usr/bin/env bash
# `benchline import FILE... --format F --commit REV`: results made elsewhere
# are stored with the commit and a machine, every format's file goes in, a
# bad file stores nothing and says where it is wrong.
. "$(dirname "$0")/lib.sh"

D=$BENCHLINE_SRC/tests/data/adapters
R=$T/repo
mkdir -p "$R"
git init -q "$R"
echo 1 >"$R/a.txt"
commit_at "$R" 1 "first"
echo 2 >"$R/a.txt"
commit_at "$R" 2 "second"
DB=$R/.benchline/results.db
q() { sql "$DB" "$1"; }

# A bad file first: nothing is stored, not even a database is made.
printf '{"benchmarks": [\n  {"name": "BM_x", "real_time": }\n]}\n' >"$T/bad.json"
run_bl -C "$R" import "$T/bad.json" --format gbench --commit HEAD
expect_eq "$status" 2 "a malformed file is a usage error"
expect_contains "$err" "bad.json':2:33: invalid JSON" "the message gives the file, line and column"
[ ! -e "$DB" ] || fail "no database made for a file that could not be read"
pass "nothing stored"

run_bl -C "$R" import "$D/gbench.json" --format gbench --commit HEAD~1 --benchmark sum
expect_eq "$status" 0 "import gbench JSON"
expect_contains "$err" "as run 0 of sum at" "says what was stored"
first=$(git -C "$R" rev-parse HEAD~1)
expect_eq "$(q "select commit_id||' '||status from benchmarks where name='sum'")" "$first complete" "filed under the commit"
expect_eq "$(q "select count(*) from commits where sha='$first' and subject='first'")" 1 "the commit's details stored"
expect_eq "$(q "select count(*) from metrics where name='BM_sum/64:real_time'")" 3 "every repetition"
expect_eq "$(q "select hostname from machines m join benchmarks b using(machine_id) where b.name='sum'")" "$(uname -n)" "this machine by default"
expect_eq "$(q "select coalesce(wall_s, 'NULL')||' '||diagnostics from runs")" "NULL imported from $D/gbench.json (gbench)" "not timed by benchline: NULL, and says where from"
expect_contains "$(q "select metadata from benchmarks where name='sum'")" '"format":"gbench"' "the format in the case's metadata"

# Again: a second run of the same case.
run_bl -C "$R" import "$D/gbench.json" --format gbench --commit HEAD~1 --benchmark sum
expect_contains "$err" "as run 1 of sum" "a second import is run 1"
expect_eq "$(q "select count(*) from benchmarks")" 1 "same case"
expect_eq "$(q "select count(*) from metrics where name='BM_sum/64:real_time'")" 6 "its values added"

# Every format goes in; parameters name the case.
run_bl -C "$R" import "$D/hyperfine.json" --format hyperfine --commit HEAD --param size=small --param mode=fast
expect_eq "$status" 0 "import hyperfine"
expect_contains "$err" "hyperfine[mode=fast,size=small]" "the case label has the params"
expect_eq "$(q "select params from benchmarks where name='hyperfine'")" '{"mode":"fast","size":"small"}' "canonical params"
for f in pytest-benchmark:pytest-benchmark.json criterion:criterion/fib_20/new/estimates.json gotest:gotest.txt \
	llama-bench:llama-bench.json optimum-benchmark:optimum-benchmark.json; do
	run_bl -C "$R" import "$D/${f#*:}" --format "${f%%:*}" --commit HEAD
	expect_eq "$status" 0 "import ${f%%:*}"
done
expect_eq "$(q "select count(distinct name) from benchmarks")" 7 "one case per format"
expect_eq "$(q "select value||' '||unit from metrics where name='fib_20:mean'")" "2.60302e-05 s" "criterion ns as seconds"
run_bl -C "$R" import "$D/regex.txt" --format regex --commit HEAD --benchmark rx \
	--pattern 'level [0-9]: (?<seconds>[0-9.]+) s|heap (?<heap>[0-9.]+)' --unit heap=MiB
expect_eq "$status" 0 "import regex"
expect_eq "$(q "select group_concat(value||' '||coalesce(unit, '-'), ', ') from metrics where name in ('seconds','heap')")" \
	"0.0123 -, 0.0871 -, 13107200.0 B" "regex groups, with a unit where --unit gives one"

# Imported results compare like measured ones.
run_bl -C "$R" import "$D/gbench.json" --format gbench --commit HEAD --benchmark sum
run_bl -C "$R" compare HEAD~1 HEAD --metric BM_sum/64:real_time --benchmark sum
expect_eq "$status" 0 "compare imported results"
expect_contains "$out" "BM_sum/64:real_time" "the metric compared"

# Another machine's results: its fingerprint must be known.
fp=$(q "select fingerprint from machines")
run_bl -C "$R" import "$D/gotest.txt" --format gotest --commit HEAD --machine 0000
expect_eq "$status" 2 "an unknown machine is refused"
expect_contains "$err" "no machine with fingerprint '0000'" "says which"
# A CI runner's machine, stored earlier (by its own run or push).
q "insert into machines (fingerprint, hostname, cpu_count, created_at) values ('c1c1c1', 'ci-runner-7', 64, '2026-01-01T00:00:00Z')"
run_bl -C "$R" import "$D/gotest.txt" --format gotest --commit HEAD --machine c1c1c1 --benchmark go2
expect_eq "$status" 0 "a known fingerprint"
expect_eq "$(q "select m.hostname from benchmarks b join machines m using(machine_id) where b.name='go2'")" "ci-runner-7" \
	"filed under that machine, not this one"
expect_eq "$(q "select count(*) from machines")" 2 "no machine added"
[ "$fp" != c1c1c1 ] || fail "this machine has another fingerprint"

# Usage errors.
before=$(q "select count(*) from runs")
run_bl -C "$R" import "$D/gotest.txt" --format junit --commit HEAD
expect_eq "$status" 2 "unknown format"
expect_contains "$err" "unknown --format 'junit' (one of: gbench, hyperfine, pytest-benchmark" "lists the formats"
run_bl -C "$R" import "$D/gotest.txt" --format gotest --commit nosuchrev
expect_eq "$status" 2 "unknown revision"
expect_contains "$err" "nosuchrev" "names the revision"
run_bl -C "$R" import "$D/gotest.txt" --format gotest
expect_contains "$err" "missing --commit" "--commit is required"
run_bl -C "$R" import "$D/gotest.txt" --format regex --commit HEAD
expect_contains "$err" "--format regex needs --pattern" "regex needs a pattern"
run_bl -C "$R" import "$D/gotest.txt" --format gotest --commit HEAD --benchmark "a b"
expect_contains "$err" "benchmark name 'a b' is not valid" "benchmark names as in benchline.yaml"
run_bl -C "$R" import "$D/hyperfine.json" --format gotest --commit HEAD
expect_eq "$status" 2 "the wrong format"
expect_contains "$err" "hyperfine.json: no benchmark result line" "says the file is not of that format"
run_bl -C "$R" import "$T/missing.json" --format gbench --commit HEAD
expect_contains "$err" "missing.json" "a missing file is named"
expect_eq "$(q "select count(*) from runs")" "$before" "no failed import stored anything"

# Several files make one run (Criterion writes one estimates.json per benchmark); one bad file among them stores
# nothing and is named.
C=$T/target/criterion
for id in fib_20 fib_30; do mkdir -p "$C/$id/new" && cp "$D/criterion/fib_20/new/estimates.json" "$C/$id/new/"; done
before=$(q "select count(*) from runs")
run_bl -C "$R" import "$C/fib_20/new/estimates.json" "$C/fib_30/new/estimates.json" --format criterion --commit HEAD --benchmark crit
expect_eq "$status" 0 "import of two files"
expect_contains "$err" "from 2 files (criterion) as run 0 of crit" "says how many files made the run"
expect_eq "$(q "select count(*) from runs")" "$((before + 1))" "two files are one run"
expect_eq "$(q "select count(distinct m.name) from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) where b.name='crit' and m.name in ('fib_20:mean','fib_30:mean')")" 2 "the run has both files' metrics"
expect_contains "$(q "select metadata from benchmarks where name='crit'")" "\"imported_from\":[\"$C/fib_20/new/estimates.json\",\"$C/fib_30/new/estimates.json\"]" "the files listed in the case's metadata"
echo '{"mean": ' >"$C/fib_30/new/estimates.json"
run_bl -C "$R" import "$C/fib_20/new/estimates.json" "$C/fib_30/new/estimates.json" --format criterion --commit HEAD --benchmark crit
expect_eq "$status" 2 "a bad second file"
expect_contains "$err" "fib_30/new/estimates.json" "names the bad file"
expect_eq "$(q "select count(*) from runs")" "$((before + 1))" "nothing stored when one file is bad"
run_bl -C "$R" import --format criterion --commit HEAD
expect_contains "$err" "missing FILE to import" "no file at all"
