/*
 * store_sqlite_runs.c - case_runs: every run of one case with its metrics
 * and device samples, for the report's run pages. One read transaction, so
 * the runs, values and samples come from one snapshot.
 */
#include "store_sqlite_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1024.0 * 1024.0)

static const char RUNS_SQL[] = "SELECT run_id, kind, idx, status, started_at, wall_s FROM runs"
			       " WHERE benchmark_id = ?1 ORDER BY run_id";
static const char VALUES_SQL[] = "SELECT name, value, unit, better FROM metrics WHERE run_id = ?1 ORDER BY seq";
static const char SAMPLES_SQL[] =
	"SELECT t_ns, warmup, cpu_util, mem_megabytes, procs, sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_util,"
	" gpu_mem_megabytes, gpu_power_w, gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons, gpu_proc_mem_megabytes"
	" FROM device_measurements WHERE run_id = ?1 ORDER BY t_ns, gpu_index";

/* "2026-11-26T15:30:00.123Z" to Unix nanoseconds; 0 when unreadable. */
static int64_t parse_iso_ns(const char *s)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, ms = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &year, &mon, &day, &hour, &min, &sec, &ms) < 6)
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm) * 1000000000LL + (int64_t)ms * 1000000LL;
}

static struct bl_value column_value(sqlite3_stmt *st, int col, double scale)
{
	struct bl_value v = {0, false};
	if (sqlite3_column_type(st, col) != SQLITE_NULL) {
		v.value = sqlite3_column_double(st, col) * scale;
		v.valid = isfinite(v.value);
	}
	return v;
}

struct run_buffers {
	struct bl_metric *metrics;
	size_t n_metrics, cap_metrics;
	struct bl_sample *samples;
	size_t n_samples, cap_samples;
};

static void free_metric_names(struct run_buffers *b)
{
	for (size_t i = 0; i < b->n_metrics; i++) {
		free(b->metrics[i].name);
		free(b->metrics[i].unit);
	}
	b->n_metrics = 0;
}

static int read_values(sqlite3_stmt *st, int64_t run_id, struct run_buffers *b)
{
	free_metric_names(b);
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		BL_GROW(b->metrics, b->cap_metrics, b->n_metrics + 1);
		struct bl_metric *m = &b->metrics[b->n_metrics++];
		const char *unit = (const char *)sqlite3_column_text(st, 2);
		const char *better = (const char *)sqlite3_column_text(st, 3);
		m->name = bl_xstrdup((const char *)sqlite3_column_text(st, 0));
		m->value = sqlite3_column_double(st, 1);
		m->unit = unit ? bl_xstrdup(unit) : NULL;
		m->better = BL_BETTER_UNKNOWN;
		if (better)
			bl_better_parse(better, &m->better);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Rows of one sample (one per GPU) share t_ns: they become one bl_sample. */
static int read_samples(sqlite3_stmt *st, int64_t run_id, struct run_buffers *b)
{
	b->n_samples = 0;
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	struct bl_sample *cur = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0);
		if (!cur || cur->t_ns != t) {
			BL_GROW(b->samples, b->cap_samples, b->n_samples + 1);
			cur = &b->samples[b->n_samples++];
			memset(cur, 0, sizeof(*cur));
			cur->t_ns = t;
			cur->warmup = sqlite3_column_int(st, 1) != 0;
			cur->proc_cpu_pct = column_value(st, 2, 1);
			cur->proc_rss_bytes = column_value(st, 3, MIB);
			cur->proc_count = column_value(st, 4, 1);
			cur->sys_cpu_pct = column_value(st, 5, 1);
			cur->sys_mem_used_bytes = column_value(st, 6, MIB);
		}
		if (sqlite3_column_type(st, 7) == SQLITE_NULL)
			continue;
		int g = sqlite3_column_int(st, 7);
		if (g < 0 || g >= BL_DEVICE_MAX_GPUS)
			continue;
		struct bl_gpu_sample *gs = &cur->gpu[g];
		gs->util_pct = column_value(st, 8, 1);
		gs->mem_used_bytes = column_value(st, 9, MIB);
		gs->power_w = column_value(st, 10, 1);
		gs->temp_c = column_value(st, 11, 1);
		gs->sm_clock_mhz = column_value(st, 12, 1);
		gs->clock_reasons = column_value(st, 13, 1);
		gs->proc_mem_bytes = column_value(st, 14, MIB);
		if (g + 1 > cur->n_gpus)
			cur->n_gpus = g + 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

int bl_sqlite_case_runs(struct bl_store *bs, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx,
			struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	const char *what = "cannot read the runs of a case";
	sqlite3_stmt *runs = NULL, *vals = NULL, *samples = NULL;
	struct run_buffers b = {0};
	int ret = -1, rc;
	if (bl_sqlite_tx(s, ST_BEGIN, err, what) != 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(s->db, RUNS_SQL, -1, &runs, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(s->db, VALUES_SQL, -1, &vals, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(s->db, SAMPLES_SQL, -1, &samples, NULL)) != SQLITE_OK) {
		bl_sqlite_fail(s, rc, err, "%s", what);
		goto out;
	}
	sqlite3_bind_int64(runs, 1, benchmark_id);
	ret = 0;
	while ((rc = sqlite3_step(runs)) == SQLITE_ROW) {
		int64_t run_id = sqlite3_column_int64(runs, 0);
		int qrc = read_values(vals, run_id, &b);
		if (!qrc)
			qrc = read_samples(samples, run_id, &b);
		if (qrc) {
			ret = bl_sqlite_fail(s, qrc, err, "%s %lld", what, (long long)benchmark_id);
			break;
		}
		struct bl_run_detail d = {
			.run_id = run_id,
			.kind = (const char *)sqlite3_column_text(runs, 1),
			.index = sqlite3_column_int(runs, 2),
			.status = (const char *)sqlite3_column_text(runs, 3),
			.start_unix_ns = parse_iso_ns((const char *)sqlite3_column_text(runs, 4)),
			.wall_s = sqlite3_column_double(runs, 5),
			.metrics = b.metrics,
			.n_metrics = b.n_metrics,
			.samples = b.samples,
			.n_samples = b.n_samples,
		};
		if ((ret = fn(ctx, &d)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = bl_sqlite_fail(s, rc, err, "%s %lld", what, (long long)benchmark_id);
	if (ret == 0)
		ret = bl_sqlite_tx(s, ST_COMMIT, err, what);
out:
	sqlite3_finalize(runs);
	sqlite3_finalize(vals);
	sqlite3_finalize(samples);
	bl_sqlite_rollback(s);
	free_metric_names(&b);
	free(b.metrics);
	free(b.samples);
	return ret;
}
