#!/usr/bin/env bash
# fuzz.sh [SECONDS] - builds the libFuzzer targets (fuzz/fuzz_<name>.c, clang
# with ASan+UBSan) in build-fuzz/ and runs each for SECONDS (default 60) on a
# corpus seeded from fuzz/seeds/<name>/. Prints one line per target:
#   fuzz_config: 1234567 executions in 60 s (20576/s), corpus 812: ok
# and exits 1 when any target crashed, leaked, hit a sanitizer report or ran
# out of time or memory on one input (the input is kept in build-fuzz/crashes/).
# Exits 77 with a "SKIPPED" line when clang or libFuzzer is missing.
#   RUNS=1000000 bench/fuzz.sh 3600   # stop each target after a million executions
#   TARGETS="config gbench" bench/fuzz.sh 30
#   FUZZ_BUILD=dir                    # another build directory
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
seconds=${1:-60}
dir=${FUZZ_BUILD:-build-fuzz}

skip() {
	echo "SKIPPED: fuzzing ($*; install the Debian packages clang and libclang-rt-dev)"
	exit 77
}
command -v clang >/dev/null || skip "no clang"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null || skip "clang cannot link -fsanitize=fuzzer"

if [ -n "${TARGETS:-}" ]; then
	targets=$TARGETS
else
	targets=$(cd fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
build_targets=()
for t in $targets; do build_targets+=(--target "fuzz_$t"); done
if ! { cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DBENCHLINE_FUZZ=ON -DBUILD_TESTING=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
	cmake --build "$dir" -j"$(nproc)" "${build_targets[@]}" >"$dir/fuzz-build.log" 2>&1; }; then
	cat "$dir/fuzz-build.log" 2>/dev/null | tail -n 30
	echo "fuzz: build failed"
	exit 1
fi

failed=0
mkdir -p "$dir/crashes"
for t in $targets; do
	corpus=$dir/corpus/$t
	mkdir -p "$corpus"
	log=$dir/fuzz_$t.log
	runs=()
	[ -n "${RUNS:-}" ] && runs=(-runs="$RUNS")
	start=$(date +%s.%N)
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: memory blow-up.
	"$dir/fuzz_$t" -max_total_time="$seconds" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/${t}-" "$corpus" "fuzz/seeds/$t" >"$log" 2>&1
	rc=$?
	elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	size=$(find "$corpus" -type f | wc -l)
	rate=$(awk -v n="${execs:-0}" -v s="$elapsed" 'BEGIN { printf "%.0f", (s > 0) ? n / s : n }')
	if [ $rc -eq 0 ]; then
		result=ok
	else
		failed=1
		what=$(grep -m1 -E '^==[0-9]+==ERROR|runtime error|ERROR: libFuzzer' "$log" | sed 's/^==[0-9]*==//')
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		result="FAILED (exit $rc: ${what:-see $log}; input: ${artifact:-none}; log: $log)"
	fi
	echo "fuzz_$t: ${execs:-0} executions in $elapsed s (${rate}/s), corpus $size: $result"
done
exit $failed
