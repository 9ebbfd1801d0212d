#!/usr/bin/env bash
# The demo builds a real repository, runs the real sweep and shows the slow
# and the fast commit in its table.
. "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || fail "the demo needs a C compiler"

run_bl demo "$T/demo"
expect_eq "$status" 0 "demo exits 0"
expect_contains "$out" "checksum[megabytes=16]" "table lists the cases"
expect_contains "$out" "Hash every byte twice" "table shows commit subjects"
DB=$T/demo/.benchline/results.db
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 24 "12 commits x 2 cases complete"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 120 "5 repetitions each"
fastest() { # minimum wall time of the 16 MB case at the commit with this subject (least disturbed by load)
	sql "$DB" "select value from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) join commits c on c.sha=b.commit_id where c.subject='$1' and m.name='wall_time' and r.kind='measured' and b.params like '%16%' order by value limit 1"
}
before=$(fastest "Ignore build outputs")
slow=$(fastest "Hash every byte twice for robustness")
fast=$(fastest "Hash four independent lanes at once")
python3 -c "import sys; b,s,f=map(float,sys.argv[1:]); sys.exit(0 if s > 1.2*b and f < 0.8*s else 1)" "$before" "$slow" "$fast" ||
	fail "slow commit ($slow s) should be clearly slower than $before s and the fast one ($fast s) faster"
pass "slow commit $slow s vs $before s before; fast commit $fast s"
