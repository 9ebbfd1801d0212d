/*
 * store_sqlite_query.c - what the SQLite store reads back: the points of
 * `benchline show` (foreach_point) and the typical durations the scheduler
 * plans with. Each query runs in one read transaction, so it sees one
 * snapshot even while another process keeps adding runs.
 */
#include "store_sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cases of foreach_point, in display order; ?1 repository, ?2 benchmark name. */
#define POINT_CASES_SELECT                                                                                            \
	"SELECT b.benchmark_id, b.commit_id, coalesce(c.subject, b.commit_message), c.commit_time, b.name, b.params," \
	" m.hostname, b.machine_id, b.status, b.suite_hash"                                                            \
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"                                            \
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"                                  \
	" WHERE (?1 IS NULL OR b.repository = ?1) AND (?2 IS NULL OR b.name = ?2)"
#define POINT_CASES_ORDER                                                                                             \
	" ORDER BY c.commit_time, b.commit_id, b.name, b.params, b.machine_id, b.suite_hash, b.benchmark_id"

static const char POINT_CASES_SQL[] = POINT_CASES_SELECT POINT_CASES_ORDER;
static const char POINT_CASES_SHAS_SQL[] =
	POINT_CASES_SELECT " AND b.commit_id IN (SELECT sha FROM temp.query_shas)" POINT_CASES_ORDER;
/* Through the view: its fixed join order reads each run's values as one key range. */
static const char POINT_VALUES_SQL[] = "SELECT mt.name, mt.unit, mt.better, mt.value"
				       " FROM runs r JOIN metrics mt ON mt.run_id = r.run_id"
				       " WHERE r.benchmark_id = ?1 AND r.kind = 'measured' AND r.status = 'ok'"
				       " AND (?2 IS NULL OR mt.name = ?2) ORDER BY mt.name, mt.unit, r.idx, mt.seq";
static const char POINT_COUNTS_SQL[] = "SELECT count(*), coalesce(sum(status <> 'ok'), 0) FROM runs"
				       " WHERE benchmark_id = ?1 AND kind = 'measured'";
/* A per-connection table for the commit filter of foreach_point: any number
 * of SHAs, where an IN (?, ?, ...) list would hit the variable limit and
 * could not be prepared once. */
static const char SHAS_CREATE_SQL[] = "CREATE TEMP TABLE IF NOT EXISTS query_shas (sha TEXT PRIMARY KEY) WITHOUT ROWID";
static const char SHAS_CLEAR_SQL[] = "DELETE FROM temp.query_shas";
static const char SHAS_INSERT_SQL[] = "INSERT OR IGNORE INTO temp.query_shas (sha) VALUES (?1)";
static const char TYPICAL_RUN_SQL[] = "SELECT r.wall_s FROM benchmarks b JOIN runs r ON r.benchmark_id = b.benchmark_id"
				      " WHERE b.machine_id = ?1 AND b.name = ?2 AND b.params = ?3"
				      " AND r.kind = 'measured' AND r.status = 'ok' AND r.wall_s IS NOT NULL"
				      " ORDER BY r.wall_s";
static const char TYPICAL_BUILD_SQL[] = "SELECT duration_s FROM builds WHERE machine_id = ?1 AND status = 'ok'"
					" AND duration_s IS NOT NULL ORDER BY duration_s";

static double median_of_sorted(const double *v, size_t n)
{
	if (n == 0)
		return -1;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Steps a statement that returns no rows; on failure err says "WHAT: REASON". */
static int run_stmt(struct sqlite_store *s, enum stmt_id id, const char *sql, struct bl_error *err, const char *what)
{
	sqlite3_stmt *st = bl_sqlite_stmt(s, id, sql, err);
	if (!st)
		return -1;
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return bl_sqlite_fail(s, rc, err, "%s", what);
	return 0;
}

/* ---- queries --------------------------------------------------------------------------------------------------- */

int bl_sqlite_fill_shas(struct sqlite_store *s, const struct bl_point_query *q, struct bl_error *err)
{
	if (!s->shas_table) {
		/* Created outside any statement cache entry that refers to it, so the
		 * filtered case query can be prepared afterwards. */
		if (run_stmt(s, ST_SHAS_CREATE, SHAS_CREATE_SQL, err, "cannot prepare the commit filter") != 0)
			return -1;
		s->shas_table = true;
	}
	if (run_stmt(s, ST_SHAS_CLEAR, SHAS_CLEAR_SQL, err, "cannot prepare the commit filter") != 0)
		return -1;
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_SHAS_INSERT, SHAS_INSERT_SQL, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < q->n_shas; i++) {
		bind_text(st, 1, q->shas[i]);
		int rc = exec_stmt(st);
		if (rc != SQLITE_OK)
			return bl_sqlite_fail(s, rc, err, "cannot prepare the commit filter");
	}
	return 0;
}

struct point_scratch {
	double *values;
	size_t cap;
	char *metric; /* owned copies: the row they came from is gone once the next row is read */
	char *unit;
};

/* Emits the points of one case: one per metric with values, or a single
 * point without a metric when it has none, so a case that failed to build or
 * whose runs all failed is still shown. */
static int emit_case_points(struct sqlite_store *s, const struct bl_point_query *q, struct bl_point *p,
			    struct point_scratch *sc, bl_point_fn fn, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *cnt = bl_sqlite_stmt(s, ST_POINT_COUNTS, POINT_COUNTS_SQL, err);
	if (!cnt)
		return -1;
	sqlite3_bind_int64(cnt, 1, p->benchmark_id);
	int rc = sqlite3_step(cnt);
	if (rc == SQLITE_ROW) {
		p->runs_total = sqlite3_column_int(cnt, 0);
		p->runs_failed = sqlite3_column_int(cnt, 1);
	}
	sqlite3_reset(cnt);
	if (rc != SQLITE_ROW)
		return bl_sqlite_fail(s, rc, err, "cannot count the runs of benchmark %lld",
				      (long long)p->benchmark_id);

	sqlite3_stmt *vals = bl_sqlite_stmt(s, ST_POINT_VALUES, POINT_VALUES_SQL, err);
	if (!vals)
		return -1;
	sqlite3_bind_int64(vals, 1, p->benchmark_id);
	bind_text(vals, 2, q->metric);
	int emitted = 0, ret = 0;
	size_t n = 0;
	enum bl_better better = BL_BETTER_UNKNOWN;
	for (;;) {
		rc = sqlite3_step(vals);
		const char *name = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(vals, 0) : NULL;
		const char *unit = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(vals, 1) : NULL;
		/* One point per (name, unit): values in ms and in s are never mixed. */
		bool same_unit = (!unit && !sc->unit) || (unit && sc->unit && !strcmp(unit, sc->unit));
		if (sc->metric && (!name || strcmp(name, sc->metric) != 0 || !same_unit)) {
			p->metric = sc->metric;
			p->unit = sc->unit;
			p->better = better;
			p->values = sc->values;
			p->n_values = n;
			emitted++;
			ret = fn(ctx, p);
			free(sc->metric);
			free(sc->unit);
			sc->metric = sc->unit = NULL;
			if (ret != 0)
				break;
		}
		if (rc != SQLITE_ROW)
			break;
		if (!sc->metric) {
			sc->metric = bl_xstrdup(name ? name : "");
			sc->unit = unit ? bl_xstrdup(unit) : NULL;
			n = 0;
			better = BL_BETTER_UNKNOWN;
		}
		/* Direction of a metric: the first run that states it. */
		if (better == BL_BETTER_UNKNOWN)
			better = bl_store_better_from_text((const char *)sqlite3_column_text(vals, 2));
		BL_GROW(sc->values, sc->cap, n + 1);
		sc->values[n++] = sqlite3_column_double(vals, 3);
	}
	sqlite3_reset(vals);
	free(sc->metric);
	free(sc->unit);
	sc->metric = sc->unit = NULL;
	if (ret != 0)
		return ret;
	if (rc != SQLITE_DONE)
		return bl_sqlite_fail(s, rc, err, "cannot read the metrics of benchmark %lld",
				      (long long)p->benchmark_id);
	if (emitted)
		return 0;
	p->metric = NULL;
	p->unit = NULL;
	p->better = BL_BETTER_UNKNOWN;
	p->values = NULL;
	p->n_values = 0;
	return fn(ctx, p);
}

int bl_sqlite_foreach_point(struct bl_store *bs, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
				struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	struct point_scratch sc = {0};
	int ret = -1, rc;
	/* One read transaction: the cases and their values come from one snapshot
	 * even while another process keeps adding runs. */
	if (bl_sqlite_tx(s, ST_BEGIN, err, "cannot query results") != 0)
		return -1;
	if (q->shas && bl_sqlite_fill_shas(s, q, err) != 0)
		goto out;
	sqlite3_stmt *cases = q->shas ? bl_sqlite_stmt(s, ST_POINT_CASES_SHAS, POINT_CASES_SHAS_SQL, err)
				       : bl_sqlite_stmt(s, ST_POINT_CASES, POINT_CASES_SQL, err);
	if (!cases)
		goto out;
	bind_text(cases, 1, q->repository);
	bind_text(cases, 2, q->benchmark);
	ret = 0;
	while ((rc = sqlite3_step(cases)) == SQLITE_ROW) {
		struct bl_point p = {
			.benchmark_id = sqlite3_column_int64(cases, 0),
			.commit_sha = (const char *)sqlite3_column_text(cases, 1),
			.subject = (const char *)sqlite3_column_text(cases, 2),
			.commit_time = bl_store_parse_iso_seconds((const char *)sqlite3_column_text(cases, 3)),
			.name = (const char *)sqlite3_column_text(cases, 4),
			.params_json = (const char *)sqlite3_column_text(cases, 5),
			.machine = (const char *)sqlite3_column_text(cases, 6),
			.machine_id = sqlite3_column_int64(cases, 7),
			.status = (const char *)sqlite3_column_text(cases, 8),
			.suite_hash = (const char *)sqlite3_column_text(cases, 9),
		};
		ret = emit_case_points(s, q, &p, &sc, fn, ctx, err);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = bl_sqlite_fail(s, rc, err, "cannot query results");
	sqlite3_reset(cases);
out:
	free(sc.values);
	if (ret == 0 && bl_sqlite_tx(s, ST_COMMIT, err, "cannot query results") != 0)
		ret = -1;
	bl_sqlite_rollback(s);
	return ret;
}

/* Median of the single REAL column of a query whose rows come sorted. */
static int sorted_median(struct sqlite_store *s, sqlite3_stmt *st, double *out, struct bl_error *err,
			 const char *what)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		BL_GROW(v, cap, n + 1);
		v[n++] = sqlite3_column_double(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return bl_sqlite_fail(s, rc, err, "%s", what);
	}
	*out = median_of_sorted(v, n);
	free(v);
	return 0;
}

int bl_sqlite_typical_seconds(struct bl_store *bs, int64_t machine_id, const char *name, const char *params_json,
				  double *run_s, double *build_s, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	double run = -1, build = -1;
	int ret = -1;
	if (bl_sqlite_tx(s, ST_BEGIN, err, "cannot read the typical durations") != 0)
		return -1;
	sqlite3_stmt *rq = bl_sqlite_stmt(s, ST_TYPICAL_RUN, TYPICAL_RUN_SQL, err);
	sqlite3_stmt *bq = rq ? bl_sqlite_stmt(s, ST_TYPICAL_BUILD, TYPICAL_BUILD_SQL, err) : NULL;
	if (!bq)
		goto out;
	if (name) {
		sqlite3_bind_int64(rq, 1, machine_id);
		bind_text(rq, 2, name);
		bind_text(rq, 3, params_json ? params_json : "{}");
		if (sorted_median(s, rq, &run, err, "cannot read the typical run time") != 0)
			goto out;
	}
	sqlite3_bind_int64(bq, 1, machine_id);
	if (sorted_median(s, bq, &build, err, "cannot read the typical build time") != 0)
		goto out;
	ret = bl_sqlite_tx(s, ST_COMMIT, err, "cannot read the typical durations");
out:
	bl_sqlite_rollback(s);
	if (ret == 0) {
		if (run_s)
			*run_s = run;
		if (build_s)
			*build_s = build;
	}
	return ret;
}

/* ---- device samples of one run ---------------------------------------------------------------------------------- */

static const char RUN_INFO_SQL[] = "SELECT b.name, b.params, b.commit_id, r.kind, r.idx, r.status FROM runs r"
				   " JOIN benchmarks b ON b.benchmark_id = r.benchmark_id WHERE r.run_id = ?1";

static void read_stat(sqlite3_stmt *st, int col, const char *name, int gpu, struct bl_device_stat *out)
{
	out->column = name;
	out->gpu_index = gpu;
	out->n = (size_t)sqlite3_column_int64(st, col);
	out->min = sqlite3_column_double(st, col + 1);
	out->mean = sqlite3_column_double(st, col + 2);
	out->max = sqlite3_column_double(st, col + 3);
}

int bl_sqlite_run_device(struct bl_store *bs, int64_t run_id, bl_device_report_fn fn, void *ctx,
			 struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	const char *what = "cannot read the device samples";
	sqlite3_stmt *info = NULL, *stats = NULL;
	struct bl_device_stat *v = NULL;
	size_t n = 0, cap = 0;
	int ret = -1, rc;
	if (bl_sqlite_tx(s, ST_BEGIN, err, what) != 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(s->db, RUN_INFO_SQL, -1, &info, NULL)) != SQLITE_OK) {
		bl_sqlite_fail(s, rc, err, "%s", what);
		goto out;
	}
	sqlite3_bind_int64(info, 1, run_id);
	rc = sqlite3_step(info);
	if (rc == SQLITE_DONE) {
		bl_fail(err, "no run %lld in '%s'", (long long)run_id, s->path);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		bl_sqlite_fail(s, rc, err, "%s", what);
		goto out;
	}
	struct bl_buf sql;
	bl_buf_init(&sql);
	bl_store_device_stats_sql(&sql, "?1");
	rc = sqlite3_prepare_v2(s->db, sql.data, -1, &stats, NULL);
	bl_buf_release(&sql);
	if (rc != SQLITE_OK) {
		bl_sqlite_fail(s, rc, err, "%s", what);
		goto out;
	}
	sqlite3_bind_int64(stats, 1, run_id);
	struct bl_device_report r = {
		.run_id = run_id,
		.benchmark = (const char *)sqlite3_column_text(info, 0),
		.params_json = (const char *)sqlite3_column_text(info, 1),
		.commit_sha = (const char *)sqlite3_column_text(info, 2),
		.kind = (const char *)sqlite3_column_text(info, 3),
		.index = sqlite3_column_int(info, 4),
		.status = (const char *)sqlite3_column_text(info, 5),
	};
	bool first = true;
	while ((rc = sqlite3_step(stats)) == SQLITE_ROW) {
		int gpu = sqlite3_column_type(stats, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(stats, 0);
		int col = 4;
		if (first) {
			/* every GPU's rows carry the same samples and process values */
			r.n_samples = (size_t)sqlite3_column_int64(stats, 1);
			r.duration_s = (double)(sqlite3_column_int64(stats, 3) - sqlite3_column_int64(stats, 2)) / 1e9;
			for (size_t i = 0; i < BL_STORE_N_PROC_COLUMNS; i++, col += 4) {
				BL_GROW(v, cap, n + 1);
				read_stat(stats, col, bl_store_proc_columns[i], -1, &v[n++]);
			}
			first = false;
		}
		col = 4 + 4 * (int)BL_STORE_N_PROC_COLUMNS;
		if (gpu < 0)
			continue;
		for (size_t i = 0; i < BL_STORE_N_GPU_COLUMNS; i++, col += 4) {
			BL_GROW(v, cap, n + 1);
			read_stat(stats, col, bl_store_gpu_columns[i], gpu, &v[n++]);
		}
	}
	if (rc != SQLITE_DONE) {
		bl_sqlite_fail(s, rc, err, "%s", what);
		goto out;
	}
	r.stats = v;
	r.n_stats = n;
	ret = fn(ctx, &r);
	if (ret == 0)
		ret = bl_sqlite_tx(s, ST_COMMIT, err, what);
out:
	sqlite3_finalize(stats);
	sqlite3_finalize(info);
	bl_sqlite_rollback(s);
	free(v);
	return ret;
}
