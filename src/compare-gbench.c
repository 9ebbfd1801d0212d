/* compare-gbench.c - `benchline compare --gbench OLD.json NEW.json`: two
 * Google Benchmark outputs compared as google/benchmark's tools/compare.py
 * does (same changes, same U-test p-values), plus benchline's verdict on the
 * real-time repetitions. */
#include "analysis.h"
#include "benchline/gbench.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct verdicts {
	enum bl_report_verdict *v; /* per row; BL_RV_MISSING for rows without repetitions */
	struct bl_comparison *cmp;
	size_t counts[BL_RV_COUNT];
};

static void judge_rows(const struct bl_gbench_file *a, const struct bl_gbench_file *b, const struct bl_gbench_row *rows,
		       size_t n, const struct cli_analysis *an, struct verdicts *out)
{
	out->v = bl_xcalloc(n ? n : 1, sizeof(*out->v));
	out->cmp = bl_xcalloc(n ? n : 1, sizeof(*out->cmp));
	for (size_t i = 0; i < n; i++) {
		const struct bl_gbench_row *r = &rows[i];
		const struct bl_gbench_bench *x = r->is_geomean ? NULL : bl_gbench_find(a, r->name);
		const struct bl_gbench_bench *y = r->is_geomean ? NULL : bl_gbench_find(b, r->name);
		/* aggregates (NAME_mean, ...) are summaries, not samples: no verdict */
		if (!x || !y || r->run_type == BL_GBENCH_RUN_AGGREGATE || !x->n || !y->n) {
			out->v[i] = BL_RV_MISSING;
			continue;
		}
		struct bl_compare_opts o;
		bl_compare_opts_default(&o);
		o.alpha = an->alpha;
		o.noise_floor = cli_analysis_floor(an, "real_time");
		bl_compare_samples(x->real_time, x->n, y->real_time, y->n, &o, &out->cmp[i]);
		out->v[i] = bl_report_verdict_of(out->cmp[i].verdict, BL_BETTER_LOWER);
		out->counts[out->v[i]]++;
	}
}

static const char *verdict_cell(const struct verdicts *vd, size_t i)
{
	return vd->v[i] == BL_RV_MISSING ? "" : bl_report_verdict_name(vd->v[i]);
}

static void print_table(const struct bl_gbench_row *rows, size_t n, const struct verdicts *vd)
{
	int w = 9;
	for (size_t i = 0; i < n; i++) {
		char clean[256];
		cli_sanitize(rows[i].name, clean, sizeof(clean));
		if ((int)strlen(clean) + 7 > w)
			w = (int)strlen(clean) + 7;
	}
	if (w > 80)
		w = 80;
	bool color = cli_color(stdout);
	printf("%-*s %9s %9s %12s %12s %12s %12s  %s\n", w, "Benchmark", "Time", "CPU", "Time Old", "Time New", "CPU Old",
	       "CPU New", "verdict");
	for (size_t i = 0; i < n; i++) {
		const struct bl_gbench_row *r = &rows[i];
		char name[256];
		cli_sanitize(r->name, name, sizeof(name));
		for (size_t k = 0; k < r->n_m; k++) {
			const struct bl_gbench_measurement *m = &r->m[k];
			const char *on = "", *off = "";
			if (color && k == 0 && vd->v[i] == BL_RV_REGRESSED)
				on = "\033[31m", off = "\033[0m";
			else if (color && k == 0 && vd->v[i] == BL_RV_IMPROVED)
				on = "\033[32m", off = "\033[0m";
			printf("%-*s %+9.4f %+9.4f %12.0f %12.0f %12.0f %12.0f  %s%s%s\n", w, name, m->time_change,
			       m->cpu_change, m->real_old, m->real_new, m->cpu_old, m->cpu_new, on,
			       k == 0 ? verdict_cell(vd, i) : "", off);
		}
		if (r->has_utest) {
			char pv[300];
			snprintf(pv, sizeof(pv), "%s_pvalue", name);
			printf("%-*s %9.4f %9.4f      U Test, Repetitions: %zu vs %zu%s\n", w, pv, r->time_p, r->cpu_p,
			       r->n_old, r->n_new,
			       r->utest_unreliable ? ". WARNING: Results unreliable! 9+ repetitions recommended." : "");
		}
	}
}

static void print_markdown(const struct bl_gbench_row *rows, size_t n, const struct verdicts *vd)
{
	printf("| | benchmark | time | CPU | time p | CPU p | repetitions |\n|---|---|--:|--:|--:|--:|--:|\n");
	for (size_t i = 0; i < n; i++) {
		const struct bl_gbench_row *r = &rows[i];
		char name[256], cell[600];
		cli_sanitize(r->name, name, sizeof(name));
		size_t j = 0;
		for (const char *p = name; *p && j + 6 < sizeof(cell); p++) {
			if (strchr("|`*_[]<>&\\", *p))
				cell[j++] = '\\';
			cell[j++] = *p;
		}
		cell[j] = '\0';
		double tc = r->n_m ? r->m[0].time_change : 0, cc = r->n_m ? r->m[0].cpu_change : 0;
		printf("| %s %s | %s | %+.2f%% | %+.2f%% |", vd->v[i] == BL_RV_MISSING ? "" : bl_report_verdict_mark(vd->v[i]),
		       verdict_cell(vd, i), cell, 100 * tc, 100 * cc);
		if (r->has_utest)
			printf(" %.4f | %.4f | %zu vs %zu |\n", r->time_p, r->cpu_p, r->n_old, r->n_new);
		else
			printf(" | | %zu vs %zu |\n", r->n_old, r->n_new);
	}
}

static void print_json(const struct bl_gbench_row *rows, size_t n, const struct verdicts *vd)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct bl_gbench_row *r = &rows[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "time_unit", json_string(r->time_unit));
		json_object_set_new(o, "aggregate", json_string(r->aggregate_name));
		json_t *ms = json_array();
		for (size_t k = 0; k < r->n_m; k++) {
			const struct bl_gbench_measurement *m = &r->m[k];
			json_array_append_new(ms, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "time", m->time_change, "cpu",
							    m->cpu_change, "real_time_old", m->real_old, "real_time_new",
							    m->real_new, "cpu_time_old", m->cpu_old, "cpu_time_new",
							    m->cpu_new));
		}
		json_object_set_new(o, "measurements", ms);
		json_object_set_new(o, "repetitions_old", json_integer((json_int_t)r->n_old));
		json_object_set_new(o, "repetitions_new", json_integer((json_int_t)r->n_new));
		if (r->has_utest) {
			json_object_set_new(o, "utest", json_pack("{s:f, s:f, s:b}", "time_pvalue", r->time_p, "cpu_pvalue",
								  r->cpu_p, "unreliable", r->utest_unreliable));
		} else {
			json_object_set_new(o, "utest", json_null());
		}
		if (vd->v[i] != BL_RV_MISSING) {
			const struct bl_comparison *c = &vd->cmp[i];
			json_object_set_new(o, "verdict", json_string(bl_report_verdict_name(vd->v[i])));
			json_object_set_new(o, "median_change", json_real(c->change));
			json_object_set_new(o, "median_change_ci",
					    c->ci_valid ? json_pack("[ff]", c->change_lo, c->change_hi) : json_null());
		} else {
			json_object_set_new(o, "verdict", json_null());
		}
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(arr);
}

static void print_csv(const struct bl_gbench_row *rows, size_t n, const struct verdicts *vd)
{
	printf("name,time_unit,time_change,cpu_change,real_time_old,real_time_new,cpu_time_old,cpu_time_new,"
	       "time_pvalue,cpu_pvalue,verdict\n");
	for (size_t i = 0; i < n; i++) {
		const struct bl_gbench_row *r = &rows[i];
		for (size_t k = 0; k < r->n_m; k++) {
			const struct bl_gbench_measurement *m = &r->m[k];
			cli_csv_field(stdout, r->name);
			printf(",%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,", r->time_unit, m->time_change, m->cpu_change,
			       m->real_old, m->real_new, m->cpu_old, m->cpu_new);
			if (r->has_utest)
				printf("%.17g,%.17g,", r->time_p, r->cpu_p);
			else
				printf(",,");
			printf("%s\n", k == 0 ? verdict_cell(vd, i) : "");
		}
	}
}

int cli_compare_gbench(const char *old_path, const char *new_path, const char *alpha_opt, const char *format)
{
	struct bl_gbench_file a = {0}, b = {0};
	struct bl_gbench_row *rows = NULL;
	size_t n = 0;
	struct bl_error err = {{0}};
	struct cli_analysis an;
	struct verdicts vd = {0};
	int rc = EXIT_OK;
	if (cli_analysis_init(&an, "compare", NULL, false, alpha_opt, NULL))
		return EXIT_USAGE;
	if (bl_gbench_load(old_path, &a, &err) || bl_gbench_load(new_path, &b, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_gbench_compare(&a, &b, &rows, &n, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	judge_rows(&a, &b, rows, n, &an, &vd);
	if (!strcmp(format, "json"))
		print_json(rows, n, &vd);
	else if (!strcmp(format, "csv"))
		print_csv(rows, n, &vd);
	else if (!strcmp(format, "markdown"))
		print_markdown(rows, n, &vd);
	else
		print_table(rows, n, &vd);
	if (strcmp(format, "json") && strcmp(format, "csv")) {
		printf("\n");
		cli_print_verdict_counts(stdout, vd.counts);
		printf(" (real time repetitions; alpha %g, noise floor %s)\n", an.alpha, an.floor_text);
	}
	if (n == 0 || (n == 1 && rows[0].is_geomean)) {
		cli_error("no benchmark appears in both '%s' and '%s' with the same time unit", old_path, new_path);
		rc = EXIT_RUNTIME;
	} else if (vd.counts[BL_RV_REGRESSED]) {
		rc = EXIT_FAILURES;
	}
out:
	free(vd.v);
	free(vd.cmp);
	bl_gbench_rows_free(rows, n);
	bl_gbench_file_free(&a);
	bl_gbench_file_free(&b);
	cli_analysis_release(&an);
	return rc;
}
