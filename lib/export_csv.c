/*
 * export_csv.c - the store as CSV files (benchline/export.h), read in one
 * pass of bl_store_export. Each file is written under a temporary name and
 * renamed into place only when the whole export succeeded, so an export that
 * fails half-way leaves the previous files as they were.
 */
#include "benchline/export.h"
#include "store_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { F_BENCHMARKS, F_DEVICE, F_MODEL, F_SUMMARY, F_MACHINES, F_COMMITS, F_BUILDS, F_RUNS, F_METRICS, N_FILES };

static const char *const file_names[N_FILES] = {
	"benchmarks.csv", "device_measurements.csv", "model_measurements.csv", "benchmark_summary.csv", "machines.csv",
	"commits.csv",    "builds.csv",              "runs.csv",               "metrics.csv",
};

static const char *const headers[N_FILES] = {
	"benchmark_id,repository,branch,commit_id,commit_message,metadata,created_at,machine_id,suite_hash,name,params,"
	"status",
	"measurement_id,benchmark_id,cpu_util,mem_megabytes,gpu_util,gpu_mem_megabytes,time,run_id,warmup,t_ns,procs,"
	"sys_cpu_util,sys_mem_megabytes,gpu_index,gpu_power_w,gpu_temp_c,gpu_sm_clock_mhz,gpu_clock_reasons,"
	"gpu_proc_mem_megabytes",
	"measurement_id,benchmark_id,measurements,time,run_id",
	"benchmark_id,repository,branch,commit_id,commit_message,name,params,machine_id,status,measured_runs,failed_runs,"
	"wall_s_median,cpu_util_mean,cpu_util_max,cpu_util_std,cpu_util_count,mem_megabytes_mean,mem_megabytes_max,"
	"mem_megabytes_std,mem_megabytes_count,gpu_util_mean,gpu_util_max,gpu_util_std,gpu_util_count,"
	"gpu_mem_megabytes_mean,gpu_mem_megabytes_max,gpu_mem_megabytes_std,gpu_mem_megabytes_count,measurements",
	"machine_id,fingerprint,hostname,os,kernel,arch,cpu_model,cpu_count,memory_bytes,gpus",
	"repository,sha,parents,author_name,author_email,author_time,commit_time,subject",
	"repository,commit_id,machine_id,build_key,status,started_at,duration_s,log_path",
	"run_id,benchmark_id,kind,idx,started_at,wall_s,user_s,sys_s,peak_rss_bytes,peak_source,exit_code,term_signal,"
	"status,env_hash,cpu_list,diagnostics",
	"run_id,seq,name,value,unit,better",
};

void bl_csv_text(FILE *f, const char *t)
{
	if (!t)
		return;
	/* A leading =, +, -, @, tab or CR makes spreadsheets evaluate the cell. */
	bool formula = strchr("=+-@\t\r", t[0]) != NULL && t[0] != '\0';
	bool quote = formula || strpbrk(t, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *c = t; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	if (quote)
		fputc('"', f);
}

/* Separators and numbers: ours, never neutralised. */
static void sep(FILE *f)
{
	fputc(',', f);
}

static void num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
}

static void inum(FILE *f, int64_t v)
{
	fprintf(f, "%lld", (long long)v);
}

static void opt_value(FILE *f, struct bl_value v, double scale)
{
	if (v.valid)
		num(f, v.value / scale);
}

static void iso(FILE *f, int64_t unix_ns)
{
	if (!unix_ns)
		return;
	char buf[32];
	bl_store_format_iso_ms(unix_ns, buf);
	fputs(buf, f);
}

/* Running sums of one device column of a case. */
struct col_stat {
	size_t n;
	double sum, sum2, max;
};

static void stat_add(struct col_stat *c, struct bl_value v, double scale)
{
	if (!v.valid)
		return;
	double x = v.value / scale;
	if (c->n == 0 || x > c->max)
		c->max = x;
	c->n++;
	c->sum += x;
	c->sum2 += x * x;
}

static void stat_write(FILE *f, const struct col_stat *c)
{
	sep(f);
	if (c->n)
		num(f, c->sum / (double)c->n);
	sep(f);
	if (c->n)
		num(f, c->max);
	sep(f);
	if (c->n > 1) {
		double mean = c->sum / (double)c->n, var = (c->sum2 - (double)c->n * mean * mean) / (double)(c->n - 1);
		num(f, sqrt(var > 0 ? var : 0));
	}
	sep(f);
	inum(f, (int64_t)c->n);
}

struct csv_export {
	FILE *f[N_FILES];
	struct bl_export_counts *n;
	int64_t run_id, measurement_id, sample_id;
	/* The case being read, for its summary row. */
	bool in_case;
	int64_t case_id;
	struct bl_strvec case_cells; /* repository, branch, commit, message, name, params, machine, status */
	int64_t case_machine;
	size_t measured, failed;
	double *walls;
	size_t n_walls, cap_walls;
	struct col_stat stats[4];
	char *last_measurement;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void finish_case(struct csv_export *e)
{
	if (!e->in_case)
		return;
	FILE *f = e->f[F_SUMMARY];
	inum(f, e->case_id);
	for (size_t i = 0; i < 6; i++) {
		sep(f);
		bl_csv_text(f, e->case_cells.v[i]);
	}
	sep(f);
	inum(f, e->case_machine);
	sep(f);
	bl_csv_text(f, e->case_cells.v[6]);
	fprintf(f, ",%zu,%zu,", e->measured, e->failed);
	if (e->n_walls) {
		qsort(e->walls, e->n_walls, sizeof(double), cmp_double);
		size_t m = e->n_walls / 2;
		num(f, e->n_walls % 2 ? e->walls[m] : (e->walls[m - 1] + e->walls[m]) / 2);
	}
	for (size_t i = 0; i < 4; i++)
		stat_write(f, &e->stats[i]);
	sep(f);
	bl_csv_text(f, e->last_measurement);
	fputc('\n', f);
	bl_strvec_release(&e->case_cells);
	free(e->last_measurement);
	e->last_measurement = NULL;
	e->in_case = false;
}

static int on_machine(void *ctx, int64_t machine_id, const struct bl_machine *m)
{
	struct csv_export *e = ctx;
	FILE *f = e->f[F_MACHINES];
	inum(f, machine_id);
	const char *cells[] = {m->fingerprint, m->hostname, m->os, m->kernel, m->arch, m->cpu_model};
	for (size_t i = 0; i < 6; i++) {
		sep(f);
		bl_csv_text(f, cells[i]);
	}
	fprintf(f, ",%d,%lld,", m->cpu_count, (long long)m->memory_bytes);
	bl_csv_text(f, m->gpus_json);
	fputc('\n', f);
	e->n->machines++;
	return 0;
}

static int on_commit(void *ctx, const char *repository, const struct bl_commit_info *ci)
{
	struct csv_export *e = ctx;
	FILE *f = e->f[F_COMMITS];
	const char *cells[] = {repository, ci->sha, ci->parents, ci->author_name, ci->author_email};
	for (size_t i = 0; i < 5; i++) {
		if (i)
			sep(f);
		bl_csv_text(f, cells[i]);
	}
	sep(f);
	iso(f, ci->author_time * 1000000000LL);
	sep(f);
	iso(f, ci->commit_time * 1000000000LL);
	sep(f);
	bl_csv_text(f, ci->subject);
	fputc('\n', f);
	e->n->commits++;
	return 0;
}

static int on_build(void *ctx, const struct bl_build_record *b)
{
	struct csv_export *e = ctx;
	FILE *f = e->f[F_BUILDS];
	bl_csv_text(f, b->repository);
	sep(f);
	bl_csv_text(f, b->commit_sha);
	sep(f);
	inum(f, b->machine_id);
	sep(f);
	bl_csv_text(f, b->build_key);
	sep(f);
	bl_csv_text(f, b->status);
	sep(f);
	iso(f, b->start_unix_ns);
	sep(f);
	if (b->duration_s >= 0)
		num(f, b->duration_s);
	sep(f);
	bl_csv_text(f, b->log_path);
	fputc('\n', f);
	e->n->builds++;
	return 0;
}

static int on_case(void *ctx, const struct bl_export_case *c)
{
	struct csv_export *e = ctx;
	finish_case(e);
	FILE *f = e->f[F_BENCHMARKS];
	inum(f, c->benchmark_id);
	const char *cells[] = {c->key.repository, c->key.branch, c->key.commit_sha, c->key.commit_subject,
			       c->key.metadata_json};
	for (size_t i = 0; i < 5; i++) {
		sep(f);
		bl_csv_text(f, cells[i]);
	}
	sep(f);
	iso(f, c->key.created_unix_ns);
	sep(f);
	inum(f, c->key.machine_id);
	const char *more[] = {c->key.suite_hash, c->key.name, c->key.params_json, c->status};
	for (size_t i = 0; i < 4; i++) {
		sep(f);
		bl_csv_text(f, more[i]);
	}
	fputc('\n', f);
	e->n->cases++;

	e->in_case = true;
	e->case_id = c->benchmark_id;
	e->case_machine = c->key.machine_id;
	bl_strvec_init(&e->case_cells);
	const char *keep[] = {c->key.repository, c->key.branch, c->key.commit_sha, c->key.commit_subject,
			      c->key.name, c->key.params_json, c->status};
	for (size_t i = 0; i < 7; i++)
		bl_strvec_push(&e->case_cells, keep[i] ? keep[i] : "");
	e->measured = e->failed = e->n_walls = 0;
	memset(e->stats, 0, sizeof(e->stats));
	return 0;
}

static void write_sample_row(struct csv_export *e, const struct bl_run_record *r, const struct bl_sample *x, int gpu)
{
	FILE *f = e->f[F_DEVICE];
	const struct bl_gpu_sample *g = gpu >= 0 ? &x->gpu[gpu] : NULL;
	inum(f, ++e->sample_id);
	sep(f);
	inum(f, e->case_id);
	sep(f);
	opt_value(f, x->proc_cpu_pct, 1);
	sep(f);
	opt_value(f, x->proc_rss_bytes, BL_STORE_MIB);
	sep(f);
	if (g)
		opt_value(f, g->util_pct, 1);
	sep(f);
	if (g)
		opt_value(f, g->mem_used_bytes, BL_STORE_MIB);
	sep(f);
	iso(f, r->start_unix_ns ? r->start_unix_ns + x->t_ns : 0);
	fprintf(f, ",%lld,%d,%lld,", (long long)e->run_id, x->warmup ? 1 : 0, (long long)x->t_ns);
	opt_value(f, x->proc_count, 1);
	sep(f);
	opt_value(f, x->sys_cpu_pct, 1);
	sep(f);
	opt_value(f, x->sys_mem_used_bytes, BL_STORE_MIB);
	sep(f);
	if (g) {
		fprintf(f, "%d,", gpu);
		opt_value(f, g->power_w, 1);
		sep(f);
		opt_value(f, g->temp_c, 1);
		sep(f);
		opt_value(f, g->sm_clock_mhz, 1);
		sep(f);
		opt_value(f, g->clock_reasons, 1);
		sep(f);
		opt_value(f, g->proc_mem_bytes, BL_STORE_MIB);
	} else {
		fputs(",,,,,", f);
	}
	fputc('\n', f);
}

static int on_run(void *ctx, const struct bl_run_record *r)
{
	struct csv_export *e = ctx;
	e->run_id++; /* the export's own numbering, in the order runs are read */
	FILE *f = e->f[F_RUNS];
	fprintf(f, "%lld,%lld,%s,%d,", (long long)e->run_id, (long long)e->case_id, r->warmup ? "warmup" : "measured",
		r->index);
	iso(f, r->start_unix_ns);
	sep(f);
	num(f, r->wall_s);
	sep(f);
	num(f, r->user_s);
	sep(f);
	num(f, r->sys_s);
	sep(f);
	if (r->peak_rss_bytes >= 0)
		inum(f, r->peak_rss_bytes);
	sep(f);
	bl_csv_text(f, r->peak_source);
	sep(f);
	if (!r->term_signal)
		inum(f, r->exit_code);
	sep(f);
	if (r->term_signal)
		inum(f, r->term_signal);
	const char *cells[] = {r->status, r->env_hash, r->cpu_list, r->diagnostics};
	for (size_t i = 0; i < 4; i++) {
		sep(f);
		bl_csv_text(f, cells[i]);
	}
	fputc('\n', f);
	e->n->runs++;
	bool ok = r->status && !strcmp(r->status, "ok");
	if (!r->warmup) {
		e->measured++;
		e->failed += !ok;
		if (ok) {
			BL_GROW(e->walls, e->cap_walls, e->n_walls + 1);
			e->walls[e->n_walls++] = r->wall_s;
		}
	}

	f = e->f[F_METRICS];
	for (size_t i = 0; i < r->n_metrics; i++) {
		fprintf(f, "%lld,%zu,", (long long)e->run_id, i);
		bl_csv_text(f, r->metrics[i].name);
		sep(f);
		num(f, r->metrics[i].value);
		sep(f);
		bl_csv_text(f, r->metrics[i].unit);
		sep(f);
		bl_csv_text(f, bl_better_name(r->metrics[i].better));
		fputc('\n', f);
	}
	e->n->metrics += r->n_metrics;

	f = e->f[F_MODEL];
	for (size_t i = 0; i < r->n_measurements; i++) {
		fprintf(f, "%lld,%lld,", (long long)++e->measurement_id, (long long)e->case_id);
		bl_csv_text(f, r->measurements[i]);
		sep(f);
		iso(f, r->stored_unix_ns);
		fprintf(f, ",%lld\n", (long long)e->run_id);
		free(e->last_measurement);
		e->last_measurement = bl_xstrdup(r->measurements[i]);
	}
	e->n->measurements += r->n_measurements;

	for (size_t i = 0; i < r->n_samples; i++) {
		const struct bl_sample *x = &r->samples[i];
		if (x->n_gpus == 0)
			write_sample_row(e, r, x, -1);
		for (int g = 0; g < x->n_gpus; g++)
			write_sample_row(e, r, x, g);
		if (!r->warmup) {
			stat_add(&e->stats[0], x->proc_cpu_pct, 1);
			stat_add(&e->stats[1], x->proc_rss_bytes, BL_STORE_MIB);
			if (x->n_gpus) {
				stat_add(&e->stats[2], x->gpu[0].util_pct, 1);
				stat_add(&e->stats[3], x->gpu[0].mem_used_bytes, BL_STORE_MIB);
			}
		}
	}
	e->n->samples += r->n_samples;
	return 0;
}

int bl_export_csv(struct bl_store *s, const char *dir, struct bl_export_counts *n, struct bl_error *err)
{
	memset(n, 0, sizeof(*n));
	if (bl_mkdirs(dir, 0755, err) != 0)
		return -1;
	struct csv_export e = {.n = n};
	char *tmp[N_FILES] = {0};
	int ret = -1;
	for (int i = 0; i < N_FILES; i++) {
		tmp[i] = bl_xasprintf("%s/.%s.tmp", dir, file_names[i]);
		e.f[i] = fopen(tmp[i], "w");
		if (!e.f[i]) {
			bl_fail_errno(err, errno, "cannot write '%s'", tmp[i]);
			goto out;
		}
		fprintf(e.f[i], "%s\n", headers[i]);
	}
	static const struct bl_export_visitor v = {on_machine, on_commit, on_build, on_case, on_run};
	if (bl_store_export(s, &v, &e, err) != 0)
		goto out;
	finish_case(&e);
	ret = 0;
	for (int i = 0; i < N_FILES; i++) {
		bool bad = ferror(e.f[i]) != 0;
		if (fclose(e.f[i]) != 0 || bad) {
			if (ret == 0)
				bl_fail_errno(err, errno ? errno : EIO, "cannot write '%s'", tmp[i]);
			ret = -1;
		}
		e.f[i] = NULL;
	}
	for (int i = 0; ret == 0 && i < N_FILES; i++) {
		char *final = bl_xasprintf("%s/%s", dir, file_names[i]);
		if (rename(tmp[i], final) != 0)
			ret = bl_fail_errno(err, errno, "cannot write '%s'", final);
		free(final);
	}
out:
	finish_case(&e);
	for (int i = 0; i < N_FILES; i++) {
		if (e.f[i])
			fclose(e.f[i]);
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(e.walls);
	return ret;
}
