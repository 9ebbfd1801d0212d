#!/usr/bin/env bash
# pg-reads.sh - the commands that read results, on PostgreSQL against SQLite,
# over the same history.
#
#   bench/pg-reads.sh BUILD_DIR [COMMITS] [DIR]
#
# Makes (once, in DIR, default /tmp/pg-reads) a history of COMMITS commits
# (default 2000) x 40 benchmark cases x 5 runs with bench_report
# --per-commit, starts a throwaway PostgreSQL server (tests/pg-server.sh),
# pushes the history into it with `benchline push`, then runs each of
#   report --metric all, detect, detect --metric all, compare HEAD~1 HEAD,
#   show HEAD~20..HEAD
# three times on each backend, alternating, printing the wall and CPU seconds
# of every run, and checks that both backends print the same (the sites with
# diff -r, bar the line stating when they were generated). The push is a
# transaction per run: about 3 minutes for 2,000 commits on a 2-vCPU VM.
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
	shift
	BL=$1 REPO=$2 OUT=$3
	U=$BENCHLINE_TEST_PG_URL
	cd "$REPO"
	/usr/bin/time -o "$OUT/time" -f '%e s' "$BL" push --to "$U" >/dev/null
	echo "push: $(cat "$OUT/time")"
	H=$(git rev-parse HEAD)
	P=$(git rev-parse HEAD~1)
	status=0
	run() { # NAME BACKEND ARGS...
		local name=$1 be=$2 db=
		shift 2
		[ "$be" = postgresql ] && db=$U
		local rc=0
		BENCHLINE_DB=$db /usr/bin/time -o "$OUT/time" -f '%e s wall, %U s user, %S s sys' "$BL" "$@" \
			>"$OUT/$name.$be.out" 2>"$OUT/$name.$be.err" || rc=$?
		printf '%-12s %-10s %s\n' "$name" "$be" "$(tail -1 "$OUT/time")"
		if [ "$rc" -gt 1 ]; then # compare and detect exit 1 for a regression
			echo "$name on $be FAILED (exit $rc): $(head -1 "$OUT/$name.$be.err")"
			status=1
		fi
	}
	for i in 1 2 3; do
		for be in sqlite postgresql; do
			run report "$be" report --metric all -o "$OUT/site.$be"
			run detect "$be" detect
			run detect-all "$be" detect --metric all
			run compare "$be" compare "$P" "$H"
			run show-range "$be" show HEAD~20..HEAD
		done
	done
	for name in detect detect-all compare show-range; do
		if cmp -s "$OUT/$name.sqlite.out" "$OUT/$name.postgresql.out"; then
			echo "$name: same output on both backends"
		else
			echo "$name: OUTPUTS DIFFER ($OUT/$name.*.out)"
			status=1
		fi
	done
	if diff -r -I 'generated [0-9-]* [0-9:]* UTC' "$OUT/site.sqlite" "$OUT/site.postgresql" >/dev/null; then
		echo "report: same site on both backends"
	else
		echo "report: SITES DIFFER ($OUT/site.*)"
		status=1
	fi
	exit $status
fi

BUILD=${1:?usage: bench/pg-reads.sh BUILD_DIR [COMMITS] [DIR]}
COMMITS=${2:-2000}
DIR=${3:-/tmp/pg-reads}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$DIR"
if [ ! -d "$DIR/h$COMMITS/repo/.git" ]; then
	"$BUILD/bench_report" --commits "$COMMITS" --cases 40 --runs 5 --per-commit "$DIR/h$COMMITS" >/dev/null
fi
OUT="$DIR/out"
rm -rf "$OUT"
mkdir -p "$OUT"
exec "$HERE/../tests/pg-server.sh" bash "$HERE/pg-reads.sh" --inside "$BUILD/benchline" "$DIR/h$COMMITS/repo" "$OUT"
