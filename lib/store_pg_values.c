/*
 * store_pg_values.c - foreach_value for PostgreSQL: every value of a
 * repository in one pass, for reports over whole histories (store.h).
 *
 * In one REPEATABLE READ, READ ONLY transaction: the metric dictionary and
 * the cases come as two prepared queries; then the measured runs (by run_id)
 * and the values (by value_id = run_id * 10^6 + seq) come through two
 * cursors, in batches, and are merged here like a sorted join, as the SQLite
 * backend merges them: a run's values are one range of the key. The server
 * only walks two primary keys in order; joining them in SQL made it look up
 * each run's range (the planner, which cannot tell how many values a range
 * holds, sorted and JIT-compiled on top: 3.6 s for 2,000,000 values). The
 * batches come in binary, so no number is parsed from text. Memory stays
 * bounded however long the history. Runs of other repositories are left out
 * by the ids of the cases read first.
 */
#include "store_pg_internal.h"

#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_RUN BL_STORE_VALUES_PER_RUN
#define BATCH "50000"

static const char METRICS_SQL[] = "SELECT metric_key, name, unit, better FROM metric_names ORDER BY metric_key";
static const char CASES_SQL[] =
	"SELECT b.benchmark_id, b.machine_id, b.commit_id, coalesce(c.subject, b.commit_message),"
	" floor(extract(epoch FROM c.commit_time))::bigint, b.name, b.params, m.hostname, b.status, b.suite_hash"
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"
	" WHERE ($1::text IS NULL OR b.repository = $1) ORDER BY b.benchmark_id";
static const char RUNS_CURSOR_SQL[] = "DECLARE bl_runs NO SCROLL CURSOR FOR SELECT run_id, benchmark_id, idx,"
				      " status = 'ok' FROM runs WHERE kind = 'measured' ORDER BY run_id";
static const char VALUES_CURSOR_SQL[] = "DECLARE bl_values NO SCROLL CURSOR FOR SELECT value_id, metric_key, value"
					" FROM metric_values ORDER BY value_id";

static const char *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A binary integer column of any width (0 for NULL). */
static int64_t bin_int(const PGresult *res, int row, int col)
{
	const char *p = PQgetvalue(res, row, col);
	switch (PQgetlength(res, row, col)) {
	case 8: {
		uint64_t v;
		memcpy(&v, p, 8);
		return (int64_t)be64toh(v);
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return (int32_t)ntohl(v);
	}
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return (int16_t)ntohs(v);
	}
	case 1:
		return (unsigned char)p[0]; /* bool */
	default:
		return 0;
	}
}

static double bin_double(const PGresult *res, int row, int col)
{
	if (PQgetlength(res, row, col) != 8)
		return 0;
	uint64_t v;
	double d;
	memcpy(&v, PQgetvalue(res, row, col), 8);
	v = be64toh(v);
	memcpy(&d, &v, 8);
	return d;
}

/* A cursor read in batches of binary rows. */
struct batch {
	const char *fetch;
	PGresult *res;
	int row, rows;
};

/* Steps to the next row: 1, 0 at the end, -1 with err set. */
static int batch_next(struct pg_store *s, struct batch *b, struct bl_error *err, const char *what)
{
	if (++b->row < b->rows)
		return 1;
	PQclear(b->res);
	b->res = PQexecParams(s->conn, b->fetch, 0, NULL, NULL, NULL, NULL, 1);
	if (PQresultStatus(b->res) != PGRES_TUPLES_OK)
		return pg_fail(s, b->res, err, "%s", what);
	b->rows = PQntuples(b->res);
	b->row = 0;
	return b->rows > 0;
}

/* The runs cursor: where the merge stands. */
struct run_pos {
	struct batch b;
	bool left; /* on a row */
	int64_t run_id, benchmark_id;
	int idx;
	bool ok, wanted;
	const int64_t *cases; /* NULL: every case; else the wanted ids, ascending */
	size_t n_cases;
	int64_t memo_bench;
	bool memo_wanted;
};

/* Steps to the next measured run, reporting it when it failed. Returns the
 * callback's value, or -1 with err set. */
static int next_run(struct pg_store *s, struct run_pos *r, const struct bl_value_visitor *v, void *ctx,
		    struct bl_error *err, const char *what)
{
	int got = batch_next(s, &r->b, err, what);
	r->left = got > 0;
	if (got <= 0)
		return got;
	const PGresult *res = r->b.res;
	int i = r->b.row;
	r->run_id = bin_int(res, i, 0);
	r->benchmark_id = bin_int(res, i, 1);
	r->idx = (int)bin_int(res, i, 2);
	r->ok = !PQgetisnull(res, i, 3) && bin_int(res, i, 3) != 0;
	if (r->benchmark_id != r->memo_bench) {
		r->memo_bench = r->benchmark_id;
		r->memo_wanted = !r->cases || bl_store_has_id(r->cases, r->n_cases, r->benchmark_id);
	}
	r->wanted = r->memo_wanted;
	if (!r->ok && r->wanted && v->on_failed_run)
		return v->on_failed_run(ctx, r->benchmark_id);
	return 0;
}

static int read_values(struct pg_store *s, const int64_t *cases, size_t n_cases, const struct bl_value_visitor *v,
		       void *ctx, struct bl_error *err, const char *what)
{
	if (pg_exec(s, RUNS_CURSOR_SQL, err, what) != 0 || pg_exec(s, VALUES_CURSOR_SQL, err, what) != 0)
		return -1;
	struct run_pos run = {.b = {.fetch = "FETCH FORWARD " BATCH " FROM bl_runs"},
			      .cases = cases,
			      .n_cases = n_cases,
			      .memo_bench = -1};
	struct batch vals = {.fetch = "FETCH FORWARD " BATCH " FROM bl_values"};
	int ret = next_run(s, &run, v, ctx, err, what), got = 0;
	int64_t last_rid = -1;
	bool take = false;
	while (ret == 0 && (got = batch_next(s, &vals, err, what)) > 0) {
		int64_t rid = bin_int(vals.res, vals.row, 0) / PER_RUN;
		if (rid != last_rid) {
			last_rid = rid;
			while (ret == 0 && run.left && run.run_id < rid)
				ret = next_run(s, &run, v, ctx, err, what);
			take = run.left && run.run_id == rid && run.ok && run.wanted;
		}
		if (!take || ret || !v->on_value)
			continue;
		struct bl_value_row row = {
			.benchmark_id = run.benchmark_id,
			.index = run.idx,
			.metric_key = bin_int(vals.res, vals.row, 1),
			.value = bin_double(vals.res, vals.row, 2),
		};
		ret = v->on_value(ctx, &row);
	}
	if (ret == 0 && got < 0)
		ret = -1;
	while (ret == 0 && run.left) /* failed runs after the last value */
		ret = next_run(s, &run, v, ctx, err, what);
	PQclear(run.b.res);
	PQclear(vals.res);
	return ret;
}

int pg_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
		     struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	const char *what = "cannot read the stored values";
	if (pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err, what) != 0)
		return -1;
	int ret = -1;
	int64_t *ids = NULL;
	size_t n_ids = 0;
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
	/* the repository's cases by id (ascending), for the runs to keep the others out */
	ids = repository ? bl_xmalloc(((size_t)PQntuples(cases) + 1) * sizeof(*ids)) : NULL;
	for (int i = 0; ids && i < PQntuples(cases); i++)
		ids[n_ids++] = pg_get_int64(cases, i, 0);
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
		ret = read_values(s, ids, n_ids, v, ctx, err, what);
	if (ret == 0 && pg_exec(s, "COMMIT", err, what) != 0)
		ret = -1;
out:
	pg_rollback(s);
	free(ids);
	return ret;
}
