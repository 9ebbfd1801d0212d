# lib.sh - shared helpers of the end-to-end tests (sourced by t-*.sh).
# Each test runs the real benchline binary ($BENCHLINE) against real git
# repositories made in a fresh temporary directory, and checks the real
# SQLite database with the sqlite3 command-line tool.
set -euo pipefail

: "${BENCHLINE:?set BENCHLINE to the benchline binary}"
: "${BENCHLINE_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
base_tmp=${BENCHLINE_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$base_tmp"
T=$(mktemp -d "$base_tmp/e2e.XXXXXX")
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home" NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name "Test Author"
git config --global user.email "test@example.org"
git config --global init.defaultBranch main
git config --global commit.gpgsign false
unset BENCHLINE_DB
# BENCHLINE_WRAPPER="valgrind --error-exitcode=99 ..." runs every benchline
# call of the test under that command (scripts/valgrind.sh): $BENCHLINE
# becomes a script that execs it, so pids, signals and exit codes stay the
# benchline's own.
if [ -n "${BENCHLINE_WRAPPER:-}" ]; then
	mkdir -p "$T/wrapper"
	{
		echo '#!/bin/sh'
		printf 'exec %s %q "$@"\n' "$BENCHLINE_WRAPPER" "$BENCHLINE"
	} >"$T/wrapper/benchline"
	chmod +x "$T/wrapper/benchline"
	BENCHLINE=$T/wrapper/benchline
fi

checks=0
cleanup() {
	local rc=$?
	# Nothing a test started may keep running.
	pkill -9 -f "$T/" 2>/dev/null || true
	if [ $rc -eq 0 ]; then
		rm -rf "$T"
		echo "ok: $checks checks passed"
	else
		echo "FAILED (workspace kept: $T)"
	fi
}
trap cleanup EXIT

fail() {
	echo "not ok: $*" >&2
	exit 1
}

pass() {
	checks=$((checks + 1))
	echo "ok $checks - $*"
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
	pass "$3"
}

# expect_contains HAYSTACK NEEDLE DESCRIPTION
expect_contains() {
	case "$1" in
	*"$2"*) pass "$3" ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

# sql DB QUERY -> result rows
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}

# commit_at REPO DAY MESSAGE: commits everything with a fixed date
commit_at() {
	local repo=$1 day=$2 msg=$3
	git -C "$repo" add -A
	GIT_AUTHOR_DATE="2026-01-$(printf %02d "$day")T12:00:00Z" \
		GIT_COMMITTER_DATE="2026-01-$(printf %02d "$day")T12:00:00Z" \
		git -C "$repo" commit -q --allow-empty -m "$msg"
}

# run_bl ARGS...: runs benchline, captures stdout/stderr/exit status in
# $out, $err, $status (never aborts the test).
run_bl() {
	set +e
	"$BENCHLINE" "$@" >"$T/out" 2>"$T/err"
	status=$?
	set -e
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	case "$err" in
	*"WARNING: ThreadSanitizer"* | *"ERROR: AddressSanitizer"* | *"SUMMARY: UndefinedBehaviorSanitizer"*)
		fail "sanitizer report from benchline $*: $err" ;;
	esac
}

# A benchmark script that writes one protocol metric and takes a little time.
write_bench_script() {
	cat >"$1" <<'SH'
#!/bin/sh
# usage: bench.sh VALUE
echo "{\"name\": \"score\", \"value\": ${1:-1}, \"unit\": \"pts\", \"better\": \"higher\"}" >>"$BENCHLINE_METRICS"
echo "ran with $1"
SH
	chmod +x "$1"
}
