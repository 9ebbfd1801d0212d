/*
 * store_sqlite_values.c - foreach_value: every value of a repository in one
 * pass, for reports over whole histories (store.h), on one connection or
 * split over several.
 *
 * foreach_point asks for each case's values with queries of its own, tens of
 * microseconds per case: most of a minute for 10,000 commits x 40 cases x 5
 * metrics. Here a few statements read everything in key order, in one read
 * transaction: the metric dictionary, the cases (benchmarks by benchmark_id,
 * with their commit), the measured runs (runs by run_id) and the values
 * (metric_values by value_id = run_id * 1000000 + seq). The last two are
 * merged like a sorted join, so no row is looked up by key and no result is
 * sorted. Values of warm-ups and failed runs, and of cases outside the
 * repository (or the chosen commits, q->shas), are skipped.
 *
 * Parts (foreach_value_parts): decoding 10,000,000 rows is seconds of one
 * CPU, so the runs are cut into ranges of run_id, taken one at a time by
 * threads that each read on a connection of their own, while the calling
 * thread reads the cases (then takes ranges too). The connections must read
 * the same snapshot, which SQLite (built without sqlite3_snapshot_open, as
 * Debian's is) only promises one connection at a time: a further connection
 * takes the write lock (BEGIN IMMEDIATE, waiting a quarter of a second at
 * most for a writer to finish) while every reader starts its read
 * transaction, so nothing can be committed in between, and lets go before
 * the scan. An immutable file needs no lock. Where this cannot be had (a
 * database in memory, a read-only file that may change, the lock not won in
 * time, a connection that will not open) part 0 reads everything on the
 * store's own connection: the same result, slower.
 */
#include "store_sqlite_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char METRICS_SQL[] = "SELECT metric_key, name, unit, better FROM metric_names ORDER BY metric_key";
/* Whether the store holds cases of a repository other than ?1 (two probes of
 * the UNIQUE index). As a rule it does not, and the parts need no list of
 * the repository's cases (IDS_SQL: 400,000 ids read and sorted before the
 * parts start, for 10,000 commits x 40 benchmarks) to keep the others out. */
static const char OTHER_REPOS_SQL[] = "SELECT EXISTS (SELECT 1 FROM benchmarks WHERE repository < ?1)"
				      " OR EXISTS (SELECT 1 FROM benchmarks WHERE repository > ?1)";
static const char IDS_SQL[] = "SELECT benchmark_id FROM benchmarks WHERE repository = ?1";
/* With a commit filter (q->shas, in temp.query_shas): those commits' cases, */
static const char IDS_SHAS_SQL[] = "SELECT benchmark_id FROM benchmarks WHERE (?1 IS NULL OR repository = ?1)"
				   " AND commit_id IN (SELECT sha FROM temp.query_shas)";
/* and the runs from the oldest of theirs on (runs_by_benchmark finds each case's) */
static const char SHAS_BOUNDS_SQL[] =
	"SELECT coalesce(min(run_id), 0), coalesce(max(run_id), -1) FROM runs WHERE benchmark_id IN"
	" (SELECT benchmark_id FROM benchmarks WHERE (?1 IS NULL OR repository = ?1)"
	" AND commit_id IN (SELECT sha FROM temp.query_shas))";
/* The bounds of the runs, and the first read of a transaction: its snapshot. */
static const char BOUNDS_SQL[] =
	"SELECT coalesce((SELECT min(run_id) FROM runs), 0), coalesce((SELECT max(run_id) FROM runs), -1)";
static const char RUNS_SQL[] = "SELECT run_id, benchmark_id, idx, status = 'ok' FROM runs"
			       " WHERE kind = 'measured' AND run_id >= ?1 AND run_id < ?2 ORDER BY run_id";
static const char ROWS_SQL[] = "SELECT value_id, metric_key, value FROM metric_values"
			       " WHERE value_id >= ?1 AND value_id < ?2 ORDER BY value_id";

#define MAX_PARTS 64
#define LOCK_WAIT_MS 250 /* how long the parts wait for the writer lock */

/* The runs cursor: where the merge stands. */
struct run_cursor {
	sqlite3_stmt *st;
	bool left;           /* st is on a row */
	int64_t run_id, benchmark_id;
	int idx;
	bool ok, wanted;     /* status ok; its case is in the repository */
	bool any;             /* no repository filter */
	const int64_t *cases; /* else the benchmark_ids of the repository, ascending */
	size_t n_cases;
	int64_t memo_bench;  /* the last case looked up, and the answer */
	bool memo_wanted;
	int error;           /* SQLite's code when stepping failed, else SQLITE_OK */
};

/* Steps to the next measured run, reporting it when it failed. Returns the
 * callback's value; an SQLite error ends the cursor with c->error set. */
static int next_run(struct run_cursor *c, const struct bl_value_visitor *v, void *ctx)
{
	int rc = sqlite3_step(c->st);
	if (rc != SQLITE_ROW) {
		c->left = false;
		if (rc != SQLITE_DONE)
			c->error = rc;
		return 0;
	}
	c->left = true;
	c->run_id = sqlite3_column_int64(c->st, 0);
	c->benchmark_id = sqlite3_column_int64(c->st, 1);
	c->idx = sqlite3_column_int(c->st, 2);
	c->ok = sqlite3_column_int(c->st, 3) != 0;
	if (c->benchmark_id != c->memo_bench) {
		c->memo_bench = c->benchmark_id;
		c->memo_wanted = c->any || bl_store_has_id(c->cases, c->n_cases, c->benchmark_id);
	}
	c->wanted = c->memo_wanted;
	if (!c->ok && c->wanted && v->on_failed_run)
		return v->on_failed_run(ctx, c->benchmark_id);
	return 0;
}

/* The ranges of runs the parts take, one at a time, until none is left. */
struct chunks {
	int64_t lo, hi;           /* every run_id */
	unsigned n;
	atomic_uint next;
	atomic_bool stop;         /* a part failed: the others stop at their next range */
};

/* One part: a connection and the ranges of runs it took. */
struct part {
	sqlite3 *db;              /* the store's own for part 0, else owned */
	sqlite3_stmt *rq, *vq;    /* cached (part 0) or owned */
	struct chunks *chunks;
	bool any;                 /* every case, else those in cases */
	const int64_t *cases;
	size_t n_cases;
	const struct bl_value_visitor *v;
	void *ctx;
	int ret;                  /* what a member returned */
	int rc;                   /* SQLITE_DONE, or the error that ended the scan */
};

/* The runs of [lo, hi) merged with their values (both by key). */
static void scan_range(struct part *p, int64_t lo, int64_t hi)
{
	sqlite3_bind_int64(p->rq, 1, lo);
	sqlite3_bind_int64(p->rq, 2, hi);
	sqlite3_bind_int64(p->vq, 1, lo * BL_SQLITE_VALUES_PER_RUN);
	sqlite3_bind_int64(p->vq, 2, hi * BL_SQLITE_VALUES_PER_RUN);
	struct run_cursor run = {.st = p->rq, .any = p->any, .cases = p->cases, .n_cases = p->n_cases,
				 .memo_bench = -1};
	const struct bl_value_visitor *v = p->v;
	int ret = next_run(&run, v, p->ctx), rc = SQLITE_DONE;
	int64_t last_rid = -1;
	bool take = false;
	while (ret == 0 && !run.error && (rc = sqlite3_step(p->vq)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(p->vq, 0) / BL_SQLITE_VALUES_PER_RUN;
		if (rid != last_rid) {
			last_rid = rid;
			while (ret == 0 && run.left && run.run_id < rid)
				ret = next_run(&run, v, p->ctx);
			take = run.left && run.run_id == rid && run.ok && run.wanted;
		}
		if (!take || ret)
			continue;
		struct bl_value_row row = {
			.benchmark_id = run.benchmark_id,
			.index = run.idx,
			.metric_key = sqlite3_column_int64(p->vq, 1),
			.value = sqlite3_column_double(p->vq, 2),
		};
		if (v->on_value)
			ret = v->on_value(p->ctx, &row);
	}
	if (ret == 0 && rc == SQLITE_DONE)
		while (ret == 0 && run.left) /* failed runs after the last value */
			ret = next_run(&run, v, p->ctx);
	if (ret == 0 && run.error)
		rc = run.error;
	p->ret = ret;
	p->rc = ret ? SQLITE_DONE : rc;
	sqlite3_reset(p->rq);
	sqlite3_reset(p->vq);
}

/* A part's thread: ranges, in increasing order, until none is left or a part failed. */
static void *scan_chunks(void *arg)
{
	struct part *p = arg;
	struct chunks *c = p->chunks;
	p->rc = SQLITE_DONE;
	for (;;) {
		unsigned k = atomic_fetch_add(&c->next, 1);
		if (k >= c->n || atomic_load(&c->stop))
			break;
		int64_t span = c->hi - c->lo;
		scan_range(p, c->lo + (int64_t)((double)span * k / c->n),
			   k + 1 == c->n ? c->hi : c->lo + (int64_t)((double)span * (k + 1) / c->n));
		if (p->ret || p->rc != SQLITE_DONE) {
			atomic_store(&c->stop, true);
			break;
		}
	}
	return NULL;
}

/* Connections of the other parts, opened and in one snapshot with the
 * store's own (already in its read transaction); returns how many parts
 * there are (1 when the others could not be had). */
static unsigned open_parts(struct sqlite_store *s, struct part *parts, unsigned n)
{
	if (n <= 1 || !s->reader_uri || s->in_batch) /* other connections would not see the batch */
		return 1;
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
		    (s->reader_immutable ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	sqlite3 *lock = NULL;
	unsigned got = 1;
	if (!s->reader_immutable) {
		if (sqlite3_open_v2(s->reader_uri, &lock, flags, NULL) != SQLITE_OK)
			goto out;
		/* a writer in the middle of a long transaction is not waited
		 * for: the read then runs on one connection, as it always can */
		sqlite3_busy_timeout(lock, s->busy_timeout_ms < LOCK_WAIT_MS ? s->busy_timeout_ms : LOCK_WAIT_MS);
		if (sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			goto out;
	}
	/* The store's connection must start its snapshot under the lock too. */
	sqlite3_stmt *b0 = NULL;
	if (sqlite3_prepare_v2(s->db, BOUNDS_SQL, -1, &b0, NULL) != SQLITE_OK || sqlite3_step(b0) != SQLITE_ROW) {
		sqlite3_finalize(b0);
		goto out;
	}
	sqlite3_finalize(b0);
	for (; got < n; got++) {
		struct part *p = &parts[got];
		sqlite3_stmt *b = NULL;
		if (sqlite3_open_v2(s->reader_uri, &p->db, flags, NULL) != SQLITE_OK)
			break;
		sqlite3_busy_timeout(p->db, s->busy_timeout_ms);
		sqlite3_extended_result_codes(p->db, 1);
		bool ok = sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
			  sqlite3_prepare_v2(p->db, BOUNDS_SQL, -1, &b, NULL) == SQLITE_OK &&
			  sqlite3_step(b) == SQLITE_ROW &&
			  sqlite3_prepare_v2(p->db, RUNS_SQL, -1, &p->rq, NULL) == SQLITE_OK &&
			  sqlite3_prepare_v2(p->db, ROWS_SQL, -1, &p->vq, NULL) == SQLITE_OK;
		sqlite3_finalize(b);
		if (!ok) {
			sqlite3_finalize(p->rq);
			sqlite3_finalize(p->vq);
			sqlite3_close(p->db);
			memset(p, 0, sizeof(*p));
			break;
		}
	}
out:
	if (lock) {
		sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(lock);
	}
	return got;
}

static void close_parts(struct part *parts, unsigned n)
{
	for (unsigned k = 1; k < n; k++) {
		sqlite3_finalize(parts[k].rq);
		sqlite3_finalize(parts[k].vq);
		if (parts[k].db) {
			sqlite3_exec(parts[k].db, "COMMIT", NULL, NULL, NULL);
			sqlite3_close(parts[k].db);
		}
	}
}

int bl_sqlite_foreach_value_parts(struct bl_store *bs, const struct bl_point_query *q, unsigned n_parts,
				  const struct bl_value_visitor *v, void *const *ctx, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	const char *repository = q->repository;
	bool by_sha = q->shas != NULL;
	const char *what = "cannot read the stored values";
	int64_t *ids = NULL;
	size_t n_ids = 0, cap = 0;
	int ret = -1, rc = SQLITE_DONE;
	struct part parts[MAX_PARTS];
	memset(parts, 0, sizeof(parts));
	pthread_t threads[MAX_PARTS];
	bool started[MAX_PARTS] = {false};
	unsigned n = 1;
	struct chunks chunks = {0};
	atomic_init(&chunks.next, 0);
	atomic_init(&chunks.stop, false);
	if (n_parts > MAX_PARTS)
		n_parts = MAX_PARTS;
	if (by_sha && bl_sqlite_fill_shas(s, q, err) != 0)
		return -1;
	if (bl_sqlite_tx(s, ST_BEGIN, err, what) != 0)
		return -1;
	sqlite3_stmt *mq = bl_sqlite_stmt(s, ST_VALUE_METRICS, METRICS_SQL, err);
	sqlite3_stmt *iq = !mq ? NULL
		: by_sha ? bl_sqlite_stmt(s, ST_VALUE_IDS_SHAS, IDS_SHAS_SQL, err)
			 : bl_sqlite_stmt(s, ST_VALUE_IDS, IDS_SQL, err);
	sqlite3_stmt *oq = iq ? bl_sqlite_stmt(s, ST_VALUE_OTHER_REPOS, OTHER_REPOS_SQL, err) : NULL;
	sqlite3_stmt *bq = oq ? bl_sqlite_stmt(s, ST_VALUE_BOUNDS, BOUNDS_SQL, err) : NULL;
	sqlite3_stmt *rq = bq ? bl_sqlite_stmt(s, ST_VALUE_RUNS, RUNS_SQL, err) : NULL;
	sqlite3_stmt *vq = rq ? bl_sqlite_stmt(s, ST_VALUE_ROWS, ROWS_SQL, err) : NULL;
	sqlite3_stmt *sq = by_sha && vq ? bl_sqlite_stmt(s, ST_VALUE_SHAS_BOUNDS, SHAS_BOUNDS_SQL, err) : NULL;
	if (!vq || (by_sha && !sq))
		goto out;
	n = open_parts(s, parts, n_parts);
	/* the store's connection is in its snapshot now (or starts it here) */
	if ((rc = sqlite3_step(bq)) != SQLITE_ROW)
		goto check;
	chunks.lo = sqlite3_column_int64(bq, 0);
	chunks.hi = sqlite3_column_int64(bq, 1) + 1;
	/* several ranges a part: one that finds its ranges slow (or starts
	 * late, as part 0 does after the cases) takes fewer */
	chunks.n = n == 1 ? 1 : 8 * n;
	sqlite3_reset(bq);
	rc = SQLITE_DONE;
	ret = 0;
	while (ret == 0 && (rc = sqlite3_step(mq)) == SQLITE_ROW) {
		struct bl_value_metric m = {
			.key = sqlite3_column_int64(mq, 0),
			.name = (const char *)sqlite3_column_text(mq, 1),
			.unit = (const char *)sqlite3_column_text(mq, 2),
			.better = bl_store_better_from_text((const char *)sqlite3_column_text(mq, 3)),
		};
		if (v[0].on_metric)
			ret = v[0].on_metric(ctx[0], &m);
	}
	if (ret || rc != SQLITE_DONE)
		goto check;
	/* the chosen commits: only the runs from their cases' oldest on */
	if (by_sha) {
		bind_text(sq, 1, repository);
		if ((rc = sqlite3_step(sq)) != SQLITE_ROW)
			goto check;
		chunks.lo = sqlite3_column_int64(sq, 0);
		chunks.hi = sqlite3_column_int64(sq, 1) + 1;
		sqlite3_reset(sq);
		rc = SQLITE_DONE;
	}
	/* the repository's (or commits') cases by id, for the parts to keep the others out */
	bool any = !repository && !by_sha;
	if (repository && !by_sha) {
		bind_text(oq, 1, repository);
		if ((rc = sqlite3_step(oq)) != SQLITE_ROW)
			goto check;
		any = sqlite3_column_int(oq, 0) == 0; /* the only repository stored */
		sqlite3_reset(oq);
		rc = SQLITE_DONE;
	}
	if (!any) {
		bind_text(iq, 1, repository);
		while ((rc = sqlite3_step(iq)) == SQLITE_ROW) {
			BL_GROW(ids, cap, n_ids + 1);
			ids[n_ids++] = sqlite3_column_int64(iq, 0);
		}
		if (rc != SQLITE_DONE)
			goto check;
		if (n_ids > 1)
			qsort(ids, n_ids, sizeof(*ids), bl_store_cmp_i64);
	}
	for (unsigned k = 0; k < n; k++) {
		struct part *p = &parts[k];
		if (k == 0) {
			p->db = s->db;
			p->rq = rq;
			p->vq = vq;
		}
		p->chunks = &chunks;
		p->any = any;
		p->cases = ids;
		p->n_cases = n_ids;
		p->v = &v[k];
		p->ctx = ctx[k];
		p->rc = SQLITE_DONE;
	}
	/* the other parts read values while this thread reads the cases */
	for (unsigned k = 1; k < n; k++)
		started[k] = pthread_create(&threads[k], NULL, scan_chunks, &parts[k]) == 0;
	ret = bl_sqlite_read_cases(s, repository, by_sha, v[0].on_case, ctx[0], &rc, err);
	if (ret || rc != SQLITE_DONE)
		atomic_store(&chunks.stop, true);
	else
		scan_chunks(&parts[0]);
	for (unsigned k = 1; k < n; k++) {
		if (started[k])
			pthread_join(threads[k], NULL);
		else if (!ret && rc == SQLITE_DONE)
			scan_chunks(&parts[k]); /* no thread: its ranges are read here */
	}
	if (ret || rc != SQLITE_DONE)
		goto check;
	for (unsigned k = 0; k < n && ret == 0; k++)
		ret = parts[k].ret;
	for (unsigned k = 0; k < n && ret == 0 && rc == SQLITE_DONE; k++)
		if (parts[k].rc != SQLITE_DONE) {
			/* the message is the part's connection's */
			struct sqlite_store other = *s;
			other.db = parts[k].db;
			bl_sqlite_fail(&other, parts[k].rc, err, "%s", what);
			ret = -1;
		}
check:
	if (ret == 0 && rc != SQLITE_DONE)
		ret = bl_sqlite_fail(s, rc, err, "%s", what);
	if (ret == 0)
		ret = bl_sqlite_tx(s, ST_COMMIT, err, what);
out:
	close_parts(parts, n);
	if (mq)
		sqlite3_reset(mq);
	if (iq)
		sqlite3_reset(iq);
	if (sq)
		sqlite3_reset(sq);
	if (oq)
		sqlite3_reset(oq);
	if (bq)
		sqlite3_reset(bq);
	if (rq)
		sqlite3_reset(rq);
	if (vq)
		sqlite3_reset(vq);
	bl_sqlite_rollback(s);
	free(ids);
	return ret;
}

int bl_sqlite_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
			    struct bl_error *err)
{
	void *ctxs[1] = {ctx};
	struct bl_point_query q = {.repository = repository};
	return bl_sqlite_foreach_value_parts(bs, &q, 1, v, ctxs, err);
}
