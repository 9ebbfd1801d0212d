/*
 * queue_pg.c - the job queue in a PostgreSQL store (benchline/queue.h).
 *
 * Claiming is one statement: a CTE picks the next open job with FOR UPDATE
 * SKIP LOCKED (rows another worker is claiming at that instant are passed
 * over, never waited for) and the UPDATE around it takes the lease. Times
 * are the server's (now()), so workers with skewed clocks agree on when a
 * lease has run out. Every state change checks the lease token, so a worker
 * whose lease was taken over changes nothing.
 */
#include "benchline/queue.h"
#include "store_pg_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define NOTIFY_CHANNEL "benchline_jobs"

/* Columns every job query returns, in struct bl_job order (see read_job). */
#define JOB_COLUMNS                                                                                                   \
	"j.job_id, j.repository, j.commit_sha, j.benchmarks::text, j.machine_class, j.state, j.priority, j.attempts,"  \
	" j.max_attempts, coalesce((j.options->>'force')::boolean, false), j.worker, j.last_error,"                  \
	" (extract(epoch FROM j.created_at) * 1000000)::bigint, (extract(epoch FROM j.started_at) * 1000000)::bigint," \
	" (extract(epoch FROM j.finished_at) * 1000000)::bigint,"                                                     \
	" (extract(epoch FROM j.lease_until) * 1000000)::bigint, coalesce(j.machine_id, 0),"                          \
	" (j.state = 'running' AND j.lease_until < now())"

bool bl_queue_supported(const struct bl_store *s)
{
	return s && s->ops && !strcmp(s->ops->name, "postgresql");
}

static int need_pg(struct bl_store *s, struct bl_error *err)
{
	if (bl_queue_supported(s))
		return 0;
	return bl_fail(err, "the job queue needs a PostgreSQL database, and '%s' is a %s store "
			    "(give --db postgresql://... or set BENCHLINE_DB)",
		       s->display_name, s->ops->name);
}

void bl_job_release(struct bl_job *job)
{
	if (!job)
		return;
	free(job->repository);
	free(job->commit_sha);
	free(job->machine_class);
	free(job->state);
	free(job->worker);
	free(job->last_error);
	bl_strvec_release(&job->benchmarks);
	memset(job, 0, sizeof(*job));
}

static char *opt_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : bl_xstrdup(PQgetvalue(res, row, col));
}

static int64_t micros_to_ns(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : pg_get_int64(res, row, col) * 1000;
}

static void read_job(const PGresult *res, int row, struct bl_job *job)
{
	memset(job, 0, sizeof(*job));
	bl_strvec_init(&job->benchmarks);
	job->job_id = pg_get_int64(res, row, 0);
	job->repository = bl_xstrdup(PQgetvalue(res, row, 1));
	job->commit_sha = bl_xstrdup(PQgetvalue(res, row, 2));
	json_t *names = json_loads(PQgetvalue(res, row, 3), 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v)
		if (json_is_string(v))
			bl_strvec_push(&job->benchmarks, json_string_value(v));
	json_decref(names);
	job->machine_class = bl_xstrdup(PQgetvalue(res, row, 4));
	job->state = bl_xstrdup(PQgetvalue(res, row, 5));
	job->priority = (int)pg_get_int64(res, row, 6);
	job->attempts = (int)pg_get_int64(res, row, 7);
	job->max_attempts = (int)pg_get_int64(res, row, 8);
	job->force = !strcmp(PQgetvalue(res, row, 9), "t");
	job->worker = opt_text(res, row, 10);
	job->last_error = opt_text(res, row, 11);
	job->created_ns = micros_to_ns(res, row, 12);
	job->started_ns = micros_to_ns(res, row, 13);
	job->finished_ns = micros_to_ns(res, row, 14);
	job->lease_until_ns = micros_to_ns(res, row, 15);
	job->machine_id = pg_get_int64(res, row, 16);
	job->lease_expired = !strcmp(PQgetvalue(res, row, 17), "t");
}

/* The selection as a JSON array, names sorted, so equal selections compare equal. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *benchmarks_json(const struct bl_job_spec *spec)
{
	const char **names = bl_xcalloc(spec->n_benchmarks + 1, sizeof(*names));
	for (size_t i = 0; i < spec->n_benchmarks; i++)
		names[i] = spec->benchmarks[i];
	qsort(names, spec->n_benchmarks, sizeof(*names), cmp_str);
	json_t *a = json_array();
	for (size_t i = 0; i < spec->n_benchmarks; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]))
			json_array_append_new(a, json_string(names[i]));
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	free(names);
	return text;
}

static const char JOB_INSERT_SQL[] =
	"INSERT INTO jobs (repository, commit_sha, benchmarks, machine_class, priority, max_attempts, options,"
	" created_at)"
	" SELECT $1, $2, $3::jsonb, $4, $5, $6, $7::jsonb, now()"
	" WHERE $8::boolean OR NOT EXISTS (SELECT 1 FROM jobs WHERE repository = $1 AND commit_sha = $2"
	"  AND benchmarks = $3::jsonb AND machine_class = $4 AND state IN ('pending', 'running', 'done'))";

int bl_queue_enqueue(struct bl_store *bs, const struct bl_job_spec *specs, size_t n, size_t *added, size_t *skipped,
		     struct bl_error *err)
{
	*added = *skipped = 0;
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	const char *what = "cannot enqueue jobs";
	if (pg_exec(s, "BEGIN", err, what) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct bl_job_spec *j = &specs[i];
		char *names = benchmarks_json(j);
		struct pg_params p = {0};
		pg_param_text(&p, j->repository);
		pg_param_text(&p, j->commit_sha);
		pg_param_text(&p, names);
		pg_param_text(&p, j->machine_class ? j->machine_class : "");
		pg_param_int64(&p, j->priority);
		pg_param_int64(&p, j->max_attempts > 0 ? j->max_attempts : 3);
		pg_param_text(&p, j->force ? "{\"force\": true}" : "{}");
		pg_param_text(&p, j->force ? "true" : "false");
		PGresult *res = pg_run(s, PG_JOB_INSERT, JOB_INSERT_SQL, &p, NULL, err, what);
		free(names);
		if (!res)
			goto fail;
		if (atoi(PQcmdTuples(res)) == 1)
			(*added)++;
		else
			(*skipped)++;
		PQclear(res);
	}
	if (pg_exec(s, "NOTIFY " NOTIFY_CHANNEL, err, what) != 0 || pg_exec(s, "COMMIT", err, what) != 0)
		goto fail;
	return 0;
fail:
	pg_rollback(s);
	*added = 0;
	return -1;
}

static void new_token(char out[33])
{
	unsigned char raw[16];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* No entropy source: time and address still make a token
			 * no other worker will hold. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)out;
			for (size_t k = got; k < sizeof(raw); k++, x = x * 6364136223846793005u + 1442695040888963407u)
				raw[k] = (unsigned char)(x >> 56);
			break;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static const char JOB_CLAIM_SQL[] =
	"WITH next AS (SELECT job_id FROM jobs"
	"  WHERE state IN ('pending', 'running') AND (state = 'pending' OR lease_until < now())"
	"   AND attempts < max_attempts AND (machine_class = '' OR machine_class = $1)"
	"  ORDER BY priority DESC, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	" UPDATE jobs j SET state = 'running', worker = $2, lease_token = $3,"
	"  lease_until = now() + $4::double precision * interval '1 second', attempts = j.attempts + 1,"
	"  started_at = now(), finished_at = NULL,"
	"  last_error = CASE WHEN j.state = 'running' THEN 'the lease of ' || coalesce(j.worker, 'a worker')"
	"   || ' expired (attempt ' || j.attempts || ')' ELSE j.last_error END"
	" FROM next WHERE j.job_id = next.job_id RETURNING " JOB_COLUMNS;

/* Running jobs whose lease expired on their last attempt: failed. */
static const char JOB_EXPIRE_SQL[] =
	"UPDATE jobs SET state = 'failed', finished_at = now(), lease_token = NULL, lease_until = NULL,"
	" last_error = 'the lease of ' || coalesce(worker, 'a worker') || ' expired on attempt ' || attempts"
	"  || ' of ' || max_attempts"
	" WHERE job_id IN (SELECT job_id FROM jobs WHERE state = 'running' AND lease_until < now()"
	"  AND attempts >= max_attempts FOR UPDATE SKIP LOCKED)";

int bl_queue_claim(struct bl_store *bs, const char *machine_class, const char *worker, double lease_s,
		   struct bl_job *job, bool *got, struct bl_error *err)
{
	*got = false;
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	char token[33];
	new_token(token);
	struct pg_params p = {0};
	pg_param_text(&p, machine_class ? machine_class : "");
	pg_param_text(&p, worker);
	pg_param_text(&p, token);
	pg_param_double(&p, lease_s);
	PGresult *res = pg_run(s, PG_JOB_CLAIM, JOB_CLAIM_SQL, &p, NULL, err, "cannot claim a job");
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		read_job(res, 0, job);
		memcpy(job->lease_token, token, sizeof(token));
		*got = true;
	}
	PQclear(res);
	if (!*got)
		return pg_exec(s, JOB_EXPIRE_SQL, err, "cannot fail jobs whose last lease expired");
	return 0;
}

static const char JOB_COMPLETE_SQL[] =
	"UPDATE jobs SET state = 'done', finished_at = now(), lease_until = NULL,"
	" machine_id = nullif($3::bigint, 0)"
	" WHERE job_id = $1 AND lease_token = $2 AND state = 'running'";

int bl_queue_complete(struct bl_store *bs, const struct bl_job *job, int64_t machine_id, bool *lost,
		      struct bl_error *err)
{
	*lost = false;
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	struct pg_params p = {0};
	pg_param_int64(&p, job->job_id);
	pg_param_text(&p, job->lease_token);
	pg_param_int64(&p, machine_id);
	PGresult *res = pg_run(s, PG_JOB_COMPLETE, JOB_COMPLETE_SQL, &p, NULL, err, "cannot mark the job done");
	if (!res)
		return -1;
	*lost = atoi(PQcmdTuples(res)) != 1;
	PQclear(res);
	return 0;
}

static const char JOB_FAIL_SQL[] =
	"UPDATE jobs SET state = CASE WHEN $4::boolean AND attempts < max_attempts THEN 'pending' ELSE 'failed' END,"
	" finished_at = CASE WHEN $4::boolean AND attempts < max_attempts THEN NULL ELSE now() END,"
	" last_error = $3, lease_token = NULL, lease_until = NULL"
	" WHERE job_id = $1 AND lease_token = $2 AND state = 'running'";

int bl_queue_fail(struct bl_store *bs, const struct bl_job *job, const char *reason, bool retry, struct bl_error *err)
{
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	struct pg_params p = {0};
	pg_param_int64(&p, job->job_id);
	pg_param_text(&p, job->lease_token);
	pg_param_text(&p, reason);
	pg_param_text(&p, retry ? "true" : "false");
	PGresult *res = pg_run(s, PG_JOB_FAIL, JOB_FAIL_SQL, &p, NULL, err, "cannot give the job back");
	if (!res)
		return -1;
	PQclear(res);
	return pg_exec(s, "NOTIFY " NOTIFY_CHANNEL, err, "cannot wake the other workers");
}

int bl_queue_counts(struct bl_store *bs, struct bl_queue_counts *c, struct bl_error *err)
{
	memset(c, 0, sizeof(*c));
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	if (pg_exec(s, JOB_EXPIRE_SQL, err, "cannot fail jobs whose last lease expired") != 0)
		return -1;
	PGresult *res = PQexec(s->conn, "SELECT count(*) FILTER (WHERE state = 'pending'),"
					" count(*) FILTER (WHERE state = 'running' AND lease_until >= now()),"
					" count(*) FILTER (WHERE state = 'running' AND lease_until < now()),"
					" count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'),"
					" count(*) FILTER (WHERE state = 'cancelled') FROM jobs");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(s, res, err, "cannot count jobs");
		PQclear(res);
		return -1;
	}
	c->pending = (size_t)pg_get_int64(res, 0, 0);
	c->running = (size_t)pg_get_int64(res, 0, 1);
	c->expired = (size_t)pg_get_int64(res, 0, 2);
	c->done = (size_t)pg_get_int64(res, 0, 3);
	c->failed = (size_t)pg_get_int64(res, 0, 4);
	c->cancelled = (size_t)pg_get_int64(res, 0, 5);
	PQclear(res);
	return 0;
}

int bl_queue_list(struct bl_store *bs, const char *const *states, size_t n_states, bl_job_fn fn, void *ctx,
		  struct bl_error *err)
{
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	/* The states as a text[] literal; they are our own constants, checked. */
	struct bl_buf arr;
	bl_buf_init(&arr);
	bl_buf_putc(&arr, '{');
	for (size_t i = 0; i < n_states; i++) {
		for (const char *c = states[i]; *c; c++)
			if (*c < 'a' || *c > 'z') {
				bl_buf_release(&arr);
				return bl_fail(err, "unknown job state '%s'", states[i]);
			}
		bl_buf_printf(&arr, "%s%s", i ? "," : "", states[i]);
	}
	bl_buf_putc(&arr, '}');
	const char *values[1] = {arr.data};
	PGresult *res = PQexecParams(s->conn,
				     states ? "SELECT " JOB_COLUMNS " FROM jobs j WHERE state = ANY($1::text[]) ORDER BY priority DESC, job_id"
					    : "SELECT " JOB_COLUMNS " FROM jobs j ORDER BY priority DESC, job_id",
				     states ? 1 : 0, NULL, states ? values : NULL, NULL, NULL, 0);
	bl_buf_release(&arr);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(s, res, err, "cannot list jobs");
		PQclear(res);
		return -1;
	}
	int ret = 0;
	for (int r = 0; r < PQntuples(res) && ret == 0; r++) {
		struct bl_job job;
		read_job(res, r, &job);
		ret = fn(ctx, &job);
		bl_job_release(&job);
	}
	PQclear(res);
	return ret;
}

static int update_count(struct bl_store *bs, const char *sql, size_t *n, struct bl_error *err, const char *what)
{
	*n = 0;
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	PGresult *res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(s, res, err, "%s", what);
		PQclear(res);
		return -1;
	}
	*n = (size_t)atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

int bl_queue_retry_failed(struct bl_store *bs, size_t *n, struct bl_error *err)
{
	if (update_count(bs,
			 "UPDATE jobs SET state = 'pending', attempts = 0, finished_at = NULL"
			 " WHERE state IN ('failed', 'cancelled')",
			 n, err, "cannot retry failed jobs") != 0)
		return -1;
	return pg_exec(pg_backend(bs), "NOTIFY " NOTIFY_CHANNEL, err, "cannot wake the workers");
}

int bl_queue_cancel_pending(struct bl_store *bs, size_t *n, struct bl_error *err)
{
	return update_count(bs, "UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE state = 'pending'", n,
			    err, "cannot cancel pending jobs");
}

int bl_queue_wait(struct bl_store *bs, double timeout_s, const volatile int *interrupt, struct bl_error *err)
{
	if (need_pg(bs, err) != 0)
		return -1;
	struct pg_store *s = pg_backend(bs);
	if (pg_exec(s, "LISTEN " NOTIFY_CHANNEL, err, "cannot wait for jobs") != 0)
		return -1;
	int64_t end = bl_now_mono_ns() + (int64_t)(timeout_s * 1e9);
	for (;;) {
		if (PQconsumeInput(s->conn) != 1)
			return pg_fail(s, NULL, err, "cannot wait for jobs");
		PGnotify *note = PQnotifies(s->conn);
		if (note) {
			/* Drain the rest: one wake-up is enough. */
			do {
				PQfreemem(note);
			} while ((note = PQnotifies(s->conn)) != NULL);
			return 0;
		}
		int64_t left = end - bl_now_mono_ns();
		if (left <= 0 || (interrupt && *interrupt))
			return 0;
		struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
		int ms = (int)(left / 1000000 + 1);
		if (ms > 200)
			ms = 200; /* to look at *interrupt */
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return bl_fail_errno(err, errno, "cannot wait for jobs on '%s'", pg_name(s));
	}
}

/* ---- heartbeats ------------------------------------------------------------------------------------------------- */

struct bl_lease {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	char *url;
	int64_t job_id;
	char token[33];
	double lease_s;
	void (*lost)(void *ctx);
	void *ctx;
};

static PGconn *lease_connect(const char *url)
{
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *values[] = {"5", "benchline-heartbeat", url, NULL};
	PGconn *c = PQconnectdbParams(keys, values, 1);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* 1: extended, 0: the lease is not ours any more, -1: no answer. */
static int beat(PGconn *c, const struct bl_lease *l)
{
	char id[32], secs[32];
	snprintf(id, sizeof(id), "%lld", (long long)l->job_id);
	snprintf(secs, sizeof(secs), "%.3f", l->lease_s);
	const char *values[3] = {id, l->token, secs};
	PGresult *res = PQexecParams(c,
				     "UPDATE jobs SET lease_until = now() + $3::double precision * interval '1 second'"
				     " WHERE job_id = $1 AND lease_token = $2 AND state = 'running'",
				     3, NULL, values, NULL, NULL, 0);
	int ret = -1;
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		ret = atoi(PQcmdTuples(res)) == 1 ? 1 : 0;
	PQclear(res);
	return ret;
}

static void *lease_main(void *arg)
{
	struct bl_lease *l = arg;
	PGconn *c = NULL;
	double period = l->lease_s / 3;
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		double whole = floor(period);
		until.tv_sec += (time_t)whole;
		until.tv_nsec += (long)((period - whole) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT)
			;
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		if (c && PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = NULL;
		}
		if (!c)
			c = lease_connect(l->url);
		int r = c ? beat(c, l) : -1;
		pthread_mutex_lock(&l->mu);
		if (r == 0 && !l->stop) {
			pthread_mutex_unlock(&l->mu);
			l->lost(l->ctx);
			pthread_mutex_lock(&l->mu);
			break;
		}
	}
	pthread_mutex_unlock(&l->mu);
	if (c)
		PQfinish(c);
	return NULL;
}

int bl_lease_start(const char *url, const struct bl_job *job, double lease_s, void (*lost)(void *ctx), void *ctx,
		   struct bl_lease **out, struct bl_error *err)
{
	struct bl_lease *l = bl_xcalloc(1, sizeof(*l));
	l->url = bl_xstrdup(url);
	l->job_id = job->job_id;
	memcpy(l->token, job->lease_token, sizeof(l->token));
	l->lease_s = lease_s;
	l->lost = lost;
	l->ctx = ctx;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&l->thread, NULL, lease_main, l);
	if (rc != 0) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		free(l->url);
		free(l);
		return bl_fail_errno(err, rc, "cannot start the heartbeat thread");
	}
	*out = l;
	return 0;
}

void bl_lease_stop(struct bl_lease *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	memset(l->url, 0, strlen(l->url));
	free(l->url);
	free(l);
}
