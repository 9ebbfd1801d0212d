/*
 * store_pg_query.c - what the PostgreSQL store reads back: the points of
 * `benchline show` (foreach_point), the typical durations the scheduler
 * plans with, and the device summary of one run. Each read runs in one
 * REPEATABLE READ, READ ONLY transaction, so it sees one snapshot even while
 * other machines keep adding runs. Text is ordered byte by byte (COLLATE
 * "C") and NULLs first, as SQLite orders them, so both backends list
 * results in the same order whatever the database's locale.
 */
#include "store_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOT "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
#define PER_RUN BL_STORE_STR(BL_STORE_VALUES_PER_RUN)

/* The cases of foreach_point with their run counts, in display order;
 * $1 repository, $2 benchmark name, $3 commit SHAs. */
#define POINT_CASES_SELECT                                                                                            \
	"SELECT b.benchmark_id, b.commit_id, coalesce(c.subject, b.commit_message),"                                   \
	" floor(extract(epoch FROM c.commit_time))::bigint, b.name, b.params, m.hostname, b.machine_id, b.status,"    \
	" b.suite_hash,"                                                                                               \
	" (SELECT count(*) FROM runs r WHERE r.benchmark_id = b.benchmark_id AND r.kind = 'measured'),"                \
	" (SELECT count(*) FROM runs r WHERE r.benchmark_id = b.benchmark_id AND r.kind = 'measured'"                  \
	"  AND r.status <> 'ok')"                                                                                      \
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"                                            \
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"                                  \
	" WHERE ($1::text IS NULL OR b.repository = $1) AND ($2::text IS NULL OR b.name = $2)"
#define POINT_CASES_ORDER                                                                                             \
	" ORDER BY c.commit_time NULLS FIRST, b.commit_id COLLATE \"C\", b.name COLLATE \"C\","                        \
	" b.params COLLATE \"C\", b.machine_id, b.suite_hash COLLATE \"C\", b.benchmark_id"

static const char POINT_CASES_SQL[] = POINT_CASES_SELECT POINT_CASES_ORDER;
static const char POINT_CASES_SHAS_SQL[] = POINT_CASES_SELECT " AND b.commit_id = ANY ($3::text[])" POINT_CASES_ORDER;
/* The values of a chunk of cases ($1, an array of ids), grouped by case and
 * in each case in the order its points are made. */
static const char POINT_VALUES_SQL[] =
	"SELECT r.benchmark_id, n.name, n.unit, n.better, v.value FROM runs r CROSS JOIN LATERAL " RUN_VALUES " v"
	" JOIN metric_names n ON n.metric_key = v.metric_key"
	" WHERE r.benchmark_id = ANY ($1::bigint[]) AND r.kind = 'measured' AND r.status = 'ok'"
	" AND ($2::text IS NULL OR n.name = $2)"
	" ORDER BY r.benchmark_id, n.name COLLATE \"C\", n.unit COLLATE \"C\" NULLS FIRST, r.idx, v.value_id";
/* Cases whose values one statement reads: a whole history takes a few
 * dozen statements (a statement per case took 21 s for 80,000 cases), and
 * memory holds one chunk's values. */
static int point_chunk = 1000;
void bl_store_pg_test_point_chunk(int cases); /* test hook, declared by tests only */
void bl_store_pg_test_point_chunk(int cases)
{
	point_chunk = cases > 0 ? cases : 1000;
}

static const char TYPICAL_SQL[] =
	"SELECT (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r.wall_s)"
	"   FROM benchmarks b JOIN runs r ON r.benchmark_id = b.benchmark_id"
	"   WHERE $2::text IS NOT NULL AND b.machine_id = $1 AND b.name = $2 AND b.params = $3"
	"   AND r.kind = 'measured' AND r.status = 'ok' AND r.wall_s IS NOT NULL),"
	" (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_s) FROM builds"
	"   WHERE machine_id = $1 AND status = 'ok' AND duration_s IS NOT NULL)";
static const char RUN_INFO_SQL[] = "SELECT b.name, b.params, b.commit_id, r.kind, r.idx, r.status FROM runs r"
				   " JOIN benchmarks b ON b.benchmark_id = r.benchmark_id WHERE r.run_id = $1";

/* ---- foreach_point ------------------------------------------------------------------------------------------------ */

/* A PostgreSQL array literal of SHAs: {"a","b"}, each element quoted. */
static char *sha_array(const struct bl_point_query *q)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_putc(&b, '{');
	for (size_t i = 0; i < q->n_shas; i++) {
		bl_buf_puts(&b, i ? ",\"" : "\"");
		for (const char *p = q->shas[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				bl_buf_putc(&b, '\\');
			bl_buf_putc(&b, *p);
		}
		bl_buf_putc(&b, '"');
	}
	bl_buf_putc(&b, '}');
	return bl_buf_detach(&b);
}

static const char *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Emits the points of one case from its rows [lo, hi) of a chunk's values:
 * one per (metric, unit), or a single point without a metric when it has
 * none, so a case that failed to build or whose runs all failed is still
 * shown. */
static int emit_case_points(const PGresult *res, int lo, int hi, struct bl_point *p, double **values, size_t *cap,
			    bl_point_fn fn, void *ctx)
{
	int emitted = 0, ret = 0;
	for (int i = lo; i < hi && ret == 0;) {
		const char *name = PQgetvalue(res, i, 1);
		const char *unit = text_or_null(res, i, 2);
		enum bl_better better = BL_BETTER_UNKNOWN;
		size_t n = 0;
		int j = i;
		for (; j < hi; j++) {
			const char *u = text_or_null(res, j, 2);
			if (strcmp(PQgetvalue(res, j, 1), name) != 0 || (!u) != (!unit) || (u && strcmp(u, unit) != 0))
				break;
			/* Direction of a metric: the first run that states it. */
			if (better == BL_BETTER_UNKNOWN)
				better = bl_store_better_from_text(text_or_null(res, j, 3));
			BL_GROW(*values, *cap, n + 1);
			(*values)[n++] = pg_get_double(res, j, 4);
		}
		p->metric = name;
		p->unit = unit;
		p->better = better;
		p->values = *values;
		p->n_values = n;
		emitted++;
		ret = fn(ctx, p);
		i = j;
	}
	if (ret != 0 || emitted)
		return ret;
	p->metric = NULL;
	p->unit = NULL;
	p->better = BL_BETTER_UNKNOWN;
	p->values = NULL;
	p->n_values = 0;
	return fn(ctx, p);
}

/* The first of n ascending ids that is not below id. */
static int lower_bound(const int64_t *ids, int n, int64_t id)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Emits the points of cases [from, to) of the cases result, their values
 * read in one statement. */
static int emit_chunk(struct pg_store *s, const struct bl_point_query *q, const PGresult *cases, int from, int to,
		      double **values, size_t *cap, bl_point_fn fn, void *ctx, struct bl_error *err)
{
	struct bl_buf ids;
	bl_buf_init(&ids);
	bl_buf_putc(&ids, '{');
	for (int i = from; i < to; i++)
		bl_buf_printf(&ids, "%s%s", i > from ? "," : "", PQgetvalue(cases, i, 0));
	bl_buf_putc(&ids, '}');
	struct pg_params params = {0};
	pg_param_text(&params, ids.data);
	pg_param_text(&params, q->metric);
	PGresult *res = pg_run(s, PG_POINT_VALUES, POINT_VALUES_SQL, &params, NULL, err, "cannot read the metrics");
	bl_buf_release(&ids);
	if (!res)
		return -1;
	int rows = PQntuples(res), ret = 0;
	int64_t *row_ids = bl_xmalloc(((size_t)rows + 1) * sizeof(*row_ids));
	for (int i = 0; i < rows; i++)
		row_ids[i] = pg_get_int64(res, i, 0);
	for (int i = from; i < to && ret == 0; i++) {
		struct bl_point p = {
			.benchmark_id = pg_get_int64(cases, i, 0),
			.commit_sha = PQgetvalue(cases, i, 1),
			.subject = text_or_null(cases, i, 2),
			.commit_time = pg_get_int64(cases, i, 3),
			.name = PQgetvalue(cases, i, 4),
			.params_json = PQgetvalue(cases, i, 5),
			.machine = text_or_null(cases, i, 6),
			.machine_id = pg_get_int64(cases, i, 7),
			.status = PQgetvalue(cases, i, 8),
			.suite_hash = PQgetvalue(cases, i, 9),
			.runs_total = (int)pg_get_int64(cases, i, 10),
			.runs_failed = (int)pg_get_int64(cases, i, 11),
		};
		int lo = lower_bound(row_ids, rows, p.benchmark_id), hi = lower_bound(row_ids, rows, p.benchmark_id + 1);
		ret = emit_case_points(res, lo, hi, &p, values, cap, fn, ctx);
	}
	free(row_ids);
	PQclear(res);
	return ret;
}

int pg_foreach_point(struct bl_store *bs, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
		     struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	const char *what = "cannot query results";
	if (pg_exec(s, SNAPSHOT, err, what) != 0)
		return -1;
	struct pg_params params = {0};
	pg_param_text(&params, q->repository);
	pg_param_text(&params, q->benchmark);
	char *shas = q->shas ? sha_array(q) : NULL;
	if (shas)
		pg_param_text(&params, shas);
	PGresult *cases = shas ? pg_run(s, PG_POINT_CASES_SHAS, POINT_CASES_SHAS_SQL, &params, NULL, err, what)
			       : pg_run(s, PG_POINT_CASES, POINT_CASES_SQL, &params, NULL, err, what);
	free(shas);
	if (!cases) {
		pg_rollback(s);
		return -1;
	}
	double *values = NULL;
	size_t cap = 0;
	int ret = 0, n = PQntuples(cases);
	for (int i = 0; i < n && ret == 0; i += point_chunk)
		ret = emit_chunk(s, q, cases, i, n - i > point_chunk ? i + point_chunk : n, &values, &cap, fn, ctx, err);
	PQclear(cases);
	free(values);
	if (ret == 0 && pg_exec(s, "COMMIT", err, what) != 0)
		ret = -1;
	/* after the COMMIT nothing is left to roll back: inside a caller's transaction, not even the savepoint */
	if (ret != 0)
		pg_rollback(s);
	return ret;
}

/* ---- typical durations ---------------------------------------------------------------------------------------------- */

int pg_typical_seconds(struct bl_store *bs, int64_t machine_id, const char *name, const char *params_json,
		       double *run_s, double *build_s, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	struct pg_params p = {0};
	pg_param_int64(&p, machine_id);
	pg_param_text(&p, name);
	pg_param_text(&p, params_json ? params_json : "{}");
	/* One statement: both medians come from one snapshot. */
	PGresult *res = pg_run(s, PG_TYPICAL, TYPICAL_SQL, &p, NULL, err, "cannot read the typical durations");
	if (!res)
		return -1;
	if (run_s)
		*run_s = PQgetisnull(res, 0, 0) ? -1 : pg_get_double(res, 0, 0);
	if (build_s)
		*build_s = PQgetisnull(res, 0, 1) ? -1 : pg_get_double(res, 0, 1);
	PQclear(res);
	return 0;
}

/* ---- device samples of one run ---------------------------------------------------------------------------------- */

static void read_stat(const PGresult *res, int row, int col, const char *name, int gpu, struct bl_device_stat *out)
{
	out->column = name;
	out->gpu_index = gpu;
	out->n = (size_t)pg_get_int64(res, row, col);
	out->min = pg_get_double(res, row, col + 1);
	out->mean = pg_get_double(res, row, col + 2);
	out->max = pg_get_double(res, row, col + 3);
}

int pg_run_device(struct bl_store *bs, int64_t run_id, bl_device_report_fn fn, void *ctx, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	const char *what = "cannot read the device samples";
	PGresult *info = NULL, *stats = NULL;
	struct bl_device_stat *v = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;
	if (pg_exec(s, SNAPSHOT, err, what) != 0)
		return -1;
	struct pg_params p = {0};
	pg_param_int64(&p, run_id);
	info = pg_run(s, PG_RUN_INFO, RUN_INFO_SQL, &p, NULL, err, what);
	if (!info)
		goto out;
	if (PQntuples(info) == 0) {
		bl_fail(err, "no run %lld in '%s'", (long long)run_id, pg_name(s));
		goto out;
	}
	struct bl_buf sql;
	bl_buf_init(&sql);
	bl_store_device_stats_sql(&sql, "$1");
	stats = pg_run(s, PG_DEVICE_STATS, sql.data, &p, NULL, err, what);
	bl_buf_release(&sql);
	if (!stats)
		goto out;
	struct bl_device_report r = {
		.run_id = run_id,
		.benchmark = PQgetvalue(info, 0, 0),
		.params_json = PQgetvalue(info, 0, 1),
		.commit_sha = PQgetvalue(info, 0, 2),
		.kind = PQgetvalue(info, 0, 3),
		.index = (int)pg_get_int64(info, 0, 4),
		.status = PQgetvalue(info, 0, 5),
	};
	for (int row = 0; row < PQntuples(stats); row++) {
		int gpu = PQgetisnull(stats, row, 0) ? -1 : (int)pg_get_int64(stats, row, 0);
		int col = 4;
		if (row == 0) {
			/* every GPU's rows carry the same samples and process values */
			r.n_samples = (size_t)pg_get_int64(stats, row, 1);
			r.duration_s = (double)(pg_get_int64(stats, row, 3) - pg_get_int64(stats, row, 2)) / 1e9;
			for (size_t i = 0; i < BL_STORE_N_PROC_COLUMNS; i++, col += 4) {
				BL_GROW(v, cap, n + 1);
				read_stat(stats, row, col, bl_store_proc_columns[i], -1, &v[n++]);
			}
		}
		col = 4 + 4 * BL_STORE_N_PROC_COLUMNS;
		if (gpu < 0)
			continue;
		for (size_t i = 0; i < BL_STORE_N_GPU_COLUMNS; i++, col += 4) {
			BL_GROW(v, cap, n + 1);
			read_stat(stats, row, col, bl_store_gpu_columns[i], gpu, &v[n++]);
		}
	}
	r.stats = v;
	r.n_stats = n;
	ret = fn(ctx, &r);
	if (ret == 0 && pg_exec(s, "COMMIT", err, what) != 0)
		ret = -1;
out:
	PQclear(stats);
	PQclear(info);
	pg_rollback(s);
	free(v);
	return ret;
}
