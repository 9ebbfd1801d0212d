#!/usr/bin/env bash
# Device sampling during runs: a benchmark that burns CPU for about 0.3 s gets
# samples in device_measurements (CPU utilisation set, GPU columns NULL on a
# machine without GPU) and per-run summary metrics; interval_ms 0 turns it off.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/burn.sh" <<'SH'
#!/bin/sh
# Busy for about 0.3 s of wall time, in one process (a shell builtin loop).
timeout 0.3 sh -c 'while :; do :; done' ; exit 0
SH
write_config() {
	cat >"$R/benchline.yaml" <<YAML
version: 1
suite: [bench]
sampling:
  interval_ms: $1
benchmarks:
  - name: burn
    command: [sh, bench/burn.sh]
    warmup: 1
    repetitions: 1
YAML
}
write_config 10
echo v1 >"$R/lib.txt"
commit_at "$R" 1 "first"

run_bl -C "$R" run HEAD
expect_eq "$status" 0 "run exits 0"
expect_contains "$err" "device sampling every 10 ms: procfs" "notice names the active backends"
if ! ldconfig -p 2>/dev/null | grep -q libnvidia-ml; then
	expect_contains "$err" "nvml unavailable" "notice says why NVML is not used"
fi
DB=$R/.benchline/results.db
RUN=$(sql "$DB" "select run_id from runs where kind='measured'")
rows=$(sql "$DB" "select count(*) from device_measurements where run_id=$RUN")
[ "$rows" -ge 2 ] || fail "at least 2 samples for the run (got $rows)"
expect_eq "$(sql "$DB" "select count(*) from device_measurements where run_id=$RUN and warmup=0")" "$rows" "measured samples are not warm-up"
[ "$(sql "$DB" "select count(*) from device_measurements d join runs r using(run_id) where r.kind='warmup' and d.warmup=1")" -ge 2 ] ||
	fail "warm-up samples marked as such"
busy=$(sql "$DB" "select count(*) from device_measurements where run_id=$RUN and cpu_util is not null")
[ "$busy" -ge 1 ] || fail "cpu_util non-null in some samples"
expect_eq "$(sql "$DB" "select count(*) from device_measurements where run_id=$RUN and (time is null or t_ns is null)")" 0 "time and t_ns in every sample"
expect_eq "$(sql "$DB" "select count(*) from device_measurements d join benchmarks b using(benchmark_id) where d.run_id=$RUN")" "$rows" "samples belong to the run's benchmark"
if ! command -v nvidia-smi >/dev/null 2>&1; then
	expect_eq "$(sql "$DB" "select count(*) from device_measurements where gpu_util is not null or gpu_index is not null or gpu_mem_megabytes is not null")" 0 "no GPU: GPU columns NULL"
	expect_eq "$(sql "$DB" "select gpus from machines")" "[]" "no GPU in the machine's provenance"
fi
for m in cpu_util_mean cpu_util_max rss_mb_mean rss_mb_max; do
	expect_eq "$(sql "$DB" "select count(*) from metrics where run_id=$RUN and name='$m'")" 1 "summary metric $m"
done
expect_eq "$(sql "$DB" "select unit || ' ' || ifnull(better, '-') from metrics where run_id=$RUN and name='rss_mb_max'")" "MiB lower" "rss unit and direction"
expect_eq "$(sql "$DB" "select unit from metrics where run_id=$RUN and name='cpu_util_max'")" "%" "cpu unit"
mean=$(sql "$DB" "select cast(value as int) from metrics where run_id=$RUN and name='cpu_util_max'")
[ "$mean" -ge 20 ] || fail "a CPU-burning benchmark peaks above 20% of a core (got $mean)"

# interval_ms: 0 stores no sample and no summary.
write_config 0
git -C "$R" add -A >/dev/null
commit_at "$R" 2 "second"
run_bl -C "$R" run HEAD
expect_eq "$status" 0 "run without sampling exits 0"
expect_contains "$err" "device sampling off" "notice says sampling is off"
RUN2=$(sql "$DB" "select max(run_id) from runs where kind='measured'")
[ "$RUN2" != "$RUN" ] || fail "a second run was stored"
expect_eq "$(sql "$DB" "select count(*) from device_measurements where run_id=$RUN2")" 0 "no samples with interval_ms 0"
expect_eq "$(sql "$DB" "select count(*) from metrics where run_id=$RUN2 and name like 'cpu_util%'")" 0 "no summary with interval_ms 0"
expect_eq "$(sql "$DB" "select count(*) from metrics where run_id=$RUN2 and name='wall_time'")" 1 "the run itself is stored"

# show --device RUN summarises a run's samples.
run_bl -C "$R" show --device "$RUN"
expect_eq "$status" 0 "show --device exits 0"
expect_contains "$out" "run $RUN: burn {} at" "show --device names the run"
expect_contains "$out" "samples over" "show --device counts the samples"
expect_contains "$out" "cpu_util" "show --device lists process CPU"
expect_contains "$out" "sys_mem_megabytes" "show --device lists system memory"
run_bl -C "$R" show --device "$RUN2"
expect_eq "$status" 0 "show --device of a run without samples exits 0"
expect_contains "$out" "no device samples" "says the run has no samples"
run_bl -C "$R" show --device 999999
[ "$status" -ne 0 ] || fail "show --device of a missing run fails"
expect_contains "$err" "no run 999999" "names the missing run"
run_bl -C "$R" show --device abc
expect_eq "$status" 2 "show --device needs a number"
pass
