#!/usr/bin/env bash
# `benchline detect --input FILE.csv`: series from elsewhere, JSON out, and
# every malformed input refused with its file and line.
. "$(dirname "$0")/lib.sh"

# Two series, deterministic noise: 'step' rises 30% at commit 40, 'flat'
# never changes; 3 repetitions per commit, commit 17 of 'step' missing.
python3 - "$T/in.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("series,commit,repetition,value\n")
    for name, step in (("step", 1.3), ("flat", 1.0)):
        for c in range(80):
            if name == "step" and c == 17:
                continue
            level = 100.0 * (step if c >= 40 else 1.0)
            for r in range(3):
                f.write("%s,%d,%d,%.6f\n" % (name, c, r, level * (1 + random.gauss(0, 0.01))))
PY
run_bl detect --input "$T/in.csv" --format json
expect_eq "$status" 0 "detect --input exits 0: $err"
got=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sorted(d), [(c["commit"], round(c["change"], 2)) for c in d["step"]], d["flat"])')
expect_eq "$got" "['flat', 'step'] [(40, 0.3)] []" "the step at commit 40 (+30%) and nothing in the flat series"
run_bl detect --input - --format csv <"$T/in.csv"
expect_contains "$out" "step,40," "CSV from stdin, CSV out"
run_bl detect --input "$T/in.csv"
expect_contains "$out" "at commit 40" "table shows the change point"

bad() { # bad NAME CONTENT EXPECTED-MESSAGE
	printf '%b' "$2" >"$T/$1.csv"
	run_bl detect --input "$T/$1.csv"
	expect_eq "$status" 2 "$1: exit 2"
	expect_contains "$err" "$3" "$1: message"
}
bad header 'series,commit,value\na,0,1\n' "$T/header.csv:1: expected the header"
bad value 'series,commit,repetition,value\na,0,0,1\na,1,0,fast\n' "$T/value.csv:3: value must be a finite number, got 'fast'"
bad nan 'series,commit,repetition,value\na,0,0,nan\n' "$T/nan.csv:2: value must be a finite number"
bad commit 'series,commit,repetition,value\na,-1,0,1\n' "$T/commit.csv:2: commit must be a position"
bad fields 'series,commit,repetition,value\na,0,0\n' "$T/fields.csv:2: expected 4 fields"
bad quote 'series,commit,repetition,value\n"a,0,0,1\n' "$T/quote.csv:2:"
bad empty '' "$T/empty.csv: empty file"
run_bl detect --input "$T/missing.csv"
expect_eq "$status" 2 "missing file: exit 2"
expect_contains "$err" "missing.csv" "missing file: named"
run_bl detect --input "$T/in.csv" --format yaml
expect_eq "$status" 2 "unknown format: exit 2"
run_bl detect --input "$T/in.csv" --min-segment 0
expect_eq "$status" 2 "--min-segment 0 refused"
printf 'series,commit,repetition,value\n"a ""quoted"", name",0,0,1\n' >"$T/q.csv"
run_bl detect --input "$T/q.csv" --format json
expect_contains "$out" '"a \"quoted\", name": []' "quoted series names; a 1-point series has no change"
