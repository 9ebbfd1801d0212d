/*
 * store_pg_values.c - foreach_value for PostgreSQL: every value of a
 * repository in one pass, for reports over whole histories (store.h).
 *
 * In one REPEATABLE READ, READ ONLY transaction: the metric dictionary and
 * the cases come as two prepared queries; the values as one query over all
 * measured runs in run order (each run's values are one range of
 * metric_values' key), read through a cursor in batches, so memory stays
 * bounded however long the history. A failed run comes as one row without a
 * value, so it is counted without reading anything of it.
 */
#include "store_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_RUN BL_STORE_STR(BL_STORE_VALUES_PER_RUN)
#define BATCH "50000"

static const char METRICS_SQL[] = "SELECT metric_key, name, unit, better FROM metric_names ORDER BY metric_key";
static const char CASES_SQL[] =
	"SELECT b.benchmark_id, b.machine_id, b.commit_id, coalesce(c.subject, b.commit_message),"
	" floor(extract(epoch FROM c.commit_time))::bigint, b.name, b.params, m.hostname, b.status, b.suite_hash"
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"
	" WHERE ($1::text IS NULL OR b.repository = $1) ORDER BY b.benchmark_id";
static const char VALUES_CURSOR_SQL[] =
	"DECLARE bl_values NO SCROLL CURSOR FOR"
	" SELECT r.benchmark_id, r.idx, r.status = 'ok', v.metric_key, v.value FROM runs r"
	" JOIN benchmarks b ON b.benchmark_id = r.benchmark_id"
	" LEFT JOIN metric_values v ON r.status = 'ok' AND v.value_id >= r.run_id * " PER_RUN
	" AND v.value_id < (r.run_id + 1) * " PER_RUN
	" WHERE r.kind = 'measured' AND ($1::text IS NULL OR b.repository = $1) ORDER BY r.run_id, v.value_id";

static const char *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int read_values(struct pg_store *s, const char *repository, const struct bl_value_visitor *v, void *ctx,
		       struct bl_error *err, const char *what)
{
	const char *param[1] = {repository};
	PGresult *res = PQexecParams(s->conn, VALUES_CURSOR_SQL, 1, NULL, param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(s, res, err, "%s", what);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	int ret = 0;
	for (;;) {
		res = PQexec(s->conn, "FETCH FORWARD " BATCH " FROM bl_values");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			pg_fail(s, res, err, "%s", what);
			PQclear(res);
			return -1;
		}
		int rows = PQntuples(res);
		for (int i = 0; i < rows && ret == 0; i++) {
			int64_t bench = pg_get_int64(res, i, 0);
			if (strcmp(PQgetvalue(res, i, 2), "t") != 0) {
				if (v->on_failed_run)
					ret = v->on_failed_run(ctx, bench);
				continue;
			}
			if (PQgetisnull(res, i, 3) || !v->on_value)
				continue; /* a run without values */
			struct bl_value_row row = {
				.benchmark_id = bench,
				.index = (int)pg_get_int64(res, i, 1),
				.metric_key = pg_get_int64(res, i, 3),
				.value = pg_get_double(res, i, 4),
			};
			ret = v->on_value(ctx, &row);
		}
		PQclear(res);
		if (ret != 0 || rows == 0)
			return ret;
	}
}

int pg_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
		     struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	const char *what = "cannot read the stored values";
	if (pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err, what) != 0)
		return -1;
	int ret = -1;
	PGresult *metrics = pg_run(s, PG_VALUE_METRICS, METRICS_SQL, NULL, NULL, err, what);
	if (!metrics)
		goto out;
	ret = 0;
	for (int i = 0; i < PQntuples(metrics) && ret == 0; i++) {
		struct bl_value_metric m = {
			.key = pg_get_int64(metrics, i, 0),
			.name = PQgetvalue(metrics, i, 1),
			.unit = text_or_null(metrics, i, 2),
			.better = bl_store_better_from_text(text_or_null(metrics, i, 3)),
		};
		if (v->on_metric)
			ret = v->on_metric(ctx, &m);
	}
	PQclear(metrics);
	if (ret)
		goto out;
	struct pg_params params = {0};
	pg_param_text(&params, repository);
	PGresult *cases = pg_run(s, PG_VALUE_CASES, CASES_SQL, &params, NULL, err, what);
	if (!cases) {
		ret = -1;
		goto out;
	}
	for (int i = 0; i < PQntuples(cases) && ret == 0; i++) {
		struct bl_value_case c = {
			.benchmark_id = pg_get_int64(cases, i, 0),
			.machine_id = pg_get_int64(cases, i, 1),
			.commit_sha = PQgetvalue(cases, i, 2),
			.subject = text_or_null(cases, i, 3),
			.commit_time = pg_get_int64(cases, i, 4),
			.name = PQgetvalue(cases, i, 5),
			.params_json = PQgetvalue(cases, i, 6),
			.machine = text_or_null(cases, i, 7),
			.status = PQgetvalue(cases, i, 8),
			.suite_hash = PQgetvalue(cases, i, 9),
		};
		if (v->on_case)
			ret = v->on_case(ctx, &c);
	}
	PQclear(cases);
	if (ret == 0)
		ret = read_values(s, repository, v, ctx, err, what);
	if (ret == 0 && pg_exec(s, "COMMIT", err, what) != 0)
		ret = -1;
out:
	pg_rollback(s);
	return ret;
}
