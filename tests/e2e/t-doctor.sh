#!/usr/bin/env bash
# benchline doctor: each check read from a fake /proc and /sys tree
# (BENCHLINE_SYSROOT), a tuned machine passes with exit 0, an untuned one
# gets each warning with its advice and exit 1; no GPU is a clean "no NVIDIA
# GPU"; and it runs on the real machine.
. "$(dirname "$0")/lib.sh"

# mkroot DIR GOVERNOR MIN MAX NO_TURBO ASLR LOAD ISOLATED NOHZ PARANOID SWAPTOTAL SWAPFREE
mkroot() {
	local d=$1
	mkdir -p "$d/proc/sys/kernel" "$d/sys/devices/system/cpu/intel_pstate"
	for cpu in 0 1 2 3; do
		mkdir -p "$d/sys/devices/system/cpu/cpu$cpu/cpufreq"
		echo "$2" >"$d/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_governor"
		echo "$3" >"$d/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_min_freq"
		echo "$4" >"$d/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_max_freq"
		echo intel_pstate >"$d/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_driver"
	done
	mkdir -p "$d/sys/devices/system/cpu/cpufreq" "$d/sys/devices/system/cpu/cpuidle"
	echo "$5" >"$d/sys/devices/system/cpu/intel_pstate/no_turbo"
	echo "$6" >"$d/proc/sys/kernel/randomize_va_space"
	echo "$7 0.50 0.25 1/123 4567" >"$d/proc/loadavg"
	echo 0-3 >"$d/sys/devices/system/cpu/online"
	echo "$8" >"$d/sys/devices/system/cpu/isolated"
	echo "$9" >"$d/sys/devices/system/cpu/nohz_full"
	echo "${10}" >"$d/proc/sys/kernel/perf_event_paranoid"
	printf 'MemTotal:       16000000 kB\nSwapCached:            0 kB\nSwapTotal:      %s kB\nSwapFree:       %s kB\n' \
		"${11}" "${12}" >"$d/proc/meminfo"
	echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet" >"$d/proc/cmdline"
}

export BENCHLINE_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1

# A tuned machine.
mkroot "$T/good" performance 3000000 3000000 1 0 0.05 2-3 2-3 1 0 0
BENCHLINE_SYSROOT=$T/good run_bl doctor
expect_eq "$status" 0 "a tuned machine: exit 0"
expect_contains "$out" "0 warnings, 0 notes, 9 ok" "every check passes"
expect_contains "$out" "ok       cpu-governor    'performance' on all 4 CPUs" "governor ok"
expect_contains "$out" "ok       cpu-freq-range  minimum = maximum frequency on 4 CPUs (driver intel_pstate)" "frequency pinned"
expect_contains "$out" "Turbo Boost is off" "turbo off"
expect_contains "$out" "CPUs 2-3 isolated, nohz_full=2-3" "isolated CPUs found"
expect_contains "$out" "load average 0.05 0.50 0.25 on 4 CPUs" "load read with the CPU count"
expect_contains "$out" "no NVIDIA GPU (NVML not found: " "no GPU is a clean ok"
run_bl doctor --sysroot "$T/good" --quiet
expect_eq "$status:$out" "0:" "--sysroot and --quiet: nothing to say"

# An untuned machine: every warning, each with its advice.
mkroot "$T/bad" powersave 800000 4500000 0 2 3.5 "" "(null)" 4 2097148 1048576
BENCHLINE_SYSROOT=$T/bad run_bl doctor
expect_eq "$status" 1 "warnings: exit 1"
expect_contains "$out" "WARNING  cpu-governor    4 of 4 CPUs not on the 'performance' governor (cpu0 uses 'powersave')" "governor warning"
expect_contains "$out" "sudo cpupower frequency-set -g performance" "governor advice"
expect_contains "$out" "WARNING  cpu-freq-range  4 of 4 CPUs may run between 800 and 4500 MHz" "frequency range warning"
expect_contains "$out" "WARNING  turbo           Turbo Boost is on" "turbo warning"
expect_contains "$out" "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo" "turbo advice"
expect_contains "$out" "note     aslr            address space layout randomisation is on (randomize_va_space = 2)" "ASLR note"
expect_contains "$out" "WARNING  load            load average 3.50" "load warning"
expect_contains "$out" "note     isolated-cpus   no CPU is isolated" "isolation note"
expect_contains "$out" "isolcpus=LIST nohz_full=LIST" "isolation advice"
expect_contains "$out" "note     perf-counters   perf_event_paranoid = 4: hardware counters (perf stat) need root" "perf note"
expect_contains "$out" "WARNING  swap            1024.0 MiB swapped out of 2048.0 MiB" "swap warning"
expect_contains "$out" "5 warnings, 3 notes, 1 ok" "the summary counts"
run_bl doctor --sysroot "$T/bad" --max-load 10 -q
expect_eq "$status" 1 "still warnings with a higher load limit"
case "$out" in *" load  "*) fail "--max-load 10 accepts a load of 3.5: $out" ;; esac
pass "--max-load raises the limit"
printf '%s\n' "$out" | grep -qE '^(note|ok) ' && fail "--quiet prints only warnings: $out"
pass "--quiet prints only warnings"

# AMD-style boost, isolcpus only on the command line, no cpufreq at all.
mkroot "$T/amd" performance 3000000 3000000 0 0 0.1 "" "" 2 0 0
rm -r "$T/amd/sys/devices/system/cpu/intel_pstate" "$T/amd/sys/devices/system/cpu/isolated"
echo 1 >"$T/amd/sys/devices/system/cpu/cpufreq/boost"
echo "root=/dev/sda1 isolcpus=1,3 rcu_nocbs=1,3" >"$T/amd/proc/cmdline"
run_bl doctor --sysroot "$T/amd" --no-gpu
expect_contains "$out" "CPU boost is on (cpufreq/boost = 1)" "cpufreq/boost read"
expect_contains "$out" "CPUs 1,3 are isolated, but without nohz_full" "isolcpus from /proc/cmdline"
case "$out" in *gpu*) fail "--no-gpu skips the GPU: $out" ;; esac
pass "--no-gpu skips the GPU check"

mkdir -p "$T/empty"
run_bl doctor --sysroot "$T/empty"
expect_eq "$status" 0 "nothing readable: notes, not warnings"
expect_contains "$out" "no cpufreq governor found" "missing cpufreq is a note"
expect_contains "$out" "/proc/loadavg unreadable" "missing loadavg is said"
expect_contains "$out" "0 warnings, 7 notes, 1 ok" "only the GPU check is ok"

# Bad usage.
run_bl doctor --max-load nope
expect_eq "$status" 2 "bad --max-load: exit 2"
expect_contains "$err" "--max-load needs a positive number, not 'nope'" "bad --max-load names the value"
run_bl doctor extra
expect_eq "$status" 2 "stray argument: exit 2"

# NVML that is not NVML: a clean reason.
BENCHLINE_NVML_LIBRARY=libc.so.6 run_bl doctor --sysroot "$T/good"
expect_contains "$out" "no NVIDIA GPU (" "a library without NVML's symbols is no GPU"
expect_eq "$status" 0 "and no warning"

# GPU clocks and throttle reasons. No GPU here, so a stand-in libnvidia-ml
# (the NVML entry points benchline looks up, answering for one GPU whose
# reasons come from $STANDIN_REASONS) goes through the real dlopen path.
cat >"$T/nvml.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned *n) { *n = 1; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **h) { *h = (void *)(size_t)(i + 1); return 0; }
int nvmlDeviceGetName(void *h, char *name, unsigned len) { snprintf(name, len, "Stand-in GPU"); return 0; }
int nvmlDeviceGetClockInfo(void *h, int type, unsigned *mhz) { *mhz = 1410; return 0; }
int nvmlDeviceGetTemperature(void *h, int type, unsigned *c) { *c = 87; return 0; }
int nvmlDeviceGetCurrentClocksEventReasons(void *h, unsigned long long *r)
{
	*r = strtoull(getenv("STANDIN_REASONS"), NULL, 0);
	return 0;
}
C
${CC:-cc} -shared -fPIC -o "$T/libnvidia-ml.so.1" "$T/nvml.c" || fail "stand-in NVML builds"
BENCHLINE_NVML_LIBRARY=$T/libnvidia-ml.so.1 STANDIN_REASONS=0x41 run_bl doctor --sysroot "$T/good"
expect_eq "$status" 1 "a thermally throttled GPU: exit 1"
expect_contains "$out" "WARNING  gpu0-clocks     Stand-in GPU: SM clock 1410 MHz, 87 C, clocks held down by: idle, hardware thermal slowdown" "throttle reasons decoded"
expect_contains "$out" "nvidia-smi -lgc" "GPU advice"
BENCHLINE_NVML_LIBRARY=$T/libnvidia-ml.so.1 STANDIN_REASONS=0 run_bl doctor --sysroot "$T/good"
expect_eq "$status" 0 "an unthrottled GPU: exit 0"
expect_contains "$out" "note     gpu0-clocks     Stand-in GPU: SM clock 1410 MHz, 87 C, no clock limit active" "no reason: a note on locking clocks"
BENCHLINE_NVML_LIBRARY=$T/libnvidia-ml.so.1 STANDIN_REASONS=0x1 run_bl doctor --sysroot "$T/good" --no-gpu
case "$out" in *Stand-in*) fail "--no-gpu loads no NVML: $out" ;; esac
pass "--no-gpu does not load NVML"

# The real machine: every check reports, whatever the verdict.
unset BENCHLINE_NVML_LIBRARY
run_bl doctor
case "$status" in 0|1) pass "real machine: exit $status" ;; *) fail "real machine: exit $status: $err" ;; esac
for check in cpu-governor turbo aslr load isolated-cpus perf-counters swap; do
	expect_contains "$out" " $check " "real machine: $check reported"
done
[ -z "$err" ] || fail "nothing on stderr: $err"
pass "real machine: nothing on stderr"
