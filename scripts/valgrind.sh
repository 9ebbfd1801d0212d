#!/usr/bin/env bash
# valgrind.sh [TEST...] - runs end-to-end tests (tests/e2e/t-NAME.sh; by
# default a representative subset) with every benchline call under valgrind
# memcheck, then reports each invalid access, use of uninitialised memory and
# definite or indirect leak, with the test and command that caused it.
# Exits 1 when valgrind found anything or a test failed.
#   scripts/valgrind.sh                      # the default subset
#   scripts/valgrind.sh t-failures t-report  # these tests
#   BUILD=build scripts/valgrind.sh          # the build whose benchline to check
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
command -v valgrind >/dev/null || { echo "SKIPPED: valgrind is not installed (Debian package valgrind)"; exit 77; }
build=${BUILD:-build}
[ -x "$build/benchline" ] || { echo "valgrind.sh: no $build/benchline; run scripts/build.sh first" >&2; exit 2; }
if [ $# -eq 0 ]; then
	# Every subcommand and the main failure paths, in a time 2 cores can afford.
	set -- t-cli t-run-basic t-failures t-config-errors t-hostile-revs t-hostile-input t-detect-csv \
		t-compare-gbench t-report t-interrupt t-schema-newer
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/benchline-valgrind.XXXXXX")
chmod 1777 "$logs" # t-cli runs benchline as the user nobody too
# Leaks of kinds definite and indirect are errors; "still reachable" memory
# (static caches of libraries) and "possible" leaks are not.
export BENCHLINE_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --track-origins=yes --child-silent-after-fork=yes \
--log-file=$logs/vg.%p.log"
export BENCHLINE=$PWD/$build/benchline BENCHLINE_SRC=$PWD
# Tests with leases and deadlines (t-queue) stretch them by this factor.
export BENCHLINE_TEST_SLOW=${BENCHLINE_TEST_SLOW:-10}
failed=0
for t in "$@"; do
	t=${t%.sh}
	t=${t#tests/e2e/}
	start=$(date +%s)
	if bash "tests/e2e/$t.sh" >"$logs/$t.out" 2>&1; then
		result=passed
	else
		result="FAILED (output: $logs/$t.out)"
		failed=1
	fi
	# Name each valgrind log after the test that produced it.
	for f in "$logs"/vg.*.log; do
		[ -e "$f" ] && mv "$f" "$logs/$t.${f##*/vg.}"
	done
	echo "$t: $result in $(($(date +%s) - start)) s"
done
reports=0
for f in "$logs"/t-*.log; do
	# Errors are the "==PID==" lines; "--PID--" lines are valgrind's own notes
	# (such as "unhandled syscall 434": pidfd_open, which benchline falls back from).
	grep -q '^==[0-9]*==' "$f" || continue
	reports=$((reports + 1))
	echo "---- $f"
	grep '^==[0-9]*==' "$f"
done
if [ "$reports" -gt 0 ]; then
	echo "valgrind: $reports benchline calls with errors (logs in $logs)"
	exit 1
fi
echo "valgrind: no invalid access, uninitialised read or leak in $# tests (logs in $logs)"
[ "$failed" -eq 0 ] && rm -rf "$logs"
exit $failed
