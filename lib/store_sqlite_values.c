/*
 * store_sqlite_values.c - foreach_value: every value of a repository in one
 * pass, for reports over whole histories (store.h).
 *
 * foreach_point asks for each case's values with queries of its own, tens of
 * microseconds per case: most of a minute for 10,000 commits x 40 cases x 5
 * metrics. Here four cached statements read everything in key order, in one
 * read transaction: the metric dictionary, the cases (benchmarks by
 * benchmark_id, with their commit), the measured runs (runs by run_id) and
 * the values (metric_values by value_id = run_id * 1000000 + seq). The last
 * two are merged like a sorted join, so no row is looked up by key and no
 * result is sorted. Values of warm-ups and failed runs, and of cases outside
 * the repository, are skipped.
 */
#include "store_sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

static const char METRICS_SQL[] = "SELECT metric_key, name, unit, better FROM metric_names ORDER BY metric_key";
static const char CASES_SQL[] =
	"SELECT b.benchmark_id, b.machine_id, b.commit_id, coalesce(c.subject, b.commit_message), c.commit_time,"
	" b.name, b.params, m.hostname, b.status, b.suite_hash"
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"
	" WHERE (?1 IS NULL OR b.repository = ?1) ORDER BY b.benchmark_id";
static const char RUNS_SQL[] = "SELECT run_id, benchmark_id, idx, status = 'ok' FROM runs"
			       " WHERE kind = 'measured' ORDER BY run_id";
static const char ROWS_SQL[] = "SELECT value_id, metric_key, value FROM metric_values ORDER BY value_id";

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

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
		c->memo_wanted = c->any || (c->n_cases &&
					    bsearch(&c->benchmark_id, c->cases, c->n_cases, sizeof(int64_t), cmp_i64));
	}
	c->wanted = c->memo_wanted;
	if (!c->ok && c->wanted && v->on_failed_run)
		return v->on_failed_run(ctx, c->benchmark_id);
	return 0;
}

int bl_sqlite_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
			    struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	const char *what = "cannot read the stored values";
	int64_t *cases = NULL;
	size_t n_cases = 0, cap = 0;
	int ret = -1, rc = SQLITE_DONE;
	/* Read the file through a memory map: a scan of the whole file then
	 * costs no copy per page (pread). Best effort: without it, reads work. */
	sqlite3_exec(s->db, "PRAGMA mmap_size = 17179869184", NULL, NULL, NULL);
	if (bl_sqlite_tx(s, ST_BEGIN, err, what) != 0) {
		sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
		return -1;
	}
	sqlite3_stmt *mq = bl_sqlite_stmt(s, ST_VALUE_METRICS, METRICS_SQL, err);
	sqlite3_stmt *cq = mq ? bl_sqlite_stmt(s, ST_VALUE_CASES, CASES_SQL, err) : NULL;
	sqlite3_stmt *rq = cq ? bl_sqlite_stmt(s, ST_VALUE_RUNS, RUNS_SQL, err) : NULL;
	sqlite3_stmt *vq = rq ? bl_sqlite_stmt(s, ST_VALUE_ROWS, ROWS_SQL, err) : NULL;
	if (!vq)
		goto out;
	ret = 0;
	while (ret == 0 && (rc = sqlite3_step(mq)) == SQLITE_ROW) {
		struct bl_value_metric m = {
			.key = sqlite3_column_int64(mq, 0),
			.name = (const char *)sqlite3_column_text(mq, 1),
			.unit = (const char *)sqlite3_column_text(mq, 2),
			.better = bl_store_better_from_text((const char *)sqlite3_column_text(mq, 3)),
		};
		if (v->on_metric)
			ret = v->on_metric(ctx, &m);
	}
	if (ret || rc != SQLITE_DONE)
		goto check;
	bind_text(cq, 1, repository);
	while (ret == 0 && (rc = sqlite3_step(cq)) == SQLITE_ROW) {
		struct bl_value_case c = {
			.benchmark_id = sqlite3_column_int64(cq, 0),
			.machine_id = sqlite3_column_int64(cq, 1),
			.commit_sha = (const char *)sqlite3_column_text(cq, 2),
			.subject = (const char *)sqlite3_column_text(cq, 3),
			.commit_time = bl_store_parse_iso_seconds((const char *)sqlite3_column_text(cq, 4)),
			.name = (const char *)sqlite3_column_text(cq, 5),
			.params_json = (const char *)sqlite3_column_text(cq, 6),
			.machine = (const char *)sqlite3_column_text(cq, 7),
			.status = (const char *)sqlite3_column_text(cq, 8),
			.suite_hash = (const char *)sqlite3_column_text(cq, 9),
		};
		if (repository) {
			BL_GROW(cases, cap, n_cases + 1);
			cases[n_cases++] = c.benchmark_id;
		}
		if (v->on_case)
			ret = v->on_case(ctx, &c);
	}
	if (ret || rc != SQLITE_DONE)
		goto check;
	struct run_cursor run = {.st = rq, .any = !repository, .cases = cases, .n_cases = n_cases, .memo_bench = -1};
	ret = next_run(&run, v, ctx);
	int64_t last_rid = -1;
	bool take = false;
	while (ret == 0 && !run.error && (rc = sqlite3_step(vq)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(vq, 0) / BL_SQLITE_VALUES_PER_RUN;
		if (rid != last_rid) {
			last_rid = rid;
			while (ret == 0 && run.left && run.run_id < rid)
				ret = next_run(&run, v, ctx);
			take = run.left && run.run_id == rid && run.ok && run.wanted;
		}
		if (!take || ret)
			continue;
		struct bl_value_row row = {
			.benchmark_id = run.benchmark_id,
			.index = run.idx,
			.metric_key = sqlite3_column_int64(vq, 1),
			.value = sqlite3_column_double(vq, 2),
		};
		if (v->on_value)
			ret = v->on_value(ctx, &row);
	}
	if (ret == 0 && rc == SQLITE_DONE)
		while (ret == 0 && run.left) /* failed runs after the last value */
			ret = next_run(&run, v, ctx);
	if (ret == 0 && run.error)
		rc = run.error;
check:
	if (ret == 0 && rc != SQLITE_DONE)
		ret = bl_sqlite_fail(s, rc, err, "%s", what);
	if (ret == 0)
		ret = bl_sqlite_tx(s, ST_COMMIT, err, what);
out:
	if (mq)
		sqlite3_reset(mq);
	if (cq)
		sqlite3_reset(cq);
	if (rq)
		sqlite3_reset(rq);
	if (vq)
		sqlite3_reset(vq);
	bl_sqlite_rollback(s);
	sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	free(cases);
	return ret;
}
