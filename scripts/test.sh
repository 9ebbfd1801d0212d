#!/usr/bin/env bash
# test.sh - the README's second command: install, build, run every test twice,
# in the developer build and in the ASan+UBSan build, and the sampler's tests
# (ctest label "sampler": test_sampler, test_device, e2e/t-device) and the
# worker's (label "worker": e2e/t-queue) a third time under ThreadSanitizer. Ends with the combined line "N passed, N
# failed" (and ", N skipped" when some did not run: the PostgreSQL tests need
# the server binaries of the package postgresql, which bootstrap.sh
# installs); exits non-zero when any test fails.
#   SKIP_SANITIZE=1 scripts/test.sh   # developer build only (faster)
#   SKIP_TSAN=1 scripts/test.sh       # without the ThreadSanitizer build
# Then every libFuzzer target (fuzz/, bench/fuzz.sh) runs FUZZ_SECONDS (15)
# seconds; a crash, leak or sanitizer report fails it (SKIP_FUZZ=1 skips).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh || exit 1

passed=0
failed=0
skipped=0
run_suite() { # NAME BUILD_DIR CMAKE_ARGS...; BUILD_TARGETS and CTEST_ARGS narrow it down
	local name=$1 dir=$2
	shift 2
	echo "== $name: building in $dir"
	if ! scripts/build.sh "$dir" "$@"; then
		echo "== $name: build failed"
		failed=$((failed + 1))
		return
	fi
	echo "== $name: testing"
	local log="$dir/ctest.log"
	# shellcheck disable=SC2086 # CTEST_ARGS is a list of words
	ctest --test-dir "$dir" --output-on-failure -j2 --timeout 900 ${CTEST_ARGS:-} 2>&1 | tee "$log"
	local line total nfail
	line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "== $name: ctest printed no summary"
		failed=$((failed + 1))
		return
	fi
	nfail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
	total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
	# ctest counts a skipped test (exit 77) as passed: count it apart, and say which.
	local nskip
	nskip=$(grep -c -- '\*\*\*Skipped' "$log" || true)
	if [ "$nskip" -gt 0 ]; then
		grep -- '\*\*\*Skipped' "$log" | sed -E 's/.*: ([^ ]+) \.+.*/== '"$name"': SKIPPED \1/'
	fi
	passed=$((passed + total - nfail - nskip))
	failed=$((failed + nfail))
	skipped=$((skipped + nskip))
}

run_suite "developer build" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite "ASan+UBSan build" build-asan -DCMAKE_BUILD_TYPE=Debug -DBENCHLINE_SANITIZE=ON
fi
if [ "${SKIP_TSAN:-0}" != 1 ] && [ "${SKIP_SANITIZE:-0}" != 1 ]; then
	# Only what the threaded tests need is built (the sampler, the report's workers, the worker's
	# heartbeats, the store's parallel read and the series loader): the whole tree under TSan would
	# double CI time.
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		BUILD_TARGETS="benchline test_sampler test_device test_report test_store" \
		CTEST_ARGS="-L sampler|worker|threads" run_suite "TSan build (threaded tests)" build-tsan -DCMAKE_BUILD_TYPE=Debug \
		-DBENCHLINE_TSAN=ON
fi
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	echo "== fuzzing: each target ${FUZZ_SECONDS:-15} s"
	bench/fuzz.sh "${FUZZ_SECONDS:-15}"
	case $? in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;; # bench/fuzz.sh printed why
	*) failed=$((failed + 1)); echo "== fuzzing: FAILED (the input that failed is in build-fuzz/crashes/)" ;;
	esac
fi
if [ "$skipped" -gt 0 ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null; then
	echo "SKIPPED: the PostgreSQL tests (no initdb/pg_ctl: install the Debian package postgresql)"
fi
echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
