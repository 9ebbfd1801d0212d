#!/usr/bin/env bash
# The SQLite file shared by several processes: a writer holding the lock makes
# benchline wait (BENCHLINE_SQLITE_BUSY_TIMEOUT) and then fail with a clear
# message, nothing stored lost; two sweeps writing to one file at once both
# complete and leave it consistent, every run stored once.
. "$(dirname "$0")/lib.sh"

make_repo() { # make_repo DIR
	mkdir -p "$1"
	git init -q "$1"
	cat >"$1/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: work
    command: [sh, -c, "sleep 0.02; echo '{{\"name\": \"x\", \"value\": 1}}' >> \"$BENCHLINE_METRICS\""]
    params:
      p: [a, b, c]
    warmup: 0
    repetitions: 5
YAML
	for i in 1 2 3; do
		echo "$i $1" >"$1/f.txt"
		commit_at "$1" "$i" "commit $i"
	done
}
R=$T/repo
make_repo "$R"
DB=$T/shared.db
run_bl -C "$R" run --db "$DB" HEAD~2
expect_eq "$status" 0 "first sweep"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 15 "15 runs stored"

# hold_lock SECONDS: another process holds the write lock of $DB (what a
# benchline in the middle of storing a run does, only longer).
hold_lock() {
	rm -f "$T/locked"
	python3 - "$DB" "$1" "$T/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO schema_version SELECT version FROM schema_version WHERE 0")
open(sys.argv[3], "w").close()
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
PY
	locker=$!
	for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
	[ -e "$T/locked" ] || fail "the lock was taken"
}

hold_lock 30
start=$(date +%s.%N)
BENCHLINE_SQLITE_BUSY_TIMEOUT=1 run_bl -C "$R" run --db "$DB" HEAD~1
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
kill "$locker"
wait "$locker" 2>/dev/null || true
expect_eq "$status" 3 "a database locked past the timeout: runtime error (exit 3)"
expect_contains "$err" "database '$DB' is locked by another process (gave up after 1 s)" "the message names the database and the wait"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 1) }' || fail "benchline waited only $elapsed s"
pass "benchline waited $elapsed s before giving up"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity after the failed sweep"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 15 "what was stored is still there"

hold_lock 1.5
BENCHLINE_SQLITE_BUSY_TIMEOUT=20 run_bl -C "$R" run --db "$DB" HEAD~1
wait "$locker" 2>/dev/null || true
[ "$status" = 0 ] || fail "a lock released within the timeout must be waited for: $err"
pass "a lock released within the timeout is waited for"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 30 "the waiting sweep stored its runs"

run_bl -C "$R" run --db "$DB" HEAD~1
BENCHLINE_SQLITE_BUSY_TIMEOUT=abc run_bl -C "$R" run --db "$DB" HEAD
[ "$status" -ne 0 ] || fail "a bad BENCHLINE_SQLITE_BUSY_TIMEOUT must be refused"
expect_contains "$err" "BENCHLINE_SQLITE_BUSY_TIMEOUT 'abc'" "the message names the bad value"

# Two sweeps at once into one file: one over the same repository's last
# commit (its own cache), one over another repository's three commits.
R2=$T/other
make_repo "$R2"
"$BENCHLINE" -C "$R" run -q --db "$DB" --cache-dir "$T/cache-a" HEAD >"$T/a.out" 2>&1 &
a=$!
"$BENCHLINE" -C "$R2" run -q --db "$DB" HEAD~2 HEAD~2..HEAD >"$T/b.out" 2>&1 &
b=$!
wait "$a" || fail "sweep A failed: $(cat "$T/a.out")"
wait "$b" || fail "sweep B failed: $(cat "$T/b.out")"
pass "both concurrent sweeps completed"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity after two concurrent sweeps"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 90 "3 + 3 commits x 3 cases x 5 runs"
dups=$(sql "$DB" "select count(*) from (select benchmark_id, idx from runs where kind='measured' group by 1,2 having count(*) > 1)")
expect_eq "$dups" 0 "no run stored twice"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 18 "every case complete"

# Two sweeps of the same commits at once (each with its own cache): they
# share the cases, and together store each repetition once.
DB=$T/same.db
"$BENCHLINE" -C "$R2" run -q --db "$DB" --cache-dir "$T/cache-c" HEAD~2 HEAD~2..HEAD >"$T/c.out" 2>&1 &
c=$!
"$BENCHLINE" -C "$R2" run -q --db "$DB" --cache-dir "$T/cache-d" HEAD~2 HEAD~2..HEAD >"$T/d.out" 2>&1 &
d=$!
wait "$c" || fail "sweep C failed: $(cat "$T/c.out")"
wait "$d" || fail "sweep D failed: $(cat "$T/d.out")"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity after two sweeps of the same commits"
dups=$(sql "$DB" "select count(*) from (select benchmark_id, idx from runs where kind='measured' group by 1,2 having count(*) > 1)")
expect_eq "$dups" 0 "no repetition stored twice by two sweeps of the same cases"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 45 "3 commits x 3 cases x 5 repetitions, once each"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 9 "both sweeps leave every shared case complete"
