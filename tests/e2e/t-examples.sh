#!/usr/bin/env bash
# The examples of examples/ work as their READMEs say: each is copied into a
# fresh git repository, given a few commits that change the code, and
# benchmarked by benchline through its harness (Google Benchmark, hyperfine,
# pytest-benchmark). Needs the tools scripts/bootstrap.sh installs.
. "$(dirname "$0")/lib.sh"

for tool in make g++ hyperfine /usr/bin/python3; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/bootstrap.sh"
done
[ -f /usr/include/benchmark/benchmark.h ] || fail "libbenchmark-dev is missing: run scripts/bootstrap.sh"
/usr/bin/python3 -c 'import pytest_benchmark' 2>/dev/null || fail "python3-pytest-benchmark is missing: run scripts/bootstrap.sh"
export PATH=/usr/bin:$PATH

# example_repo NAME: a git repository holding examples/NAME, one commit.
example_repo() {
	local dir=$T/$1
	cp -r "$BENCHLINE_SRC/examples/$1" "$dir"
	rm -rf "$dir/build" "$dir/out" "$dir/.benchline"
	git init -q "$dir"
	commit_at "$dir" 1 "$1 as in examples/"
	echo "$dir"
}

# --- a C library with Google Benchmark ---
R=$(example_repo c-library-gbench)
# 16 rounds of mixing per byte: many times slower, whatever the machine's load.
sed -i 's/h \*= 1099511628211ULL;/for (int r = 0; r < 16; r++) h = (h ^ (h >> 13)) * 1099511628211ULL;/' "$R/src/textstats.c"
commit_at "$R" 2 "hash: mix 16 times per byte"
git -C "$R" checkout -q HEAD~1 -- src/textstats.c
commit_at "$R" 3 "hash: back to one round"
run_bl -C "$R" run HEAD~2..HEAD HEAD~2
expect_eq "$status" 0 "gbench example: run exits 0"
DB=$R/.benchline/results.db
# measured METRIC [WHERE]: values of METRIC in measured runs (warm-ups store theirs too).
measured() {
	sql "$DB" "select count(*) from metrics m join runs r using(run_id) where r.kind='measured' and m.name='$1' ${2:-}"
}
expect_eq "$(measured BM_hash/65536:real_time)" 45 \
	"gbench example: 5 repetitions x 3 runs x 3 commits"
expect_eq "$(measured BM_count_words/1024_mean:bytes_per_second "and m.better='higher'")" 9 \
	"gbench example: the mean byte rate of every run, better higher"
run_bl -C "$R" compare HEAD~2 HEAD~1 --benchmark textstats --metric BM_hash/65536:real_time
expect_eq "$status" 1 "gbench example: the slower hash is a regression"
expect_contains "$out" "BM_hash/65536:real_time" "gbench example: compared by its metric"

# --- a command-line tool with hyperfine ---
R=$(example_repo cli-hyperfine)
sed -i 's/#define BLOCK 65536/#define BLOCK 64/' "$R/src/linecount.c"
commit_at "$R" 2 "read in small blocks"
run_bl -C "$R" run HEAD~1..HEAD HEAD~1
expect_eq "$status" 0 "hyperfine example: run exits 0"
DB=$R/.benchline/results.db
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 4 "hyperfine example: 2 sizes x 2 commits"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs using(run_id) join benchmarks b using(benchmark_id)
	where m.name='linecount:time' and b.params='{\"size\":\"16mb\"}'")" 30 "hyperfine example: 5 timed runs x 3 x 2 commits"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='linecount:time' and (value <= 0 or unit <> 's')")" 0 \
	"hyperfine example: seconds"
run_bl -C "$R" compare HEAD~1 HEAD --metric linecount:time
case $status in 0 | 1) pass "hyperfine example: compare runs" ;; *) fail "hyperfine example: compare exited $status: $err" ;; esac

# --- a Python package with pytest-benchmark ---
R=$(example_repo python-pytest-benchmark)
sed -i 's/word = word.casefold()/word = word.casefold().strip(".,;")/' "$R/minitext/__init__.py"
commit_at "$R" 2 "strip punctuation"
run_bl -C "$R" run HEAD~1..HEAD HEAD~1
expect_eq "$status" 0 "pytest example: run exits 0"
DB=$R/.benchline/results.db
m="bench/test_bench_minitext.py::test_word_frequencies"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='$m:mean'")" 6 "pytest example: mean of 3 runs x 2 commits"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='bench/test_bench_minitext.py::test_top_words[100]:ops' and better='higher'")" 6 \
	"pytest example: parametrized tests, ops better higher"
[ "$(sql "$DB" "select count(*) from metrics where name='$m:time'")" -ge 30 ] || fail "pytest example: every round"
pass "pytest example: every round stored"
run_bl -C "$R" compare HEAD~1 HEAD --metric "$m:mean"
case $status in 0 | 1) pass "pytest example: compare runs" ;; *) fail "pytest example: compare exited $status: $err" ;; esac
