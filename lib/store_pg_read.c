/*
 * store_pg_read.c - the PostgreSQL store read back whole (export_all: what
 * `push`, `export --to` and `import --from` copy) and one case's runs with
 * their metrics and samples (case_runs: the report's run pages).
 *
 * Both read in one REPEATABLE READ, READ ONLY transaction, so a sweep or a
 * worker writing meanwhile is seen wholly before or after, never half. A
 * case is read with four queries whatever its number of runs (its runs, then
 * the metric values, model measurements and device samples of all of them,
 * each ordered by run), and the rows are handed out run by run. Strings are
 * borrowed from the PGresults, which live until the case is done, so a
 * visitor may use another store meanwhile (not this one: its connection is
 * busy with the snapshot).
 */
#include "store_pg_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOT "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
#define PER_RUN BL_STORE_STR(BL_STORE_VALUES_PER_RUN)
/* A TIMESTAMPTZ column as Unix microseconds (NULL stays NULL). */
#define MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

static const char MACHINES_SQL[] =
	"SELECT machine_id, fingerprint, hostname, os, kernel, arch, cpu_model, cpu_count, memory_bytes, gpus::text"
	" FROM machines ORDER BY machine_id";
static const char COMMITS_SQL[] =
	"SELECT repository, sha, parents, author_name, author_email, extract(epoch FROM author_time)::bigint,"
	" extract(epoch FROM commit_time)::bigint, subject FROM commits ORDER BY repository, sha";
static const char BUILDS_SQL[] = "SELECT repository, commit_id, machine_id, build_key, status, " MICROS("started_at")
				 ", duration_s, log_path FROM builds ORDER BY build_id";
static const char CASES_SQL[] =
	"SELECT benchmark_id, repository, branch, commit_id, commit_message, machine_id, suite_hash, name, params,"
	" metadata::text, status, " MICROS("created_at") " FROM benchmarks ORDER BY benchmark_id";
static const char RUNS_SQL[] =
	"SELECT run_id, kind, idx, " MICROS("started_at") ", wall_s, user_s, sys_s, peak_rss_bytes, peak_source,"
	" exit_code, term_signal, status, stdout_log, stderr_log, env_hash, cpu_list, diagnostics"
	" FROM runs WHERE benchmark_id = $1 ORDER BY run_id";
/* Each run's values are the key range [run_id * 1e6, (run_id + 1) * 1e6). */
static const char VALUES_SQL[] =
	"SELECT r.run_id, n.name, n.unit, n.better, v.value FROM runs r CROSS JOIN LATERAL " RUN_VALUES " v"
	" JOIN metric_names n ON n.metric_key = v.metric_key WHERE r.benchmark_id = $1 ORDER BY v.value_id";
static const char MODELS_SQL[] = "SELECT run_id, measurements::text, " MICROS("time") " FROM model_measurements"
				 " WHERE benchmark_id = $1 AND run_id IS NOT NULL ORDER BY run_id, measurement_id";
static const char SAMPLES_SQL[] =
	"SELECT run_id, t_ns, warmup, cpu_util, mem_megabytes, procs, sys_cpu_util, sys_mem_megabytes, gpu_index,"
	" gpu_util, gpu_mem_megabytes, gpu_power_w, gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons,"
	" gpu_proc_mem_megabytes FROM device_measurements WHERE benchmark_id = $1 AND run_id IS NOT NULL"
	" ORDER BY run_id, t_ns, gpu_index NULLS FIRST, measurement_id";

/* A text column, NULL for SQL NULL; borrowed from res. */
static const char *col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int64_t micros_ns(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? 0 : pg_get_int64(res, row, c) * 1000;
}

static struct bl_value value(const PGresult *res, int row, int c, double scale)
{
	if (PQgetisnull(res, row, c))
		return (struct bl_value){0};
	double v = pg_get_double(res, row, c) * scale;
	return (struct bl_value){.value = v, .valid = isfinite(v)};
}

static PGresult *query(struct pg_store *s, const char *sql, int64_t id, bool with_id, struct bl_error *err)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)id);
	const char *values[1] = {num};
	PGresult *res = PQexecParams(s->conn, sql, with_id ? 1 : 0, NULL, with_id ? values : NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(s, res, err, "cannot read store '%s'", pg_name(s));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* One case's runs and everything attached to them, walked run by run. */
struct case_rows {
	PGresult *runs, *values, *models, *samples;
	int vi, mi, si; /* next row of values, models, samples */
	struct bl_metric *metrics;
	size_t metrics_cap;
	char **measurements;
	size_t measurements_cap;
	struct bl_sample *samp;
	size_t samp_cap;
};

static void case_rows_clear(struct case_rows *c)
{
	PQclear(c->runs);
	PQclear(c->values);
	PQclear(c->models);
	PQclear(c->samples);
	c->runs = c->values = c->models = c->samples = NULL;
	c->vi = c->mi = c->si = 0;
}

static void case_rows_free(struct case_rows *c)
{
	case_rows_clear(c);
	free(c->metrics);
	free(c->measurements);
	free(c->samp);
}

static int read_case(struct pg_store *s, int64_t benchmark_id, struct case_rows *c, struct bl_error *err)
{
	case_rows_clear(c);
	if (!(c->runs = query(s, RUNS_SQL, benchmark_id, true, err)) ||
	    !(c->values = query(s, VALUES_SQL, benchmark_id, true, err)) ||
	    !(c->models = query(s, MODELS_SQL, benchmark_id, true, err)) ||
	    !(c->samples = query(s, SAMPLES_SQL, benchmark_id, true, err)))
		return -1;
	return 0;
}

/* The metrics, model measurements and samples of run run_id: the next rows
 * of each result (all ordered by run). */
static void run_parts(struct case_rows *c, int64_t run_id, struct bl_run_record *r)
{
	size_t n = 0;
	for (; c->vi < PQntuples(c->values) && pg_get_int64(c->values, c->vi, 0) == run_id; c->vi++) {
		BL_GROW(c->metrics, c->metrics_cap, n + 1);
		c->metrics[n++] = (struct bl_metric){
			.name = PQgetvalue(c->values, c->vi, 1),
			.unit = (char *)col(c->values, c->vi, 2),
			.better = bl_store_better_from_text(col(c->values, c->vi, 3)),
			.value = pg_get_double(c->values, c->vi, 4),
		};
	}
	r->metrics = c->metrics;
	r->n_metrics = n;

	n = 0;
	for (; c->mi < PQntuples(c->models) && pg_get_int64(c->models, c->mi, 0) == run_id; c->mi++) {
		BL_GROW(c->measurements, c->measurements_cap, n + 1);
		c->measurements[n++] = PQgetvalue(c->models, c->mi, 1);
		if (n == 1)
			r->stored_unix_ns = micros_ns(c->models, c->mi, 2);
	}
	r->measurements = c->measurements;
	r->n_measurements = n;

	n = 0;
	struct bl_sample *x = NULL;
	const PGresult *res = c->samples;
	for (; c->si < PQntuples(res) && pg_get_int64(res, c->si, 0) == run_id; c->si++) {
		int row = c->si;
		int64_t t_ns = pg_get_int64(res, row, 1);
		int gpu = PQgetisnull(res, row, 8) ? -1 : (int)pg_get_int64(res, row, 8);
		if (bl_store_row_starts_sample(x, t_ns, gpu)) {
			BL_GROW(c->samp, c->samp_cap, n + 1);
			x = &c->samp[n++];
			memset(x, 0, sizeof(*x));
			x->t_ns = t_ns;
			x->warmup = !strcmp(PQgetvalue(res, row, 2), "1") || !strcmp(PQgetvalue(res, row, 2), "t");
			x->proc_cpu_pct = value(res, row, 3, 1.0);
			x->proc_rss_bytes = value(res, row, 4, BL_STORE_MIB);
			x->proc_count = value(res, row, 5, 1.0);
			x->sys_cpu_pct = value(res, row, 6, 1.0);
			x->sys_mem_used_bytes = value(res, row, 7, BL_STORE_MIB);
		}
		if (gpu < 0 || gpu >= BL_DEVICE_MAX_GPUS)
			continue;
		struct bl_gpu_sample *g = &x->gpu[gpu];
		g->util_pct = value(res, row, 9, 1.0);
		g->mem_used_bytes = value(res, row, 10, BL_STORE_MIB);
		g->power_w = value(res, row, 11, 1.0);
		g->temp_c = value(res, row, 12, 1.0);
		g->sm_clock_mhz = value(res, row, 13, 1.0);
		g->clock_reasons = value(res, row, 14, 1.0);
		g->proc_mem_bytes = value(res, row, 15, BL_STORE_MIB);
		x->n_gpus = gpu + 1;
	}
	r->samples = c->samp;
	r->n_samples = n;
}

static void run_record(const PGresult *runs, int row, int64_t benchmark_id, struct bl_run_record *r)
{
	const char *kind = PQgetvalue(runs, row, 1);
	*r = (struct bl_run_record){
		.benchmark_id = benchmark_id,
		.warmup = !strcmp(kind, "warmup"),
		.index = (int)pg_get_int64(runs, row, 2),
		.start_unix_ns = micros_ns(runs, row, 3),
		.wall_s = pg_get_double(runs, row, 4),
		.user_s = pg_get_double(runs, row, 5),
		.sys_s = pg_get_double(runs, row, 6),
		.peak_rss_bytes = PQgetisnull(runs, row, 7) ? -1 : pg_get_int64(runs, row, 7),
		.peak_source = col(runs, row, 8),
		.exit_code = (int)pg_get_int64(runs, row, 9),
		.term_signal = (int)pg_get_int64(runs, row, 10),
		.status = PQgetvalue(runs, row, 11),
		.stdout_log = col(runs, row, 12),
		.stderr_log = col(runs, row, 13),
		.env_hash = col(runs, row, 14),
		.cpu_list = col(runs, row, 15),
		.diagnostics = col(runs, row, 16),
	};
}

static int export_tables(struct pg_store *s, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	PGresult *res = query(s, MACHINES_SQL, 0, false, err);
	if (!res)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
		struct bl_machine m = {0};
		snprintf(m.fingerprint, sizeof(m.fingerprint), "%s", PQgetvalue(res, i, 1));
		m.hostname = (char *)col(res, i, 2);
		m.os = (char *)col(res, i, 3);
		m.kernel = (char *)col(res, i, 4);
		m.arch = (char *)col(res, i, 5);
		m.cpu_model = (char *)col(res, i, 6);
		m.cpu_count = (int)pg_get_int64(res, i, 7);
		m.memory_bytes = pg_get_int64(res, i, 8);
		m.gpus_json = (char *)col(res, i, 9);
		if (v->on_machine)
			ret = v->on_machine(ctx, pg_get_int64(res, i, 0), &m);
	}
	PQclear(res);
	if (ret != 0 || !(res = query(s, COMMITS_SQL, 0, false, err)))
		return ret ? ret : -1;
	for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
		struct bl_commit_info ci = {0};
		snprintf(ci.sha, sizeof(ci.sha), "%s", PQgetvalue(res, i, 1));
		ci.parents = (char *)col(res, i, 2);
		ci.author_name = (char *)col(res, i, 3);
		ci.author_email = (char *)col(res, i, 4);
		ci.author_time = pg_get_int64(res, i, 5);
		ci.commit_time = pg_get_int64(res, i, 6);
		ci.subject = (char *)col(res, i, 7);
		if (v->on_commit)
			ret = v->on_commit(ctx, PQgetvalue(res, i, 0), &ci);
	}
	PQclear(res);
	if (ret != 0 || !(res = query(s, BUILDS_SQL, 0, false, err)))
		return ret ? ret : -1;
	for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
		struct bl_build_record b = {
			.repository = PQgetvalue(res, i, 0),
			.commit_sha = PQgetvalue(res, i, 1),
			.machine_id = pg_get_int64(res, i, 2),
			.build_key = col(res, i, 3),
			.status = PQgetvalue(res, i, 4),
			.start_unix_ns = micros_ns(res, i, 5),
			.duration_s = PQgetisnull(res, i, 6) ? -1 : pg_get_double(res, i, 6),
			.log_path = col(res, i, 7),
		};
		if (v->on_build)
			ret = v->on_build(ctx, &b);
	}
	PQclear(res);
	if (ret != 0 || !(res = query(s, CASES_SQL, 0, false, err)))
		return ret ? ret : -1;
	struct case_rows c = {0};
	for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
		struct bl_export_case ec = {
			.benchmark_id = pg_get_int64(res, i, 0),
			.key =
				{
					.repository = PQgetvalue(res, i, 1),
					.branch = col(res, i, 2),
					.commit_sha = PQgetvalue(res, i, 3),
					.commit_subject = col(res, i, 4),
					.machine_id = pg_get_int64(res, i, 5),
					.suite_hash = PQgetvalue(res, i, 6),
					.name = PQgetvalue(res, i, 7),
					.params_json = PQgetvalue(res, i, 8),
					.metadata_json = col(res, i, 9),
					.created_unix_ns = micros_ns(res, i, 11),
				},
			.status = PQgetvalue(res, i, 10),
		};
		if (v->on_case)
			ret = v->on_case(ctx, &ec);
		if (ret != 0 || (!v->on_run))
			continue;
		if (read_case(s, ec.benchmark_id, &c, err) != 0) {
			ret = -1;
			break;
		}
		for (int r = 0; r < PQntuples(c.runs) && ret == 0; r++) {
			struct bl_run_record rec;
			run_record(c.runs, r, ec.benchmark_id, &rec);
			run_parts(&c, pg_get_int64(c.runs, r, 0), &rec);
			ret = v->on_run(ctx, &rec);
		}
	}
	case_rows_free(&c);
	PQclear(res);
	return ret;
}

int pg_export_all(struct bl_store *bs, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (pg_exec(s, SNAPSHOT, err, "cannot read the store") != 0)
		return -1;
	int ret = export_tables(s, v, ctx, err);
	if (ret == 0 && pg_exec(s, "COMMIT", err, "cannot read the store") != 0)
		ret = -1;
	/* after the COMMIT nothing is left to roll back: inside a caller's transaction, not even the savepoint */
	if (ret != 0)
		pg_rollback(s);
	return ret;
}

int pg_case_runs(struct bl_store *bs, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (pg_exec(s, SNAPSHOT, err, "cannot read the store") != 0)
		return -1;
	struct case_rows c = {0};
	int ret = read_case(s, benchmark_id, &c, err);
	for (int r = 0; ret == 0 && r < PQntuples(c.runs); r++) {
		struct bl_run_record rec;
		run_record(c.runs, r, benchmark_id, &rec);
		int64_t run_id = pg_get_int64(c.runs, r, 0);
		run_parts(&c, run_id, &rec);
		struct bl_run_detail d = {
			.run_id = run_id,
			.kind = rec.warmup ? "warmup" : "measured",
			.index = rec.index,
			.status = rec.status,
			.start_unix_ns = rec.start_unix_ns,
			.wall_s = rec.wall_s,
			.metrics = rec.metrics,
			.n_metrics = rec.n_metrics,
			.samples = rec.samples,
			.n_samples = rec.n_samples,
		};
		ret = fn(ctx, &d);
	}
	case_rows_free(&c);
	if (ret == 0 && pg_exec(s, "COMMIT", err, "cannot read the store") != 0)
		ret = -1;
	/* after the COMMIT nothing is left to roll back: inside a caller's transaction, not even the savepoint */
	if (ret != 0)
		pg_rollback(s);
	return ret;
}
