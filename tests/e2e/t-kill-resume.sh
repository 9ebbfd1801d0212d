#!/usr/bin/env bash
# kill -9 of `benchline run` at random moments, each followed by a resume:
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

kills=${KILLS:-8}
for k in $(seq 1 "$kills"); do
	"$BENCHLINE" -C "$R" run -q "${revs[@]}" >/dev/null 2>&1 &
	pid=$!
	# A random moment between 50 ms and 1.5 s into the sweep.
	sleep "0.$(( (RANDOM % 15) + 1 ))$(( RANDOM % 10 ))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ ! -f "$DB" ] && continue
	# Killed before the schema was created: an empty database, nothing to check.
	[ "$(sql "$DB" "select count(*) from sqlite_master where name='runs'")" = 1 ] || continue
	expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity after kill $k"
	dups=$(sql "$DB" "select count(*) from (select benchmark_id, idx from runs where kind='measured' group by 1,2 having count(*) > 1)")
	expect_eq "$dups" 0 "no duplicate runs after kill $k"
	orphans=$(sql "$DB" "select count(*) from metric_values where value_id / 1000000 not in (select run_id from runs)")
	expect_eq "$orphans" 0 "no partial run after kill $k"
done

run_bl -C "$R" run "${revs[@]}"
expect_eq "$status" 0 "final resume succeeds"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 48 "6 commits x 2 cases x 4 repetitions, each exactly once"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 12 "all cases complete"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs r using(run_id) where m.name='x' and r.kind='measured'")" 48 "every run has its metrics"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity at the end"
[ -z "$(pgrep -f "$T/repo/.benchline" || true)" ] || fail "no benchmark process left behind"
pass "no process left behind"
