#!/usr/bin/env bash
# `benchline export` writes every result as CSV (the transformers v1 layout
# plus benchline's tables, formulas neutralised, numbers left numbers) or as
# one JSON document, and `export --to` / `import --from` copy between
# databases without duplicates.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
echo '{"name": "=HYPERLINK(\"http://x\")", "value": -3.5, "unit": "s"}' >>"$BENCHLINE_METRICS"
echo '{"name": "score", "value": 2, "unit": "pts", "better": "higher"}' >>"$BENCHLINE_METRICS"
echo '{"measurements": {"model_load_time": 2.5}}' >>"$BENCHLINE_METRICS"
SH
chmod +x "$R/bench/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
benchmarks:
  - name: risky
    command: [sh, bench/bench.sh, "{label}"]
    params:
      label: ["@risky, \"quoted\""]
    warmup: 1
    repetitions: 2
YAML
echo v1 >"$R/lib.txt"
commit_at "$R" 1 "=cmd|' /C calc'!A0"
echo v2 >"$R/lib.txt"
commit_at "$R" 2 "+second, with a comma"
run_bl -C "$R" run HEAD~1 HEAD
expect_eq "$status" 0 "a sweep to export"
DB=$R/.benchline/results.db

run_bl -C "$R" export --format csv -o "$T/csv"
expect_eq "$status" 0 "export --format csv"
expect_contains "$out" "exported 2 benchmark cases, 6 runs" "it says what it wrote"
for f in benchmarks device_measurements model_measurements benchmark_summary machines commits builds runs metrics; do
	[ -s "$T/csv/$f.csv" ] || fail "$f.csv is written"
done
pass "every CSV file is written"
expect_eq "$(head -1 "$T/csv/benchmarks.csv" | cut -d, -f1-7)" \
	"benchmark_id,repository,branch,commit_id,commit_message,metadata,created_at" "benchmarks.csv starts with v1's columns"
expect_eq "$(head -1 "$T/csv/device_measurements.csv" | cut -d, -f1-7)" \
	"measurement_id,benchmark_id,cpu_util,mem_megabytes,gpu_util,gpu_mem_megabytes,time" "device_measurements.csv too"
expect_eq "$(head -1 "$T/csv/model_measurements.csv" | cut -d, -f1-4)" "measurement_id,benchmark_id,measurements,time" \
	"model_measurements.csv too"
# Read back with Python's csv module: the cells are what was stored, formulas neutralised.
python3 - "$T/csv" "$(sql "$DB" "select count(*) from device_measurements")" <<'PY' || fail "the CSV files read back"
import csv, sys
d, samples = sys.argv[1], int(sys.argv[2])
rows = lambda f: list(csv.DictReader(open(f"{d}/{f}.csv", newline="")))
b = rows("benchmarks")
assert len(b) == 2, b
assert {r["commit_message"] for r in b} == {"'=cmd|' /C calc'!A0", "'+second, with a comma"}, [r["commit_message"] for r in b]
assert all(r["name"] == "risky" and "@risky" in r["params"] for r in b), b[0]["params"]
m = rows("metrics")
neg = [r for r in m if r["name"].startswith("'=HYPERLINK")]
assert len(neg) == 6 and all(float(r["value"]) == -3.5 for r in neg), neg[:1]
assert len(rows("runs")) == 6
assert len(rows("device_measurements")) == samples, (len(rows("device_measurements")), samples)
assert len(rows("model_measurements")) == 6
s = rows("benchmark_summary")
assert len(s) == 2 and all(r["measured_runs"] == "2" and float(r["wall_s_median"]) > 0 for r in s), s
assert all(int(r["cpu_util_count"]) > 0 for r in s), s
PY
pass "the CSV cells read back as stored, formulas neutralised, negative numbers numeric"
# The raw bytes: a negative number is not quoted or prefixed.
grep -q ',-3.5,' "$T/csv/metrics.csv" || fail "a negative value stays a bare number"
pass "a negative value stays a bare number"

run_bl -C "$R" export --format json -o "$T/all.json"
expect_eq "$status" 0 "export --format json"
python3 - "$T/all.json" <<'PY' || fail "the JSON document holds everything"
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["machines"]) == 1 and len(doc["commits"]) == 2 and len(doc["benchmarks"]) == 2
runs = [r for b in doc["benchmarks"] for r in b["runs"]]
assert len(runs) == 6 and sum(r["kind"] == "warmup" for r in runs) == 2
assert all(r["model_measurements"][0]["model_load_time"] == 2.5 for r in runs)
assert all(len(r["device_samples"]) >= 2 for r in runs)
assert any(m["name"].startswith("=HYPERLINK") and m["value"] == -3.5 for m in runs[0]["metrics"])
assert doc["commits"][0]["subject"] in ("=cmd|' /C calc'!A0", "+second, with a comma")
PY
pass "the JSON document holds every case, run, metric, measurement and sample"
run_bl -C "$R" export --format json
expect_eq "$status" 0 "export --format json to standard output"
python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$out" || fail "standard output is one JSON document"

run_bl -C "$R" export --to "$T/copy.db"
expect_eq "$status" 0 "export --to another database"
expect_contains "$out" "exported 6 runs (0 already there)" "every run copied"
run_bl -C "$R" export --to "$T/copy.db"
expect_contains "$out" "exported 0 runs (6 already there)" "exporting twice adds nothing"
run_bl import --db "$T/merged.db" --from "$T/copy.db"
expect_eq "$status" 0 "import --from"
expect_contains "$out" "imported 6 runs (0 already there)" "import copies every run"
run_bl import --db "$T/merged.db" --from "$T/copy.db"
expect_contains "$out" "imported 0 runs (6 already there)" "importing twice adds nothing"
expect_eq "$(sql "$T/merged.db" "select count(*) from metrics")" "$(sql "$DB" "select count(*) from metrics")" "every value arrives"

# Bad input.
run_bl -C "$R" export
expect_eq "$status" 2 "export needs --format or --to"
run_bl -C "$R" export --format xml
expect_eq "$status" 2 "an unknown format is refused"
expect_contains "$err" "--format is csv or json, not 'xml'" "naming it"
run_bl -C "$R" export --to "$T/x.db" --format csv
expect_eq "$status" 2 "--to and --format do not go together"
run_bl export --db "$T/none.db" --format csv -o "$T/none"
expect_eq "$status" 2 "a database that does not exist"
expect_contains "$err" "does not exist" "says so"
run_bl import --db "$T/merged.db" --from "$T/none.db"
expect_eq "$status" 2 "import --from a database that does not exist"
run_bl import --db "$T/merged.db" --from "$T/merged.db"
expect_eq "$status" 2 "importing a database into itself is refused"
# A failed export leaves the files of the previous one.
before=$(sha256sum "$T/csv/runs.csv")
printf 'not a database' >"$T/bad.db"
run_bl export --db "$T/bad.db" --format csv -o "$T/csv"
expect_eq "$status" 3 "a file that is not a database"
expect_eq "$(sha256sum "$T/csv/runs.csv")" "$before" "the previous export is left as it was"
pass
