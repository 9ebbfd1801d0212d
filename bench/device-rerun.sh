#!/usr/bin/env bash
# device-rerun.sh - the report and recorder benchmarks whose targets this 2-vCPU development VM cannot settle,
# packed for one call on a many-core machine (the project's GPU machine: 16 vCPUs, no package registry, no libpq):
#
#   bench/device-rerun.sh --pack BUILD DIR   (here) copy BUILD's benchline, bench_report and bench_sampler into
#                                            DIR with every shared library they load except glibc's, so DIR runs
#                                            on a machine that lacks them (carry DIR, an ignored build-* folder)
#   bench/device-rerun.sh DIR [OUT]          (there) run, within $BUDGET seconds (default 540), writing logs to OUT
#                                            (default $OUT, else /tmp/device-rerun):
#     1. the 10,000-commit x 200-series x 5-run history (bench_report --per-commit, about a minute on 16 vCPUs),
#        then bench/report.sh: three `benchline report --metric all` and bench_report --time (issue #5: under 2 s);
#     2. bench/perturbation.sh on CPUs $PERTURB_CPUS (default 2,3: a 2-core machine), then the benchmark pinned there by
#        --cpu-list and the sampler elsewhere (issue #3: medians within 1%);
#     3. bench_sampler (issue #3: CPU time per sample).
# STEPS (default report,perturb,sampler; also scaling: the report confined to 2, 4, 8 and all CPUs) picks which
# run. Each step has its own time limit, so a slow one leaves time for the others; timeline.txt says what ran when.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = --pack ]; then
	build=${2:?usage: bench/device-rerun.sh --pack BUILD DIR}
	dir=${3:?usage: bench/device-rerun.sh --pack BUILD DIR}
	mkdir -p "$dir/lib"
	for b in benchline bench_report bench_sampler; do
		[ -x "$build/$b" ] || { echo "device-rerun: $build/$b is missing (build it first)" >&2; exit 2; }
		cp "$build/$b" "$dir/"
		ldd "$build/$b" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
			case "$(basename "$lib")" in
			libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
			*) cp -L "$lib" "$dir/lib/" ;;
			esac
		done
	done
	# bench/perturbation.sh reads its results with the sqlite3 shell, which that machine may lack
	if command -v sqlite3 >/dev/null; then
		cp "$(command -v sqlite3)" "$dir/"
		ldd "$(command -v sqlite3)" | awk '$3 ~ /^\// { print $3 }' | grep -v -E '/(libc|libm|ld-linux)[.-]' |
			xargs -r cp -L -t "$dir/lib/"
	fi
	echo "packed $(find "$dir" -maxdepth 1 -type f | wc -l) programs and $(find "$dir/lib" -type f | wc -l) libraries in $dir"
	exit 0
fi

dir=$(cd "${1:?usage: bench/device-rerun.sh DIR [OUT] (or --pack BUILD DIR)}" && pwd)
out=${2:-${OUT:-/tmp/device-rerun}}
mkdir -p "$out"
export PATH=$dir:$PATH LD_LIBRARY_PATH=$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} TMPDIR=${TMPDIR:-/tmp}
t0=$(date +%s)
deadline=$((t0 + ${BUDGET:-540}))
left() { echo $((deadline - $(date +%s))); }
mark() { echo "[$(($(date +%s) - t0)) s] $*" | tee -a "$out/timeline.txt"; }
# step LIMIT LOG COMMAND...: runs COMMAND for at most LIMIT seconds (less when the budget has less left)
step() {
	local limit=$1 log=$2
	shift 2
	local l
	l=$(left)
	[ "$limit" -lt "$l" ] || limit=$l
	if [ "$limit" -le 5 ]; then
		mark "skipped (budget spent): $*"
		return 0
	fi
	timeout "$limit" "$@" >"$out/$log" 2>&1
	mark "rc=$? after a limit of $limit s: $* (log $log)"
}

{
	echo "cpus: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo
	uname -r
	ldd --version | head -1
	"$dir/benchline" --version
	uptime
} >"$out/machine.txt" 2>&1
mark "machine: $(nproc) CPUs"

work=$TMPDIR/device-rerun-report
rm -rf "$work"
steps=,${STEPS:-report,perturb,sampler},
case $steps in *,report,* | *,scaling,*)
	step 150 history.log "$dir/bench_report" --commits "${COMMITS:-10000}" --cases 40 --runs 5 --per-commit "$work" ;;
esac
case $steps in *,report,*) step 120 report.log bash "$here/bench/report.sh" "$dir" "${COMMITS:-10000}" 40 5 "$work" ;; esac
# the same report confined to the first 2, 4, 8 and all CPUs (taskset), three runs each
scaling() {
	local n cpus i s e seen=" "
	for n in 2 4 8 "$(nproc)"; do
		[ "$n" -le "$(nproc)" ] && [ "${seen#* $n }" = "$seen" ] || continue
		seen="$seen$n "
		cpus=0-$((n - 1))
		for i in 1 2 3; do
			rm -rf "$work/site"
			s=$(date +%s.%N)
			taskset -c "$cpus" "$dir/benchline" -C "$work/repo" report --metric all -o "$work/site" | tail -1 |
				sed "s/^/cpus $cpus run $i: /"
			e=$(date +%s.%N)
			echo "cpus $cpus run $i: $(awk "BEGIN { printf \"%.2f\", $e - $s }") s wall"
		done
	done
}
case $steps in *,scaling,*) step 120 scaling.log env dir="$dir" work="$work" bash -c "$(declare -f scaling); scaling" ;; esac
rm -rf "$work"
case $steps in *,perturb,*)
step 110 perturb-2cpu.log taskset -c "${PERTURB_CPUS:-2,3}" bash "$here/bench/perturbation.sh" "$dir/benchline" "${PRUNS:-25}"
step 110 perturb-cpulist.log env PERTURB_RUN_FLAGS="--cpu-list ${PERTURB_CPUS:-2,3}" bash "$here/bench/perturbation.sh" \
	"$dir/benchline" "${PRUNS:-25}" ;;
esac
case $steps in *,sampler,*) step 60 sampler.log "$dir/bench_sampler" ;; esac
mark "done"
grep -h -E '^(run [0-9]|time:|bulk|ratio|wall time|CPU time|  difference|  Hodges|target|cpus .* wall)' \
	"$out"/report.log "$out"/scaling.log "$out"/perturb-*.log 2>/dev/null
