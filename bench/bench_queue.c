/*
 * bench_queue.c - how many jobs per second workers claim from the queue
 * (issue: "the claim path must not serialise workers").
 *
 *   tests/pg-server.sh build-rel/bench_queue [--jobs N] [--workers W]
 *
 * Each worker is a thread with its own connection doing what `benchline
 * worker` does around a job, minus the job: claim (bl_queue_claim: FOR
 * UPDATE SKIP LOCKED, lease token, server time), then mark it done in a
 * transaction (bl_store_begin, bl_queue_complete, bl_store_commit). Measured
 * with 1 worker and with W, and against a named baseline in the same run:
 * the same claim statement with a plain FOR UPDATE (no SKIP LOCKED), where
 * concurrent claimers queue on the same row and, once it is taken, come back
 * empty-handed and must ask again; its completion makes the same round
 * trips (BEGIN, UPDATE, COMMIT).
 */
#include "benchline/queue.h"
#include "benchline/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *url;
static size_t n_jobs = 2000;

struct worker_stats {
	size_t claimed, empty;
	int failed;
};

static void *skip_locked_worker(void *arg)
{
	struct worker_stats *st = arg;
	struct bl_store *s;
	struct bl_error err = {{0}};
	if (bl_store_open(url, &s, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		st->failed = 1;
		return NULL;
	}
	for (;;) {
		struct bl_job job;
		bool got, lost;
		if (bl_queue_claim(s, NULL, "bench", 60, &job, &got, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			st->failed = 1;
			break;
		}
		if (!got)
			break;
		if (bl_store_begin(s, &err) != 0 || bl_queue_complete(s, &job, 0, &lost, &err) != 0 ||
		    bl_store_commit(s, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			st->failed = 1;
			bl_job_release(&job);
			break;
		}
		st->claimed++;
		bl_job_release(&job);
	}
	bl_store_close(s);
	return NULL;
}

/* The baseline: the same statement without SKIP LOCKED. */
static const char PLAIN_CLAIM[] =
	"WITH next AS (SELECT job_id FROM jobs"
	"  WHERE state IN ('pending', 'running') AND (state = 'pending' OR lease_until < now())"
	"   AND attempts < max_attempts AND machine_class = ''"
	"  ORDER BY priority DESC, job_id LIMIT 1 FOR UPDATE)"
	" UPDATE jobs j SET state = 'running', worker = 'bench', lease_token = md5(random()::text),"
	"  lease_until = now() + interval '60 seconds', attempts = j.attempts + 1, started_at = now()"
	" FROM next WHERE j.job_id = next.job_id RETURNING j.job_id, j.lease_token";

static PGresult *exec1(PGconn *c, const char *sql, int n, const char *const *values)
{
	return PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
}

static void *plain_worker(void *arg)
{
	struct worker_stats *st = arg;
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		st->failed = 1;
		PQfinish(c);
		return NULL;
	}
	for (;;) {
		PGresult *r = exec1(c, PLAIN_CLAIM, 0, NULL);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "%s", PQerrorMessage(c));
			st->failed = 1;
			PQclear(r);
			break;
		}
		if (PQntuples(r) == 0) {
			PQclear(r);
			/* Came back empty: finished, or lost the race for the row. */
			r = exec1(c, "SELECT count(*) FROM jobs WHERE state = 'pending'", 0, NULL);
			bool more = PQresultStatus(r) == PGRES_TUPLES_OK && atol(PQgetvalue(r, 0, 0)) > 0;
			PQclear(r);
			if (!more)
				break;
			st->empty++;
			continue;
		}
		const char *values[2] = {PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)};
		/* The same round trips as the worker: BEGIN, UPDATE, COMMIT. */
		PQclear(PQexec(c, "BEGIN"));
		PGresult *d = exec1(c,
				    "UPDATE jobs SET state = 'done', finished_at = now(), lease_until = NULL"
				    " WHERE job_id = $1 AND lease_token = $2 AND state = 'running'",
				    2, values);
		if (PQresultStatus(d) != PGRES_COMMAND_OK) {
			fprintf(stderr, "%s", PQerrorMessage(c));
			st->failed = 1;
		}
		PQclear(d);
		PQclear(r);
		PGresult *cm = PQexec(c, "COMMIT");
		if (PQresultStatus(cm) != PGRES_COMMAND_OK)
			st->failed = 1;
		PQclear(cm);
		if (st->failed)
			break;
		st->claimed++;
	}
	PQfinish(c);
	return NULL;
}

static int fill(struct bl_store *s)
{
	struct bl_error err = {{0}};
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, "DELETE FROM jobs");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	PQfinish(c);
	if (!ok)
		return -1;
	struct bl_job_spec *specs = calloc(n_jobs, sizeof(*specs));
	char (*shas)[41] = calloc(n_jobs, sizeof(*shas));
	for (size_t i = 0; i < n_jobs; i++) {
		snprintf(shas[i], sizeof(shas[i]), "%040zx", i);
		specs[i] = (struct bl_job_spec){.repository = "/bench", .commit_sha = shas[i], .max_attempts = 3};
	}
	size_t added, skipped;
	int ret = bl_queue_enqueue(s, specs, n_jobs, &added, &skipped, &err);
	if (ret != 0)
		fprintf(stderr, "%s\n", err.msg);
	free(specs);
	free(shas);
	return ret;
}

/* Claims per second with n workers of one kind; -1 on errors. */
static double measure(struct bl_store *s, void *(*fn)(void *), int n, size_t *empty)
{
	if (fill(s) != 0)
		return -1;
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	struct worker_stats *st = calloc((size_t)n, sizeof(*st));
	int64_t t0 = bl_now_mono_ns();
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, &st[i]);
	size_t claimed = 0;
	int failed = 0;
	*empty = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		claimed += st[i].claimed;
		*empty += st[i].empty;
		failed |= st[i].failed;
	}
	double secs = (double)(bl_now_mono_ns() - t0) / 1e9;
	free(t);
	free(st);
	if (failed || claimed != n_jobs) {
		fprintf(stderr, "bench_queue: %zu of %zu jobs claimed\n", claimed, n_jobs);
		return -1;
	}
	return (double)claimed / secs;
}

int main(int argc, char **argv)
{
	int workers = 8;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
			n_jobs = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
			workers = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_queue [--jobs N] [--workers W] (URL in BENCHLINE_TEST_PG_URL)\n");
			return 2;
		}
	}
	url = getenv("BENCHLINE_TEST_PG_URL");
	if (!url || !n_jobs || workers < 1) {
		fprintf(stderr, "bench_queue: run it under tests/pg-server.sh (BENCHLINE_TEST_PG_URL)\n");
		return 2;
	}
	struct bl_store *s;
	struct bl_error err = {{0}};
	if (bl_store_open(url, &s, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	size_t e1, ew, p1e, pwe;
	double one = measure(s, skip_locked_worker, 1, &e1);
	double many = measure(s, skip_locked_worker, workers, &ew);
	double plain1 = measure(s, plain_worker, 1, &p1e);
	double plainw = measure(s, plain_worker, workers, &pwe);
	bl_store_close(s);
	if (one < 0 || many < 0 || plain1 < 0 || plainw < 0)
		return 1;
	printf("jobs: %zu per measurement\n", n_jobs);
	printf("%-44s %10.0f claims/s\n", "SKIP LOCKED (bl_queue_claim), 1 worker", one);
	char label[64];
	snprintf(label, sizeof(label), "SKIP LOCKED (bl_queue_claim), %d workers", workers);
	printf("%-44s %10.0f claims/s  (%.2fx 1 worker)\n", label, many, many / one);
	printf("%-44s %10.0f claims/s\n", "baseline: plain FOR UPDATE, 1 worker", plain1);
	snprintf(label, sizeof(label), "baseline: plain FOR UPDATE, %d workers", workers);
	printf("%-44s %10.0f claims/s  (%.2fx 1 worker, %zu empty-handed retries)\n", label, plainw, plainw / plain1,
	       pwe);
	printf("ratio SKIP LOCKED / plain FOR UPDATE with %d workers: %.2fx\n", workers, many / plainw);
	return 0;
}
