/*
 * store_pg_values.c - foreach_value for PostgreSQL: every value of a
 * repository in one pass, for reports over whole histories (store.h).
 *
 * In one REPEATABLE READ, READ ONLY transaction: the metric dictionary and
 * the cases come as two prepared queries; then the measured runs (by run_id)
 * and the values (by value_id = run_id * 10^6 + seq) come as two binary
 * COPY streams, and are merged here like a sorted join, as the SQLite
 * backend merges them: a run's values are one range of the key. The server
 * only walks two primary keys in order; joining them in SQL made it look up
 * each run's range (the planner, which cannot tell how many values a range
 * holds, sorted and JIT-compiled on top: 3.6 s for 2,000,000 values). A
 * COPY streams without a round trip per batch (cursors fetched in batches of
 * 50,000 took twice as long), so the server sends while benchline merges.
 * One connection carries one COPY at a time: the runs (24 bytes each) are
 * read first and kept; the values are streamed, so memory grows with the
 * runs, not the values. Runs of other repositories are left out by the ids
 * of the cases read first.
 */
#include "store_pg_internal.h"

#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_RUN BL_STORE_VALUES_PER_RUN

static const char METRICS_SQL[] = "SELECT metric_key, name, unit, better FROM metric_names ORDER BY metric_key";
static const char CASES_SQL[] =
	"SELECT b.benchmark_id, b.machine_id, b.commit_id, coalesce(c.subject, b.commit_message),"
	" floor(extract(epoch FROM c.commit_time))::bigint, b.name, b.params, m.hostname, b.status, b.suite_hash"
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"
	" WHERE ($1::text IS NULL OR b.repository = $1) ORDER BY b.benchmark_id";
static const char RUNS_COPY_SQL[] = "COPY (SELECT run_id, benchmark_id, idx, status = 'ok' FROM runs"
				    " WHERE kind = 'measured' ORDER BY run_id) TO STDOUT (FORMAT binary)";
static const char VALUES_COPY_SQL[] = "COPY (SELECT value_id, metric_key, value FROM metric_values"
				      " ORDER BY value_id) TO STDOUT (FORMAT binary)";

static const char *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* ---- a binary COPY stream -------------------------------------------------------------------------------- */

/* A COPY ... TO STDOUT (FORMAT binary) being read: one CopyData message per
 * row, the file header before the first row's fields. */
struct copy_in {
	struct pg_store *s;
	const char *what;
	char *msg;         /* the current message (libpq's) */
	int len, pos;
	bool header_seen, open;
	const char *field[4]; /* the current row's fields (NULL: SQL NULL) */
	int flen[4];
};

static int copy_start(struct pg_store *s, struct copy_in *c, const char *sql, struct bl_error *err, const char *what)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->what = what;
	if (pg_copy_start(s, sql, PGRES_COPY_OUT, err, what))
		return -1;
	c->open = true;
	return 0;
}

/* Reads the COPY's end: the statement's own result. */
static int copy_finish(struct copy_in *c, struct bl_error *err)
{
	PQfreemem(c->msg);
	c->msg = NULL;
	int ret = 0;
	PGresult *res;
	while ((res = PQgetResult(c->s->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (ret == 0 && st != PGRES_COMMAND_OK)
			ret = pg_fail(c->s, res, err, "%s", c->what);
		PQclear(res);
		if (st == PGRES_COPY_OUT) /* still copying: libpq could not read on (out of memory) */
			break;
	}
	c->open = false;
	return ret;
}

/* Leaves a COPY that is not read to its end: the connection must be free for
 * the ROLLBACK. The server is asked to stop, and what it sent meanwhile is
 * read and dropped (a report that stops early does not wait for the rest of
 * the history). */
static void copy_abandon(struct copy_in *c)
{
	if (!c->open)
		return;
	PGcancel *cancel = PQgetCancel(c->s->conn);
	if (cancel) {
		char why[256];
		(void)PQcancel(cancel, why, sizeof(why));
		PQfreeCancel(cancel);
	}
	char *m;
	while (PQgetCopyData(c->s->conn, &m, 0) > 0)
		PQfreemem(m);
	struct bl_error ignored = {{0}};
	(void)copy_finish(c, &ignored);
}

static int16_t get16(const char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return (int16_t)ntohs(v);
}

static int32_t get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return (int32_t)ntohl(v);
}

static int64_t get64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return (int64_t)be64toh(v);
}

static int copy_broken(struct copy_in *c, struct bl_error *err)
{
	return bl_fail(err, "%s: database '%s': a COPY row that cannot be read", c->what, pg_name(c->s));
}

/* The next row's nf fields into c->field/c->flen: 1, 0 at the end, -1 with err set. */
static int copy_next(struct copy_in *c, int nf, struct bl_error *err)
{
	if (c->pos >= c->len) {
		PQfreemem(c->msg);
		c->msg = NULL;
		c->pos = 0;
		c->len = PQgetCopyData(c->s->conn, &c->msg, 0);
		if (c->len == -1) /* the end: the statement's result says how it went */
			return copy_finish(c, err) ? -1 : 0;
		if (c->len < 0) {
			c->open = false;
			return pg_fail(c->s, NULL, err, "%s", c->what);
		}
	}
	if (!c->header_seen) { /* "PGCOPY\n\377\r\n\0", flags, extension length, extension */
		if (c->len - c->pos < 19 || memcmp(c->msg + c->pos, "PGCOPY\n\377\r\n", 11) != 0)
			return copy_broken(c, err);
		int32_t ext = get32(c->msg + c->pos + 15);
		if (ext < 0 || ext > c->len - c->pos - 19)
			return copy_broken(c, err);
		c->pos += 19 + ext;
		c->header_seen = true;
		if (c->pos >= c->len) /* the header in a message of its own */
			return copy_next(c, nf, err);
	}
	if (c->len - c->pos < 2)
		return copy_broken(c, err);
	int n = get16(c->msg + c->pos);
	c->pos += 2;
	if (n == -1) { /* the trailer; the stream ends with the next call */
		c->pos = c->len;
		return copy_next(c, nf, err);
	}
	if (n != nf)
		return copy_broken(c, err);
	for (int i = 0; i < nf; i++) {
		if (c->len - c->pos < 4)
			return copy_broken(c, err);
		int32_t l = get32(c->msg + c->pos);
		c->pos += 4;
		if (l < -1 || l > c->len - c->pos)
			return copy_broken(c, err);
		c->field[i] = l < 0 ? NULL : c->msg + c->pos;
		c->flen[i] = l;
		if (l > 0)
			c->pos += l;
	}
	return 1;
}

/* A binary integer field of any width (0 for NULL). */
static int64_t field_int(const struct copy_in *c, int i)
{
	const char *p = c->field[i];
	if (!p)
		return 0;
	switch (c->flen[i]) {
	case 8: return get64(p);
	case 4: return get32(p);
	case 2: return get16(p);
	case 1: return (unsigned char)p[0]; /* bool */
	default: return 0;
	}
}

static double field_double(const struct copy_in *c, int i)
{
	if (!c->field[i] || c->flen[i] != 8)
		return 0;
	uint64_t v = (uint64_t)get64(c->field[i]);
	double d;
	memcpy(&d, &v, 8);
	return d;
}

/* ---- the merge ------------------------------------------------------------------------------------------------- */

struct run_row {
	int64_t run_id, benchmark_id;
	int idx;
	bool ok, wanted;
};

/* The measured runs in run_id order, each marked wanted when its case is
 * one of cases (NULL: every case). */
static int read_runs(struct pg_store *s, const int64_t *cases, size_t n_cases, struct run_row **out, size_t *n_out,
		     struct bl_error *err, const char *what)
{
	struct copy_in c;
	if (copy_start(s, &c, RUNS_COPY_SQL, err, what))
		return -1;
	struct run_row *runs = NULL;
	size_t n = 0, cap = 0;
	int64_t memo_bench = -1;
	bool memo_wanted = false;
	int got;
	while ((got = copy_next(&c, 4, err)) > 0) {
		BL_GROW(runs, cap, n + 1);
		struct run_row *r = &runs[n++];
		r->run_id = field_int(&c, 0);
		r->benchmark_id = field_int(&c, 1);
		r->idx = (int)field_int(&c, 2);
		r->ok = field_int(&c, 3) != 0;
		if (r->benchmark_id != memo_bench) {
			memo_bench = r->benchmark_id;
			memo_wanted = !cases || bl_store_has_id(cases, n_cases, r->benchmark_id);
		}
		r->wanted = memo_wanted;
	}
	if (got < 0) {
		copy_abandon(&c);
		free(runs);
		return -1;
	}
	*out = runs;
	*n_out = n;
	return 0;
}

/* Reports the failed runs among runs [from, to) to the visitor. */
static int failed_runs(const struct run_row *runs, size_t from, size_t to, const struct bl_value_visitor *v, void *ctx)
{
	int ret = 0;
	for (size_t i = from; i < to && ret == 0; i++)
		if (!runs[i].ok && runs[i].wanted && v->on_failed_run)
			ret = v->on_failed_run(ctx, runs[i].benchmark_id);
	return ret;
}

static int read_values(struct pg_store *s, const int64_t *cases, size_t n_cases, const struct bl_value_visitor *v,
		       void *ctx, struct bl_error *err, const char *what)
{
	struct run_row *runs = NULL;
	size_t n_runs = 0;
	if (read_runs(s, cases, n_cases, &runs, &n_runs, err, what))
		return -1;
	struct copy_in c;
	if (copy_start(s, &c, VALUES_COPY_SQL, err, what)) {
		free(runs);
		return -1;
	}
	size_t at = 0; /* the first run not passed yet */
	int64_t last_rid = -1;
	const struct run_row *take = NULL;
	int ret = 0, got;
	while ((got = copy_next(&c, 3, err)) > 0) {
		int64_t rid = field_int(&c, 0) / PER_RUN;
		if (rid != last_rid) {
			last_rid = rid;
			size_t from = at;
			while (at < n_runs && runs[at].run_id < rid)
				at++;
			if ((ret = failed_runs(runs, from, at, v, ctx)) != 0)
				break;
			take = at < n_runs && runs[at].run_id == rid && runs[at].ok && runs[at].wanted ? &runs[at] : NULL;
		}
		if (!take || !v->on_value)
			continue;
		struct bl_value_row row = {
			.benchmark_id = take->benchmark_id,
			.index = take->idx,
			.metric_key = field_int(&c, 1),
			.value = field_double(&c, 2),
		};
		if ((ret = v->on_value(ctx, &row)) != 0)
			break;
	}
	if (ret != 0 || got < 0)
		copy_abandon(&c);
	if (ret == 0 && got < 0)
		ret = -1;
	if (ret == 0) /* failed runs after the last value */
		ret = failed_runs(runs, at, n_runs, v, ctx);
	free(runs);
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
	/* after the COMMIT nothing is left to roll back: inside a caller's transaction, not even the savepoint */
	if (ret != 0)
		pg_rollback(s);
	free(ids);
	return ret;
}
