#!/usr/bin/env bash
# The shared job queue on a real PostgreSQL server (tests/pg-server.sh):
# `enqueue` records one job per commit (never twice), four `worker`s take 20
# jobs while one of them is killed with SIGKILL mid-job: every job ends done
# exactly once, every case has all its repetitions once, the dead worker's
# partial results never appear and its job is taken over when its lease runs
# out. A worker frozen (SIGSTOP) past its lease loses the job to another and,
# woken, stores nothing. A server restarted during a job: the job's results
# still arrive once. Bad databases and options give clear errors.
. "$(dirname "$0")/lib.sh"
. "$BENCHLINE_SRC/tests/pg-server.sh"

if ! pg_server_find_bin; then
	echo "SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package postgresql"
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
WORKER_PIDS=()
stop_workers() {
	local p
	for p in "${WORKER_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	done
}
trap 'rc=$?; stop_workers; pg_server_stop; (exit $rc); cleanup' EXIT
pg_server_start >"$T/pg-start.log" 2>&1 || { cat "$T/pg-start.log"; fail "the test server starts"; }
URL=$BENCHLINE_TEST_PG_URL
pg() { # pg QUERY -> rows
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$URL" -c "$1"
}

# A repository of 20 commits; each job runs one case twice (0.3 s a run).
R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
sleep 0.3
v=$(cat lib.txt)
echo "{\"name\": \"score\", \"value\": $v, \"unit\": \"pts\"}" >>"$BENCHLINE_METRICS"
SH
chmod +x "$R/bench/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
benchmarks:
  - name: score
    command: [sh, bench/bench.sh]
    repetitions: 2
  - name: other
    command: [sh, bench/bench.sh]
    repetitions: 1
YAML
for i in $(seq 1 20); do
	echo "$i" >"$R/lib.txt"
	commit_at "$R" "$i" "commit $i"
done

# ---- bad input -------------------------------------------------------------------------------------------------------
run_bl -C "$R" enqueue --db "$T/local.db" HEAD
expect_eq "$status" 2 "enqueue on a SQLite file is a usage error"
expect_contains "$err" "the job queue lives in a PostgreSQL database; '$T/local.db' is not one" "and says why"
run_bl -C "$R" worker --db "$T/local.db" --exit-when-empty
expect_eq "$status" 2 "a worker on a SQLite file is a usage error"
BAD_URL="postgresql://benchline:wrong-pw@127.0.0.1:$PG_SERVER_PORT/benchline_test"
run_bl -C "$R" worker --db "$BAD_URL" --exit-when-empty
expect_eq "$status" 3 "a worker with a wrong password exits 3"
expect_contains "$err" "postgresql://benchline:***@127.0.0.1:$PG_SERVER_PORT/benchline_test" "the URL is shown redacted"
case "$err" in *wrong-pw*) fail "the password appears in the message: $err" ;; esac
run_bl -C "$R" enqueue --db "$URL" --benchmark nosuch HEAD
expect_eq "$status" 2 "enqueue with an unknown benchmark is a usage error"
expect_contains "$err" "no benchmark named 'nosuch'" "naming it"
run_bl -C "$R" queue --db "$URL"
expect_contains "$out" "0 pending, 0 running, 0 expired, 0 done, 0 failed" "an empty queue"
run_bl -C "$R" enqueue --db "$URL" no-such-rev
expect_eq "$status" 2 "enqueue with a bad revision is a usage error"
expect_eq "$(pg "SELECT count(*) FROM jobs")" 0 "and nothing was recorded"
run_bl -C "$R" worker --db "$URL" --lease 0
expect_eq "$status" 2 "--lease 0 is refused"
run_bl -C "$R" queue --db "$URL" --format xml
expect_eq "$status" 2 "an unknown --format is refused"

# ---- enqueue ----------------------------------------------------------------------------------------------------------
run_bl -C "$R" enqueue --db "$URL" HEAD~19..HEAD HEAD~19
expect_eq "$status" 0 "enqueue 20 commits"
expect_contains "$out" "enqueued 20 jobs" "20 jobs recorded"
run_bl -C "$R" enqueue --db "$URL" HEAD~4..HEAD
expect_contains "$out" "enqueued 0 jobs (4 already queued or done" "the same jobs are not recorded twice"
expect_eq "$(pg "SELECT count(*) FROM jobs")" 20 "20 jobs in the table"
run_bl -C "$R" queue --db "$URL"
expect_eq "$status" 0 "queue shows the queue"
expect_contains "$out" "20 pending, 0 running" "queue counts the pending jobs"

# Leases and the waits tied to them, stretched by BENCHLINE_TEST_SLOW (scripts/valgrind.sh sets 10: under
# valgrind a heartbeat can be late by more than a 3 s lease).
slow=${BENCHLINE_TEST_SLOW:-1}
scaled() { awk -v x="$1" -v s="$slow" 'BEGIN { print x * s }'; }
# ---- 4 workers, one killed mid-job ------------------------------------------------------------------------------------
for w in 1 2 3 4; do
	"$BENCHLINE" -C "$R" worker --db "$URL" --exit-when-empty --lease "$(scaled 3)" --poll 0.5 --name "w$w" \
		--cache-dir "$T/cache$w" >"$T/w$w.out" 2>"$T/w$w.err" &
	WORKER_PIDS+=($!)
done
# Wait until w1 holds a job and has run part of it, then kill it.
killed_job=
for _ in $(seq 1 200); do
	killed_job=$(pg "SELECT job_id FROM jobs WHERE worker = 'w1' AND state = 'running'")
	[ -n "$killed_job" ] && break
	sleep 0.05
done
[ -n "$killed_job" ] || fail "worker w1 never held a job: $(cat "$T/w1.err")"
sleep 0.4
kill -KILL "${WORKER_PIDS[0]}"
wait "${WORKER_PIDS[0]}" 2>/dev/null || true
for i in 1 2 3; do
	wait "${WORKER_PIDS[$i]}" || fail "worker w$((i + 1)) exits 0: $(cat "$T/w$((i + 1)).err")"
done
expect_eq "$(pg "SELECT count(*) FROM jobs WHERE state = 'done'")" 20 "every job is done"
expect_eq "$(pg "SELECT attempts FROM jobs WHERE job_id = $killed_job")" 2 "the killed worker's job ran twice"
expect_contains "$(pg "SELECT worker || ': ' || last_error FROM jobs WHERE job_id = $killed_job")" \
	"the lease of w1 expired" "the takeover is recorded"
case "$(pg "SELECT worker FROM jobs WHERE job_id = $killed_job")" in w2 | w3 | w4) ;; *) fail "another worker finished it" ;; esac
expect_eq "$(pg "SELECT count(*) FROM benchmarks")" 40 "20 commits x 2 cases, each once"
expect_eq "$(pg "SELECT count(*) FROM benchmarks WHERE status = 'complete'")" 40 \
	"every case complete (else: $(pg "SELECT string_agg(status || ' ' || name || ' ' || left(commit_id, 7) || ' runs ' || (SELECT count(*) FROM runs r WHERE r.benchmark_id = b.benchmark_id), ', ') FROM benchmarks b WHERE status <> 'complete'"))"
expect_eq "$(pg "SELECT count(*) FROM runs WHERE kind = 'measured'")" 60 "every repetition stored once (20 x (2 + 1))"
expect_eq "$(pg "SELECT count(*) FROM (SELECT benchmark_id, idx FROM runs WHERE kind = 'measured'
	GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 "no duplicate run"
expect_eq "$(pg "SELECT count(DISTINCT commit_id) FROM benchmarks")" 20 "every commit measured"
expect_eq "$(pg "SELECT count(*) FROM machines")" 1 "one machine"
expect_eq "$(pg "SELECT count(*) FROM jobs WHERE machine_id IS NULL")" 0 "each job records the machine that ran it"
# The values are those of each job's own commit.
expect_eq "$(pg "SELECT count(*) FROM metrics m JOIN runs r USING (run_id) JOIN benchmarks b USING (benchmark_id)
	JOIN commits c ON c.sha = b.commit_id WHERE m.name = 'score' AND m.value::int::text <> substr(c.subject, 8)")" 0 "each value belongs to its commit"
done_lines=$(cat "$T"/w[234].out | grep -c '^job .*: done')
expect_eq "$done_lines" 20 "the workers report 20 jobs done"
run_bl -C "$R" show --db "$URL" --format csv
expect_eq "$status" 0 "show reads the shared results"
run_bl -C "$R" queue --db "$URL" --format json
expect_contains "$out" '"done": 20' "queue --format json counts"

# ---- a frozen worker loses its lease and stores nothing ---------------------------------------------------------------
echo 21 >"$R/lib.txt"
commit_at "$R" 21 "commit 21"
run_bl -C "$R" enqueue --db "$URL" --benchmark score HEAD
expect_contains "$out" "enqueued 1 job" "one more job"
"$BENCHLINE" -C "$R" worker --db "$URL" --max-jobs 1 --lease "$(scaled 1.5)" --name frozen --cache-dir "$T/cachef" \
	>"$T/wf.out" 2>"$T/wf.err" &
FROZEN=$!
WORKER_PIDS+=("$FROZEN")
for _ in $(seq 1 200); do
	[ -n "$(pg "SELECT job_id FROM jobs WHERE worker = 'frozen' AND state = 'running'")" ] && break
	sleep 0.05
done
kill -STOP "$FROZEN"
# A second worker on the cache of a live one is refused at once.
run_bl -C "$R" worker --db "$URL" --exit-when-empty --cache-dir "$T/cachef"
expect_eq "$status" 2 "a second worker on one cache directory is refused"
expect_contains "$err" "uses the cache '$T/cachef'; give each worker of a clone its own --cache-dir" "saying what to do"
sleep "$(scaled 2)"
run_bl -C "$R" worker --db "$URL" --exit-when-empty --poll 0.5 --name rescuer --cache-dir "$T/cacher"
expect_eq "$status" 0 "the rescuer takes the expired job and exits"
expect_contains "$out" "done" "the rescuer stores the job"
kill -CONT "$FROZEN"
wait "$FROZEN" || true
expect_contains "$(cat "$T/wf.err")" "lease was lost" "the frozen worker learns it lost the job"
expect_eq "$(pg "SELECT count(*) FROM runs r JOIN benchmarks b USING (benchmark_id) WHERE b.commit_id =
	'$(git -C "$R" rev-parse HEAD)' AND r.kind = 'measured'")" 2 "the job's runs are stored once"
expect_eq "$(pg "SELECT worker FROM jobs WHERE state = 'done' ORDER BY job_id DESC LIMIT 1")" rescuer \
	"the rescuer holds the job"

# ---- the server restarts during a job -----------------------------------------------------------------------------------
# This commit's benchmark runs long enough for the restart to fall inside it.
cat >"$R/bench/bench.sh" <<'SH'
#!/bin/sh
sleep 1.5
v=$(cat lib.txt)
echo "{\"name\": \"score\", \"value\": $v, \"unit\": \"pts\"}" >>"$BENCHLINE_METRICS"
SH
echo 22 >"$R/lib.txt"
commit_at "$R" 22 "commit 22"
run_bl -C "$R" enqueue --db "$URL" HEAD
"$BENCHLINE" -C "$R" worker --db "$URL" --exit-when-empty --lease 30 --poll 0.5 --name survivor \
	--cache-dir "$T/caches" >"$T/ws.out" 2>"$T/ws.err" &
SURVIVOR=$!
WORKER_PIDS+=("$SURVIVOR")
for _ in $(seq 1 200); do
	[ -n "$(pg "SELECT job_id FROM jobs WHERE worker = 'survivor' AND state = 'running'")" ] && break
	sleep 0.05
done
pg_server_as "$PG_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" -m fast -w restart >"$T/restart.log" 2>&1 ||
	fail "the server restarts: $(cat "$T/restart.log")"
wait "$SURVIVOR" || fail "the worker survives the restart: $(cat "$T/ws.err")"
expect_contains "$(cat "$T/ws.out")" "done" "the job is stored after the restart"
expect_eq "$(pg "SELECT count(*) FROM jobs WHERE state = 'done'")" 22 "every job done once"
expect_eq "$(pg "SELECT count(*) FROM (SELECT benchmark_id, idx FROM runs WHERE kind = 'measured'
	GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 "still no duplicate run"
expect_eq "$(pg "SELECT count(*) FROM runs r JOIN benchmarks b USING (benchmark_id) WHERE b.commit_id =
	'$(git -C "$R" rev-parse HEAD)' AND r.kind = 'measured'")" 3 "the restarted job's runs are there once"

# ---- a job whose results are already there measures nothing ----------------------------------------------------------
runs_before=$(pg "SELECT count(*) FROM runs")
# (HEAD: the suite, taken from the working tree, is the one its results were measured with)
run_bl -C "$R" enqueue --db "$URL" --force --benchmark score HEAD
expect_contains "$out" "enqueued 1 job" "--force records an equal job again"
run_bl -C "$R" worker --db "$URL" --exit-when-empty --poll 0.5 --cache-dir "$T/cachen"
expect_eq "$status" 0 "the worker drains the queue"
expect_contains "$out" "nothing to measure (1 case already complete)" "a complete case is not measured again"
expect_eq "$(pg "SELECT count(*) FROM runs")" "$runs_before" "and nothing is added"

# ---- repairs ------------------------------------------------------------------------------------------------------------
pg "INSERT INTO jobs (repository, commit_sha, state, attempts, max_attempts, last_error, created_at)
	VALUES ('$R', '$(git -C "$R" rev-parse HEAD~1)', 'failed', 3, 3, 'boom', now())" >/dev/null
run_bl -C "$R" queue --db "$URL"
expect_contains "$out" "boom" "queue shows why a job failed"
run_bl -C "$R" queue --db "$URL" --retry-failed
expect_contains "$out" "requeued 1 job" "--retry-failed puts it back"
run_bl -C "$R" queue --db "$URL" --cancel-pending
expect_contains "$out" "cancelled 1 job" "--cancel-pending cancels it"
pass
