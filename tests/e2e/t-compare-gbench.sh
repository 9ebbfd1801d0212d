#!/usr/bin/env bash
# `benchline compare --gbench OLD NEW`: Google Benchmark files compared as
# google/benchmark's compare.py does, with benchline's verdicts and exit codes.
. "$(dirname "$0")/lib.sh"
D=$BENCHLINE_SRC/tests/data/gbench
cd "$T"

run_bl compare --gbench "$D/test3_old.json" "$D/test3_new.json"
expect_eq "$status" 0 "no regression: exit 0"
expect_contains "$out" "short_pvalue              0.7671    0.2000" "compare.py's p-values for 'short'"
expect_contains "$out" "BM_Two_pvalue             1.0000    0.6667" "and for BM_Two"
expect_contains "$out" "OVERALL_GEOMEAN          +1.6405   -0.6985" "the geometric-mean row"
expect_contains "$out" "9+ repetitions recommended" "the unreliable-results warning"
run_bl compare --gbench "$D/test1_old.json" "$D/test1_new.json" --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
assert abs(rows["BM_2xFaster"]["measurements"][0]["time"] + 0.5) < 1e-9, rows["BM_2xFaster"]
assert abs(rows["OVERALL_GEOMEAN"]["measurements"][0]["time"] + 0.8112976497120911) < 1e-12
' || fail "json: $out"
pass "json carries compare.py's changes"

# A regression with enough repetitions: exit 1.
python3 - "$T" <<'PY'
import json, sys
def doc(times):
    return {"context": {}, "benchmarks": [
        {"name": "BM_Hash", "run_name": "BM_Hash", "run_type": "iteration", "repetitions": len(times),
         "repetition_index": i, "iterations": 1000, "real_time": t, "cpu_time": t, "time_unit": "ns"}
        for i, t in enumerate(times)]}
json.dump(doc([100, 101, 99, 100.5, 100.2, 99.8, 100.1, 100.3, 99.9, 100.0]), open(sys.argv[1] + "/old.json", "w"))
json.dump(doc([120, 121, 119, 120.5, 120.2, 119.8, 120.1, 120.3, 119.9, 120.0]), open(sys.argv[1] + "/new.json", "w"))
PY
run_bl compare --gbench old.json new.json
expect_eq "$status" 1 "a 20% slower benchmark: exit 1"
expect_contains "$out" "regressed" "verdict regressed"

printf '{"benchmarks": [' >bad.json
run_bl compare --gbench bad.json new.json
expect_eq "$status" 2 "truncated JSON: exit 2"
expect_contains "$err" "bad.json" "names the file"
printf '{"context": {}}' >nobench.json
run_bl compare --gbench nobench.json new.json
expect_eq "$status" 2 "no benchmarks array: exit 2"
run_bl compare --gbench old.json
expect_eq "$status" 2 "one file: usage error"
