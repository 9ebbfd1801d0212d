#!/usr/bin/env bash
# The Python recorder (clients/python/benchline_recorder.py): a transformers
# v1-style script, changed only in its import, runs under benchline; its model
# measurements arrive whole in model_measurements and value by value in the
# metrics; the timer records a block; device samples become summaries. The
# same script runs outside benchline and prints instead.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed (scripts/bootstrap.sh installs it)"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cp "$BENCHLINE_SRC/clients/python/benchline_recorder.py" "$R/"
cat >"$R/llama_like.py" <<'PY'
# A v1 benchmark (benchmark/llama.py) reduced to its use of the recorder.
import logging, sys, threading, time
from benchline_recorder import MetricsRecorder   # was: from benchmarks_entrypoint import MetricsRecorder

logger = logging.getLogger(__name__)
recorder = MetricsRecorder(None, logger, "main", "abc123", "a commit")   # v1 positional arguments
benchmark_id = recorder.initialise_benchmark({"gpu_name": "none", "model_id": "tiny"})

stop = threading.Event()
def sample():
    i = 0
    while not stop.is_set() or i < 3:
        recorder.collect_device_measurements(benchmark_id, 10.0 + i, 100.0 + i, None, float("nan"))
        i += 1
        time.sleep(0.001)
t = threading.Thread(target=sample)
t.start()

with recorder.timer("sleep_time", unit="ms") as tm:
    time.sleep(0.02)
recorder.record("tokens_per_s", 123.5, "1/s", "higher")
recorder.collect_model_measurements(benchmark_id, {
    "model_load_time": 2.5,
    "first_eager_forward_pass_time_secs": 0.04,
    "time_to_first_token_secs": float("nan"),
    "note": "random weights",
})
stop.set()
t.join()
recorder.close()
recorder.close()   # twice is harmless
try:
    recorder.record("bad", float("inf"))
except ValueError as e:
    print("refused:", e, file=sys.stderr)
for bad_name in ("", "two\nlines", "x" * 201):
    try:
        recorder.record(bad_name, 1.0)
        sys.exit("a bad name was accepted: %r" % bad_name)
    except ValueError:
        pass
try:
    with recorder.timer("failed_block"):
        raise RuntimeError("boom")
except RuntimeError:
    pass
import benchline_recorder
with benchline_recorder.timer("module_timer"):
    time.sleep(0.001)
PY
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: llama_like
    command: [python3, llama_like.py]
    repetitions: 2
    warmup: 0
YAML
commit_at "$R" 1 "v1-style benchmark"

run_bl -C "$R" run HEAD
expect_eq "$status" 0 "the script runs under benchline"
DB=$R/.benchline/results.db
expect_eq "$(sql "$DB" "select count(*) from model_measurements")" 2 "one measurements dict per run"
mm=$(sql "$DB" "select measurements from model_measurements limit 1")
expect_contains "$mm" '"model_load_time":2.5' "the dict is kept whole"
expect_contains "$mm" '"note":"random weights"' "non-numeric members are kept in the JSON"
expect_contains "$mm" '"time_to_first_token_secs":null' "NaN is written as null, not as invalid JSON"
expect_eq "$(sql "$DB" "select group_concat(distinct value) from metrics where name='model_load_time'")" "2.5" "each numeric measurement is a metric"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='time_to_first_token_secs'")" 0 "no metric without a number"
expect_eq "$(sql "$DB" "select distinct unit || ' ' || better from metrics where name='tokens_per_s'")" "1/s higher" "record() keeps unit and direction"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='sleep_time' and unit='ms' and value >= 20 and value < 2000")" 2 "the timer records the block in ms"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='recorder_cpu_util_mean' and unit='%' and value >= 10")" 2 "device samples summarised: mean"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='recorder_mem_megabytes_max' and value >= 102")" 2 "device samples summarised: max"
expect_eq "$(sql "$DB" "select count(*) from metrics where name like 'recorder_gpu%'")" 0 "no GPU values: no GPU summaries"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='bad'")" 0 "a non-finite value is refused"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='failed_block'")" 0 "a block that raises records nothing"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='module_timer' and unit='s' and better='lower'")" 2 "the module-level timer records"
others=$(printf '%s\n' "$err" | grep "metrics line" | grep -v -e '"time_to_first_token_secs" is null' -e '"note" is a string' || true)
expect_eq "$others" "" "only the null and the string are reported"
expect_contains "$err" 'measurement "time_to_first_token_secs" is null, not a number' "the NaN's key is named"

# Outside benchline: same script, values printed to stderr, nothing fails.
set +e
outside=$(cd "$R" && env -u BENCHLINE_METRICS python3 llama_like.py 2>&1)
rc=$?
set -e
expect_eq "$rc" 0 "the script runs by hand"
expect_contains "$outside" "benchline_recorder: model_load_time = 2.5" "values are printed outside benchline"
expect_contains "$outside" "benchline_recorder: tokens_per_s = 123.5 1/s" "with their unit"
quiet=$(cd "$R" && env -u BENCHLINE_METRICS BENCHLINE_RECORDER_QUIET=1 python3 llama_like.py 2>&1)
expect_eq "$quiet" "refused: metric 'bad': value inf is not a finite number" "BENCHLINE_RECORDER_QUIET=1 silences it"
[ ! -e "$R/None" ] && [ -z "$(git -C "$R" status --porcelain --untracked-files=all | grep -v '^?? .benchline/' | grep -v __pycache__ || true)" ] \
	|| fail "nothing written into the repository outside benchline"
pass "nothing written outside benchline"
