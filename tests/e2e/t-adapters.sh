#!/usr/bin/env bash
# Benchmarks whose metrics come from a harness's own output: Google
# Benchmark JSON, hyperfine's export, pytest-benchmark JSON and a regex over
# stdout, all run for real over a git repository of three commits. Broken
# harness output keeps the run, says why once, and stores the reason.
. "$(dirname "$0")/lib.sh"

for tool in g++ hyperfine /usr/bin/python3; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/bootstrap.sh"
done
[ -f /usr/include/benchmark/benchmark.h ] || fail "libbenchmark-dev is missing: run scripts/bootstrap.sh"
/usr/bin/python3 -c 'import pytest_benchmark' 2>/dev/null || fail "python3-pytest-benchmark is missing: run scripts/bootstrap.sh"
# Debian's python3 (with pytest-benchmark) before any other on PATH.
export PATH=/usr/bin:$PATH

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/work.h" <<'C'
static inline long work(long n) { long s = 0; for (long i = 0; i < n * LOOPS; i++) s += i ^ (s >> 3); return s; }
C
cat >"$R/bench/bm.cc" <<'CC'
#include <benchmark/benchmark.h>
#define LOOPS 1
#include "../work.h"
static void BM_work(benchmark::State &state) {
	for (auto _ : state) benchmark::DoNotOptimize(work(state.range(0)));
}
BENCHMARK(BM_work)->Arg(1000);
BENCHMARK_MAIN();
CC
cat >"$R/bench/tool.sh" <<'SH'
#!/bin/sh
# the "command-line tool" hyperfine times: sleeps SLEEP_MS
sleep "0.0$(cat sleep_ms)"
SH
cat >"$R/bench/test_work.py" <<'PY'
def test_sum(benchmark):
    benchmark(sum, range(1000))
PY
cat >"$R/bench/report.sh" <<'SH'
#!/bin/sh
# a program that prints its own numbers
echo "setup done"
echo "decode: $(cat decode_ms) ms"
echo "decode: $(cat decode_ms) ms"
echo "peak: 3 MiB"
SH
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
build:
  command: "g++ -O2 -o bm bench/bm.cc -lbenchmark -lpthread"
  shell: true
defaults: {warmup: 0, repetitions: 2}
benchmarks:
  - name: gb
    command: [./bm, --benchmark_repetitions=3, --benchmark_min_time=0.001, --benchmark_format=json]
    metrics: gbench
  - name: hf
    shell: true
    command: hyperfine -N --runs 3 --export-json "$BENCHLINE_RESULTS_FILE" -n tool 'sh bench/tool.sh' > /dev/null
    metrics: {from: hyperfine}
  - name: py
    command: [python3, -m, pytest, -q, -p, no:cacheprovider, --benchmark-min-rounds=3, --benchmark-max-time=0.001,
              --benchmark-json=out/py.json, bench/test_work.py]
    metrics: {from: pytest-benchmark, file: out/py.json}
  - name: rx
    command: [sh, bench/report.sh]
    metrics:
      from: regex
      pattern: '^(?<name>[a-z]+): (?<value>[0-9.]+) (?<unit>[A-Za-z]+)$'
      better: {decode: lower}
YAML
mkdir -p "$R/out"
echo "out/" >"$R/.gitignore"
echo 1 >"$R/sleep_ms"; echo 10 >"$R/decode_ms"
commit_at "$R" 1 "first"
echo 2 >"$R/sleep_ms"; echo 20 >"$R/decode_ms"
commit_at "$R" 2 "slower tool, slower decode"
echo 3 >"$R/sleep_ms"; echo 30 >"$R/decode_ms"
commit_at "$R" 3 "slower still"

run_bl -C "$R" run HEAD~2..HEAD HEAD~2
expect_eq "$status" 0 "run exits 0"
expect_contains "$err" "24 runs ok" "3 commits x 4 benchmarks x 2 repetitions"
DB=$R/.benchline/results.db
q() { sql "$DB" "$1"; }

# gbench: every repetition (3 a run) and the aggregates, in seconds.
expect_eq "$(q "select count(*) from metrics where name='BM_work/1000:real_time'")" 18 "gbench: 3 repetitions x 2 runs x 3 commits"
expect_eq "$(q "select count(*) from metrics where name='BM_work/1000_mean:cpu_time'")" 6 "gbench: the mean aggregate once a run"
expect_eq "$(q "select distinct unit||' '||better from metrics where name='BM_work/1000:real_time'")" "s lower" "gbench: seconds, lower is better"
expect_eq "$(q "select count(*) from metrics where name='BM_work/1000:real_time' and (value <= 0 or value >= 1)")" 0 "gbench: ns became seconds (about 1 us; in ns it would be over 1000)"

# hyperfine: every timed run.
expect_eq "$(q "select count(*) from metrics where name='tool:time'")" 18 "hyperfine: 3 runs x 2 x 3 commits"
expect_eq "$(q "select count(*) from metrics where name='tool:time' and value < 0.001")" 0 "hyperfine: each run slept at least 1 ms"
expect_eq "$(q "select count(*) from metrics where name='tool:user_time'")" 6 "hyperfine: user time once a run"

# pytest-benchmark: stats and every round, from the configured file.
expect_eq "$(q "select count(*) from metrics where name='bench/test_work.py::test_sum:mean'")" 6 "pytest-benchmark: the mean of each run"
[ "$(q "select count(*) from metrics where name='bench/test_work.py::test_sum:time'")" -ge 18 ] || fail "pytest-benchmark: every round"
pass "pytest-benchmark: every round stored"

# regex: names and units from the output, normalised; two matches a run.
expect_eq "$(q "select count(*) from metrics where name='decode'")" 12 "regex: 2 matches x 2 runs x 3 commits"
expect_eq "$(q "select group_concat(distinct value) from metrics where name='decode'")" "0.01,0.02,0.03" "regex: ms became seconds"
expect_eq "$(q "select distinct unit||' '||better from metrics where name='decode'")" "s lower" "regex: declared direction applied"
expect_eq "$(q "select distinct value||' '||unit from metrics where name='peak'")" "3145728.0 B" "regex: MiB became bytes"

# The harness metrics take part in comparisons like any other.
run_bl -C "$R" compare HEAD~2 HEAD --metric decode
expect_contains "$out" "decode" "compare reads a regex metric"
run_bl -C "$R" show --benchmark rx --metric decode
expect_eq "$status" 0 "show a regex metric"

# Broken harness output: the run is kept, the reason stored and said once.
cat >"$R/bench/report.sh" <<'SH'
#!/bin/sh
echo "decode: 1.2.3 ms"
SH
cat >>"$R/benchline.yaml" <<'YAML'
  - name: gbad
    shell: true
    command: 'echo "{{\"benchmarks\": [" > "$BENCHLINE_RESULTS_FILE"'
    metrics: gbench
YAML
run_bl -C "$R" run HEAD
expect_eq "$status" 0 "bad harness output does not fail the sweep"
expect_contains "$err" "rx at" "the notice names the case"
expect_contains "$err" "no regex metrics (run kept without them)" "the notice says what was lost"
expect_contains "$err" ":1:9: metric 'decode': matched '1.2.3', which is not a number" "the notice gives line and column"
expect_contains "$err" "no gbench metrics" "broken gbench JSON noticed"
expect_eq "$(grep -c 'no regex metrics' "$T/err")" 1 "said once per case, not per run"
expect_contains "$(q "select diagnostics from runs r join benchmarks b using(benchmark_id) where b.name='gbad' limit 1")" \
	"results-" "the stored diagnostic names the results file"
expect_contains "$(q "select diagnostics from runs r join benchmarks b using(benchmark_id) where b.name='gbad' limit 1")" \
	":2:0: invalid JSON" "the stored diagnostic gives the position"
expect_eq "$(q "select count(*) from runs r join benchmarks b using(benchmark_id) where b.name='rx' and r.status='ok'")" 8 "runs kept"
expect_eq "$(q "select count(*) from metrics where name='decode'")" 12 "earlier metrics untouched"

# A harness that prints more than the usual 1 MiB log cap on stdout is read whole.
cat >"$R/bench/big.sh" <<'SH'
#!/bin/sh
awk 'BEGIN { printf "{\"benchmarks\": [\n"; for (i = 0; i < 12000; i++)
	printf "%s{\"name\": \"BM_entry_with_a_long_name/%d\", \"run_type\": \"iteration\", \"real_time\": %d, \"cpu_time\": %d, \"time_unit\": \"ns\", \"iterations\": 1000}\n", (i ? "," : ""), i, i + 1, i + 1
	printf "]}\n" }'
SH
cat >>"$R/benchline.yaml" <<'YAML'
  - name: gbig
    command: [sh, bench/big.sh]
    repetitions: 1
    metrics: gbench
YAML
run_bl -C "$R" run --benchmark gbig HEAD
expect_eq "$status" 0 "big gbench output: run exits 0"
[ "$(stat -c %s "$(ls -d "$R"/.benchline/cache/logs/*/gbig-*/run0.out | head -1)")" -gt 1100000 ] || fail "the output is over 1 MiB"
expect_eq "$(q "select count(*) from metrics where name like 'BM_entry_with_a_long_name/%:real_time'")" 12000 "big gbench output: every entry read"
expect_eq "$(q "select value from metrics where name='BM_entry_with_a_long_name/11999:cpu_time'")" "1.2e-05" "big gbench output: the last entry too"

# Criterion writes one estimates.json per benchmark: 'file' as a glob reads them all, each named from its path;
# files an earlier run left are removed first; no match, and one broken file among several, are said.
est=$BENCHLINE_SRC/tests/data/adapters/criterion/fib_20/new/estimates.json
cat >"$T/cargo-bench.sh" <<SH
#!/bin/sh
# what 'cargo bench' leaves behind: target/criterion/<id>/new/estimates.json
for id in fib_20 fib_30; do mkdir -p "target/criterion/\$id/new" && cp "$est" "target/criterion/\$id/new/"; done
[ -z "\$BROKEN" ] || echo '{"mean": ' >target/criterion/fib_30/new/estimates.json
SH
chmod +x "$T/cargo-bench.sh"
cat >>"$R/benchline.yaml" <<YAML
  - name: crit
    command: ["$T/cargo-bench.sh"]
    repetitions: 2
    metrics: {from: criterion, file: "target/criterion/*/new/estimates.json"}
YAML
# an old benchmark's output that this suite no longer writes must not be read
old=$(ls -d "$R"/.benchline/cache/worktrees/* 2>/dev/null | head -1)
[ -n "$old" ] && mkdir -p "$old/target/criterion/gone/new" && cp "$est" "$old/target/criterion/gone/new/"
run_bl -C "$R" run --benchmark crit HEAD
expect_eq "$status" 0 "criterion glob: run exits 0"
expect_eq "$(q "select count(*) from metrics where name='fib_20:mean'")" 2 "criterion glob: the first benchmark, every run"
expect_eq "$(q "select count(*) from metrics where name='fib_30:mean'")" 2 "criterion glob: the second benchmark"
expect_eq "$(q "select value from metrics where name='fib_20:mean' limit 1")" "2.60302e-05" "criterion glob: the estimate, in seconds"
expect_eq "$(q "select count(*) from metrics where name like 'gone:%'")" 0 "criterion glob: an earlier run's file is not read"
cat >>"$R/benchline.yaml" <<YAML
  - name: crit-none
    command: ["$T/cargo-bench.sh"]
    repetitions: 1
    metrics: {from: criterion, file: "target/nothing/*/estimates.json"}
YAML
run_bl -C "$R" run --benchmark crit-none HEAD
expect_eq "$status" 0 "criterion glob without a match: the run is kept"
expect_contains "$err" "no criterion metrics (run kept without them): no file matches 'target/nothing/*/estimates.json' in '" \
	"criterion glob without a match: said, with the pattern"
BROKEN=1 run_bl -C "$R" run --force --benchmark crit HEAD
expect_eq "$status" 0 "criterion glob with a broken file: the run is kept"
expect_contains "$err" "fib_30/new/estimates.json" "criterion glob with a broken file: the file is named"

# 'file' takes {param} like the command: each case reads its own output.
cat >"$T/gb.sh" <<'SH'
#!/bin/sh
printf '{"benchmarks": [{"name": "BM_x", "run_type": "iteration", "real_time": %s, "cpu_time": %s, "time_unit": "ns", "iterations": 1}]}' "$1" "$1" >"out-$1.json"
SH
chmod +x "$T/gb.sh"
cat >>"$R/benchline.yaml" <<YAML
  - name: psize
    params: {size: [3, 7]}
    command: ["$T/gb.sh", "{size}"]
    repetitions: 1
    metrics: {from: gbench, file: "out-{size}.json"}
YAML
run_bl -C "$R" run --benchmark psize HEAD
expect_eq "$status" 0 "file with {param}: run exits 0"
expect_eq "$(q "select m.value from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) where b.name='psize' and b.params like '%\"3\"%' and m.name='BM_x:real_time'")" "3.0e-09" "file with {param}: size 3 read from out-3.json"
expect_eq "$(q "select m.value from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) where b.name='psize' and b.params like '%\"7\"%' and m.name='BM_x:real_time'")" "7.0e-09" "file with {param}: size 7 from out-7.json"
