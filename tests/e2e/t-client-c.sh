#!/usr/bin/env bash
# The C recorder (clients/c/benchline.h): a program compiled against the
# header records a metric and times regions under benchline; names that
# need escaping arrive intact, bad values are refused; outside benchline it
# prints instead.
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cp "$BENCHLINE_SRC/clients/c/benchline.h" "$R/"
cat >"$R/bench.c" <<'C'
#include "benchline.h"
#include <math.h>

static volatile double sink;

int main(void)
{
	struct bl_timer t = bl_timer_start();
	double s = 0;
	for (int i = 1; i < 2000000; i++)
		s += 1.0 / i;
	sink = s;
	if (bl_timer_stop(&t, "harmonic_time") != 0)
		return 10;
	BL_TIME("nap_time") {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (bl_record("items_per_s", 2e6 / t.elapsed, "1/s", BL_HIGHER) != 0)
		return 11;
	if (bl_record("quoted \"name\" \\ here", 1.5, NULL, BL_UNKNOWN) != 0)
		return 12;
	if (bl_record("nan", NAN, "s", BL_LOWER) == 0 || errno != EINVAL)
		return 13;
	if (bl_record("bad\nname", 1, "s", BL_LOWER) == 0 || bl_record("", 1, NULL, BL_UNKNOWN) == 0)
		return 14;
	return 0;
}
C
cat >"$R/benchline.yaml" <<YAML
version: 1
build:
  command: [$CC, -std=c11, -O2, -Wall, -Wextra, -Werror, -o, bench, bench.c, -lm]
benchmarks:
  - name: cbench
    command: [./bench]
    repetitions: 2
    warmup: 0
YAML
commit_at "$R" 1 "C benchmark"

run_bl -C "$R" run HEAD
expect_eq "$status" 0 "the program builds with -std=c11 -Werror and runs under benchline"
DB=$R/.benchline/results.db
expect_eq "$(sql "$DB" "select count(*) from metrics where name='harmonic_time' and unit='s' and better='lower' and value > 0")" 2 "a timed region is recorded"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='nap_time' and value >= 0.02 and value < 2")" 2 "BL_TIME times its block"
expect_eq "$(sql "$DB" "select distinct unit || ' ' || better from metrics where name='items_per_s'")" "1/s higher" "unit and direction are kept"
expect_eq "$(sql "$DB" "select count(*) from metrics where name='quoted \"name\" \\ here' and unit is null")" 2 "quotes and backslashes are escaped"
expect_eq "$(sql "$DB" "select count(*) from metrics where name in ('nan', '')")" 0 "bad values are refused, not written"
case "$err" in *"metrics line"*) fail "benchline reported a protocol diagnostic: $err" ;; esac
pass "no protocol diagnostics"

# C99 and C++ compilers take the header too.
if command -v c++ >/dev/null; then
	cp "$R/bench.c" "$T/bench.cpp"
	c++ -Wall -Wextra -Werror -I"$R" -o "$T/bench-cpp" "$T/bench.cpp" || fail "the header compiles as C++"
	pass "the header compiles as C++"
fi
$CC -std=c99 -pedantic -Wall -Wextra -Werror -I"$R" -o "$T/bench-c99" "$R/bench.c" -lm || fail "the header compiles as C99"
pass "the header compiles as pedantic C99"

# Outside benchline.
(cd "$R" && $CC -std=c11 -O2 -o bench-by-hand bench.c -lm)
set +e
outside=$(cd "$R" && env -u BENCHLINE_METRICS ./bench-by-hand 2>&1)
rc=$?
set -e
expect_eq "$rc" 0 "the program runs by hand"
expect_contains "$outside" "benchline: items_per_s = " "values are printed outside benchline"
expect_eq "$(cd "$R" && env -u BENCHLINE_METRICS BENCHLINE_RECORDER_QUIET=1 ./bench-by-hand 2>&1)" "" "BENCHLINE_RECORDER_QUIET=1 silences it"

# An unwritable metrics file is reported through the return value.
cat >"$R/fail.c" <<'C'
#include "benchline.h"
int main(void) { return bl_record("x", 1, NULL, BL_UNKNOWN) == -1 && errno == ENOENT ? 0 : 1; }
C
(cd "$R" && $CC -std=c11 -o fail fail.c -lm && BENCHLINE_METRICS=$T/no/such/dir/m ./fail) || fail "write error returned"
pass "a write error is returned as -1 with errno"
