/*
 * store_sqlite_export.c - the whole SQLite store read back, in one read
 * transaction, as the records the store was given (bl_store_export): what
 * `benchline push` copies into another store.
 *
 * Strings handed to the visitor are copies (a scratch list freed after each
 * call), so a visitor may run its own queries meanwhile. Device samples are
 * regrouped from their rows: one row per sample and GPU, ordered by t_ns and
 * gpu_index, becomes one struct bl_sample with n_gpus GPUs.
 */
#include "store_sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_RUN BL_SQLITE_STR(BL_SQLITE_VALUES_PER_RUN)

static const char *const export_sql[] = {
#define Q_MACHINES 0
	"SELECT machine_id, fingerprint, hostname, os, kernel, arch, cpu_model, cpu_count, memory_bytes, gpus"
	" FROM machines ORDER BY machine_id",
#define Q_COMMITS 1
	"SELECT repository, sha, parents, author_name, author_email, author_time, commit_time, subject FROM commits"
	" ORDER BY repository, sha",
#define Q_BUILDS 2
	"SELECT repository, commit_id, machine_id, build_key, status, started_at, duration_s, log_path FROM builds"
	" ORDER BY build_id",
#define Q_CASES 3
	"SELECT benchmark_id, repository, branch, commit_id, commit_message, machine_id, suite_hash, name, params,"
	" metadata, status, created_at FROM benchmarks ORDER BY benchmark_id",
#define Q_RUNS 4
	"SELECT run_id, kind, idx, started_at, wall_s, user_s, sys_s, peak_rss_bytes, peak_source, exit_code,"
	" term_signal, status, stdout_log, stderr_log, env_hash, cpu_list, diagnostics FROM runs"
	" WHERE benchmark_id = ?1 ORDER BY run_id",
#define Q_METRICS 5
	"SELECT n.name, n.unit, n.better, v.value FROM metric_values v JOIN metric_names n ON n.metric_key = v.metric_key"
	" WHERE v.value_id >= ?1 * " PER_RUN " AND v.value_id < (?1 + 1) * " PER_RUN " ORDER BY v.value_id",
#define Q_MODELS 6
	"SELECT measurements, time FROM model_measurements WHERE run_id = ?1 ORDER BY measurement_id",
#define Q_SAMPLES 7
	"SELECT t_ns, warmup, cpu_util, mem_megabytes, procs, sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_util,"
	" gpu_mem_megabytes, gpu_power_w, gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons, gpu_proc_mem_megabytes"
	" FROM device_measurements WHERE run_id = ?1 ORDER BY t_ns, gpu_index NULLS FIRST, measurement_id",
};
#define N_QUERIES (sizeof(export_sql) / sizeof(export_sql[0]))

struct exporter {
	struct sqlite_store *s;
	sqlite3_stmt *q[N_QUERIES];
	struct bl_strvec scratch; /* copies of the strings of the record being visited */
	struct bl_metric *metrics;
	size_t metrics_cap;
	char **models;
	size_t models_cap;
	struct bl_sample *samples;
	size_t samples_cap;
};

/* A copy of column col (NULL for SQL NULL) that lives until the scratch is cleared. */
static char *text(struct exporter *e, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	if (!t)
		return NULL;
	bl_strvec_push(&e->scratch, (const char *)t);
	return e->scratch.v[e->scratch.n - 1];
}

static void clear_scratch(struct exporter *e)
{
	bl_strvec_release(&e->scratch);
	bl_strvec_init(&e->scratch);
}

static struct bl_value value(sqlite3_stmt *st, int col, double scale)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return (struct bl_value){0};
	return (struct bl_value){.value = sqlite3_column_double(st, col) * scale, .valid = true};
}

static int step_failed(struct exporter *e, int rc, struct bl_error *err)
{
	return bl_sqlite_fail(e->s, rc, err, "cannot read store '%s'", e->s->path);
}

static int export_machines(struct exporter *e, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_MACHINES];
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bl_machine m = {0};
		const char *fp = (const char *)sqlite3_column_text(st, 1);
		snprintf(m.fingerprint, sizeof(m.fingerprint), "%s", fp ? fp : "");
		m.hostname = text(e, st, 2);
		m.os = text(e, st, 3);
		m.kernel = text(e, st, 4);
		m.arch = text(e, st, 5);
		m.cpu_model = text(e, st, 6);
		m.cpu_count = sqlite3_column_int(st, 7);
		m.memory_bytes = sqlite3_column_int64(st, 8);
		m.gpus_json = text(e, st, 9);
		if (v->on_machine)
			ret = v->on_machine(ctx, sqlite3_column_int64(st, 0), &m);
		clear_scratch(e);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	return ret;
}

static int export_commits(struct exporter *e, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_COMMITS];
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bl_commit_info ci = {0};
		const char *sha = (const char *)sqlite3_column_text(st, 1);
		snprintf(ci.sha, sizeof(ci.sha), "%s", sha ? sha : "");
		ci.parents = text(e, st, 2);
		ci.author_name = text(e, st, 3);
		ci.author_email = text(e, st, 4);
		ci.author_time = bl_store_parse_iso_seconds((const char *)sqlite3_column_text(st, 5));
		ci.commit_time = bl_store_parse_iso_seconds((const char *)sqlite3_column_text(st, 6));
		ci.subject = text(e, st, 7);
		if (v->on_commit)
			ret = v->on_commit(ctx, text(e, st, 0), &ci);
		clear_scratch(e);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	return ret;
}

static int export_builds(struct exporter *e, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_BUILDS];
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bl_build_record b = {
			.repository = text(e, st, 0),
			.commit_sha = text(e, st, 1),
			.machine_id = sqlite3_column_int64(st, 2),
			.build_key = text(e, st, 3),
			.status = text(e, st, 4),
			.start_unix_ns = bl_store_parse_iso_ns((const char *)sqlite3_column_text(st, 5)),
			.duration_s = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 6),
			.log_path = text(e, st, 7),
		};
		if (v->on_build)
			ret = v->on_build(ctx, &b);
		clear_scratch(e);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	return ret;
}

/* The metrics, model measurements and device samples of run run_id into r. */
static int read_run_parts(struct exporter *e, int64_t run_id, struct bl_run_record *r, struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_METRICS];
	size_t n = 0;
	int rc;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		BL_GROW(e->metrics, e->metrics_cap, n + 1);
		e->metrics[n++] = (struct bl_metric){
			.name = text(e, st, 0),
			.unit = text(e, st, 1),
			.better = bl_store_better_from_text((const char *)sqlite3_column_text(st, 2)),
			.value = sqlite3_column_double(st, 3),
		};
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	r->metrics = e->metrics;
	r->n_metrics = n;

	st = e->q[Q_MODELS];
	n = 0;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		BL_GROW(e->models, e->models_cap, n + 1);
		e->models[n++] = text(e, st, 0);
		if (n == 1)
			r->stored_unix_ns = bl_store_parse_iso_ns((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	r->measurements = e->models;
	r->n_measurements = n;

	st = e->q[Q_SAMPLES];
	n = 0;
	sqlite3_bind_int64(st, 1, run_id);
	struct bl_sample *x = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t_ns = sqlite3_column_int64(st, 0);
		int gpu = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
		if (bl_store_row_starts_sample(x, t_ns, gpu)) {
			BL_GROW(e->samples, e->samples_cap, n + 1);
			x = &e->samples[n++];
			memset(x, 0, sizeof(*x));
			x->t_ns = t_ns;
			x->warmup = sqlite3_column_int(st, 1) != 0;
			x->proc_cpu_pct = value(st, 2, 1.0);
			x->proc_rss_bytes = value(st, 3, BL_STORE_MIB);
			x->proc_count = value(st, 4, 1.0);
			x->sys_cpu_pct = value(st, 5, 1.0);
			x->sys_mem_used_bytes = value(st, 6, BL_STORE_MIB);
		}
		if (gpu < 0 || gpu >= BL_DEVICE_MAX_GPUS)
			continue;
		struct bl_gpu_sample *g = &x->gpu[gpu];
		g->util_pct = value(st, 8, 1.0);
		g->mem_used_bytes = value(st, 9, BL_STORE_MIB);
		g->power_w = value(st, 10, 1.0);
		g->temp_c = value(st, 11, 1.0);
		g->sm_clock_mhz = value(st, 12, 1.0);
		g->clock_reasons = value(st, 13, 1.0);
		g->proc_mem_bytes = value(st, 14, BL_STORE_MIB);
		x->n_gpus = gpu + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	r->samples = e->samples;
	r->n_samples = n;
	return 0;
}

static int export_runs(struct exporter *e, int64_t benchmark_id, const struct bl_export_visitor *v, void *ctx,
		       struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_RUNS];
	int rc, ret = 0;
	sqlite3_bind_int64(st, 1, benchmark_id);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		struct bl_run_record r = {
			.benchmark_id = benchmark_id,
			.warmup = kind && !strcmp(kind, "warmup"),
			.index = sqlite3_column_int(st, 2),
			.start_unix_ns = bl_store_parse_iso_ns((const char *)sqlite3_column_text(st, 3)),
			.wall_s = sqlite3_column_double(st, 4),
			.user_s = sqlite3_column_double(st, 5),
			.sys_s = sqlite3_column_double(st, 6),
			.peak_rss_bytes = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7),
			.peak_source = text(e, st, 8),
			.exit_code = sqlite3_column_int(st, 9),
			.term_signal = sqlite3_column_int(st, 10),
			.status = text(e, st, 11),
			.stdout_log = text(e, st, 12),
			.stderr_log = text(e, st, 13),
			.env_hash = text(e, st, 14),
			.cpu_list = text(e, st, 15),
			.diagnostics = text(e, st, 16),
		};
		ret = read_run_parts(e, sqlite3_column_int64(st, 0), &r, err);
		if (ret == 0 && v->on_run)
			ret = v->on_run(ctx, &r);
		clear_scratch(e);
	}
	sqlite3_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	return ret;
}

static int export_cases(struct exporter *e, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *st = e->q[Q_CASES];
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bl_export_case c = {
			.benchmark_id = sqlite3_column_int64(st, 0),
			.key =
				{
					.repository = text(e, st, 1),
					.branch = text(e, st, 2),
					.commit_sha = text(e, st, 3),
					.commit_subject = text(e, st, 4),
					.machine_id = sqlite3_column_int64(st, 5),
					.suite_hash = text(e, st, 6),
					.name = text(e, st, 7),
					.params_json = text(e, st, 8),
					.metadata_json = text(e, st, 9),
					.created_unix_ns = bl_store_parse_iso_ns((const char *)sqlite3_column_text(st, 11)),
				},
			.status = text(e, st, 10),
		};
		if (v->on_case)
			ret = v->on_case(ctx, &c);
		clear_scratch(e);
		if (ret == 0)
			ret = export_runs(e, c.benchmark_id, v, ctx, err);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		return step_failed(e, rc, err);
	return ret;
}

int bl_sqlite_export(struct bl_store *bs, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	struct exporter e = {.s = backend(bs)};
	bl_strvec_init(&e.scratch);
	int ret = -1;
	/* One read transaction: a sweep writing meanwhile is seen before or after, never half. */
	if (bl_sqlite_tx(e.s, ST_BEGIN, err, "cannot read the store") != 0)
		return -1;
	for (size_t i = 0; i < N_QUERIES; i++) {
		int rc = sqlite3_prepare_v2(e.s->db, export_sql[i], -1, &e.q[i], NULL);
		if (rc != SQLITE_OK) {
			bl_sqlite_fail(e.s, rc, err, "cannot read store '%s'", e.s->path);
			goto out;
		}
	}
	ret = export_machines(&e, v, ctx, err);
	if (ret == 0)
		ret = export_commits(&e, v, ctx, err);
	if (ret == 0)
		ret = export_builds(&e, v, ctx, err);
	if (ret == 0)
		ret = export_cases(&e, v, ctx, err);
	if (ret == 0 && bl_sqlite_tx(e.s, ST_COMMIT, err, "cannot read the store") != 0)
		ret = -1;
out:
	for (size_t i = 0; i < N_QUERIES; i++)
		sqlite3_finalize(e.q[i]);
	bl_sqlite_rollback(e.s);
	bl_strvec_release(&e.scratch);
	free(e.metrics);
	free(e.models);
	free(e.samples);
	return ret;
}
