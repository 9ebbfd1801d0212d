#!/usr/bin/env bash
# kill -9 of `benchline run` at 50 random moments (KILLS=N), each followed by a resume:
# the database stays consistent, every run is stored exactly once, and the
# final sweep completes what is left.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
build:
  command: [sh, -c, "sleep 0.05; echo built > out.txt"]
benchmarks:
  - name: work
    command: [sh, -c, "sleep 0.03; echo '{{\"name\": \"x\", \"value\": 1}}' >> \"$BENCHLINE_METRICS\""]
    params:
      p: [a, b]
    warmup: 1
    repetitions: 4
YAML
for i in 1 2 3 4 5 6; do
	echo "$i" >"$R/f.txt"
	commit_at "$R" "$i" "commit $i"
done
DB=$R/.benchline/results.db
revs=(HEAD~5 HEAD~5..HEAD)

# Each kill lands at a random moment of a sweep: when the sweep is found
# complete, its database is checked and moved aside, so the next kill hits a
# fresh sweep again instead of an idle resume.
check_db() { # check_db DB WHEN
	expect_eq "$(sql "$1" "pragma integrity_check")" ok "integrity $2"
	dups=$(sql "$1" "select count(*) from (select benchmark_id, idx from runs where kind='measured' group by 1,2 having count(*) > 1)")
	expect_eq "$dups" 0 "every stored run exactly once $2"
	orphans=$(sql "$1" "select count(*) from metric_values where value_id / 1000000 not in (select run_id from runs)")
	expect_eq "$orphans" 0 "no metric values without their run $2"
	partial=$(sql "$1" "select count(*) from runs r where r.kind='measured' and not exists (select 1 from metrics m where m.run_id = r.run_id and m.name = 'x')")
	expect_eq "$partial" 0 "no run stored without its metrics $2"
	toomany=$(sql "$1" "select count(*) from benchmarks b where (select count(*) from runs r where r.benchmark_id = b.benchmark_id and r.kind='measured') > 4")
	expect_eq "$toomany" 0 "no case has more runs than its repetitions $2"
	incomplete=$(sql "$1" "select count(*) from benchmarks b where status='complete' and (select count(*) from runs r where r.benchmark_id = b.benchmark_id and r.kind='measured') <> 4")
	expect_eq "$incomplete" 0 "a complete case has all its runs $2"
}
kills=${KILLS:-50}
landed=0 sweeps=0
for k in $(seq 1 "$kills"); do
	"$BENCHLINE" -C "$R" run -q "${revs[@]}" >/dev/null 2>&1 &
	pid=$!
	# A random moment between 10 ms and 1.6 s into the sweep.
	sleep "$(( RANDOM % 2 )).$(( RANDOM % 60 + 1 ))"
	kill -9 "$pid" 2>/dev/null && landed=$((landed + 1))
	wait "$pid" 2>/dev/null || true
	[ ! -f "$DB" ] && continue
	# Killed before the schema was created: an empty database, nothing to check.
	[ "$(sql "$DB" "select count(*) from sqlite_master where name='runs'")" = 1 ] || continue
	check_db "$DB" "after kill $k"
	if [ "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" = 12 ]; then
		expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 48 "sweep $sweeps completed by resumes holds every run once"
		sweeps=$((sweeps + 1))
		rm -f "$DB" "$DB-wal" "$DB-shm"
	fi
done
# Under load a few kills may come after a short sweep ended; most must not.
[ "$landed" -ge $((kills * 3 / 4)) ] || fail "only $landed of $kills kills hit a running sweep"
pass "$landed of $kills kills hit a running sweep ($sweeps sweeps completed by resumes)"

run_bl -C "$R" run "${revs[@]}"
expect_eq "$status" 0 "final resume succeeds"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 48 "6 commits x 2 cases x 4 repetitions, each exactly once"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 12 "all cases complete"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs r using(run_id) where m.name='x' and r.kind='measured'")" 48 "every run has its metrics"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity at the end"
[ -z "$(pgrep -f "$T/repo/.benchline" || true)" ] || fail "no benchmark process left behind"
pass "no process left behind"
