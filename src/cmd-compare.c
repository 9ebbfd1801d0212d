/* cmd-compare.c - `benchline compare A B`: is B slower than A, by how much,
 * and how sure are we. Also `--gbench OLD.json NEW.json`. */
#include "cli.h"
#include "analysis.h"
#include "benchline/report.h"
#include "benchline/git.h"
#include "benchline/series.h"
#include "benchline/stats.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline compare [options] A B\n"
	"       benchline compare --gbench OLD.json NEW.json [--format FORMAT]\n"
	"\n"
	"Compares every benchmark series measured at both commits A (old) and B (new):\n"
	"both medians, the relative change B/A - 1 with its 95% confidence interval\n"
	"(Hodges-Lehmann on log values), the two-sided Mann-Whitney U p-value (exact\n"
	"for small samples without ties, as scipy.stats.mannwhitneyu), and a verdict:\n"
	"regressed, improved, unchanged, or not enough data. A change is reported only\n"
	"when p < alpha and |change| exceeds the noise floor; whether higher or lower\n"
	"is better comes from the metric. Run 'benchline run A B' first.\n"
	"\n"
	"Options:\n"
	"  --metric NAME       metric to compare (repeatable); 'all' for every metric\n"
	"                      (default: wall_time and the benchmarks' own metrics)\n"
	"  --benchmark NAME    only this benchmark (repeatable)\n"
	"  --alpha P           significance level (default: analysis.alpha or 0.01)\n"
	"  --noise-floor PCT   smallest change reported, e.g. 2% (default:\n"
	"                      analysis.noise_floor(s) of benchline.yaml, or 1%)\n"
	"  --format FORMAT     table (default), markdown (a pull-request comment),\n"
	"                      json or csv\n"
	"  --gbench            A and B are Google Benchmark JSON files\n"
	"                      (--benchmark_format=json, with --benchmark_repetitions\n"
	"                      for p-values); no repository or database is used\n"
	"  --config FILE       configuration (default: <repo>/benchline.yaml, optional)\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"\n"
	"Exit status: 0 no regression, 1 a regression was found, 2 usage or\n"
	"configuration error, 3 benchmark or build failures (or missing results)\n"
	"prevented the comparison, or a runtime error.\n";

struct row {
	const struct bl_series *series;
	const struct bl_series_point *old_pt, *new_pt;
	const char *problem; /* why there is no comparison, or NULL */
	struct bl_comparison cmp;
	double floor;
	enum bl_report_verdict verdict;
};

struct compare {
	struct bl_series_set set;
	struct row *rows;
	size_t n_rows, cap_rows;
	struct bl_commit_info old_ci, new_ci;
	struct cli_analysis an;
	bool multi_machine;
	size_t counts[BL_RV_COUNT];
	size_t prevented; /* series a failure kept from being compared */
};

static bool metric_wanted(const struct bl_series *s, char **metrics, size_t n_metrics, bool all)
{
	if (all)
		return true;
	if (n_metrics == 0)
		return !bl_metric_is_auxiliary(s->metric);
	for (size_t i = 0; i < n_metrics; i++)
		if (!strcmp(metrics[i], s->metric))
			return true;
	return false;
}

static bool bench_wanted(const char *name, char **benches, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(benches[i], name))
			return true;
	return false;
}

/* The status of a side: its point's, or its case's failure entry when it has no value. */
static const char *side_status(const struct compare *cmp, const struct bl_series *s, const char *sha,
			       const struct bl_series_point *pt)
{
	if (pt)
		return pt->status;
	const struct bl_series_point *f = bl_series_failed_at(&cmp->set, s->name, s->params_json, s->machine_id, sha);
	return f ? f->status : NULL;
}

/* The judgement the reports make too (benchline/verdict.h). */
static void judge(struct compare *cmp, struct row *r)
{
	const struct bl_series *s = r->series;
	r->floor = cli_analysis_floor(&cmp->an, s->metric);
	r->verdict = bl_judge_sides(side_status(cmp, s, cmp->old_ci.sha, r->old_pt), r->old_pt ? r->old_pt->n_values : 0,
				    side_status(cmp, s, cmp->new_ci.sha, r->new_pt), r->new_pt ? r->new_pt->n_values : 0,
				    &r->problem);
	if (r->verdict == BL_RV_COUNT)
		r->verdict = bl_judge_samples(r->old_pt->values, r->old_pt->n_values, r->new_pt->values,
					      r->new_pt->n_values, cmp->an.alpha, r->floor,
					      cli_metric_direction(s->better, s->unit), &r->cmp);
	else if (r->verdict == BL_RV_FAILED)
		cmp->prevented++;
	cmp->counts[r->verdict]++;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = (int)x->verdict - (int)y->verdict;
	if (c)
		return c;
	/* within a verdict, larger effects first */
	double ex = fabs(x->cmp.change), ey = fabs(y->cmp.change);
	if (ex != ey)
		return ex < ey ? 1 : -1;
	return (x > y) - (x < y);
}

/* ---- output ------------------------------------------------------------------------------------------------ */

static void fmt_change(const struct row *r, char *out, size_t size)
{
	if (r->problem)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%+.1f%%", 100 * r->cmp.change);
}

static void fmt_ci(const struct row *r, char *out, size_t size)
{
	if (r->problem || !r->cmp.ci_valid)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "[%+.1f%%, %+.1f%%]", 100 * r->cmp.change_lo, 100 * r->cmp.change_hi);
}

static void fmt_p(const struct row *r, char *out, size_t size)
{
	if (r->problem)
		snprintf(out, size, "-");
	else if (r->cmp.mwu.p < 0.0001)
		snprintf(out, size, "<0.0001");
	else
		snprintf(out, size, "%.4f", r->cmp.mwu.p);
}

static void fmt_side(const struct row *r, bool is_new, char *out, size_t size)
{
	const struct bl_series_point *pt = is_new ? r->new_pt : r->old_pt;
	struct bl_summary local;
	const struct bl_summary *sum = is_new ? &r->cmp.new_sum : &r->cmp.old_sum;
	if (!pt || pt->n_values == 0) {
		snprintf(out, size, "-");
		return;
	}
	if (r->problem) {
		/* not compared: still show what the side has */
		bl_summarize(pt->values, pt->n_values, &local);
		sum = &local;
	}
	char v[48];
	cli_format_value(sum->median, r->series->unit, v, sizeof(v));
	snprintf(out, size, "%s (n=%zu)", v, sum->n);
}

static void row_label(const struct compare *cmp, const struct row *r, char *out, size_t size)
{
	char clean[256];
	cli_sanitize(r->series->label, clean, sizeof(clean));
	cli_truncate(clean, 48);
	if (cmp->multi_machine) {
		char m[64];
		cli_sanitize(r->series->machine, m, sizeof(m));
		snprintf(out, size, "%s @%s", clean, m);
	} else {
		snprintf(out, size, "%s", clean);
	}
}

static void commit_line(const char *tag, const struct bl_commit_info *ci, char *out, size_t size)
{
	char subj[256];
	cli_sanitize(ci->subject ? ci->subject : "", subj, sizeof(subj));
	cli_truncate(subj, 60);
	snprintf(out, size, "%s %.10s %s", tag, ci->sha, subj);
}

static void print_table(const struct compare *cmp)
{
	bool color = cli_color(stdout);
	char a[320], b[320];
	commit_line("A", &cmp->old_ci, a, sizeof(a));
	commit_line("B", &cmp->new_ci, b, sizeof(b));
	printf("%s\n%s\n\n", a, b);
	int w_label = 9, w_metric = 6, w_old = 5, w_new = 5, w_ci = 6;
	for (size_t i = 0; i < cmp->n_rows; i++) {
		const struct row *r = &cmp->rows[i];
		char lab[400], buf[128];
		row_label(cmp, r, lab, sizeof(lab));
		if ((int)strlen(lab) > w_label)
			w_label = (int)strlen(lab);
		if ((int)strlen(r->series->metric) > w_metric)
			w_metric = (int)strlen(r->series->metric);
		fmt_side(r, false, buf, sizeof(buf));
		if ((int)strlen(buf) > w_old)
			w_old = (int)strlen(buf);
		fmt_side(r, true, buf, sizeof(buf));
		if ((int)strlen(buf) > w_new)
			w_new = (int)strlen(buf);
		fmt_ci(r, buf, sizeof(buf));
		if ((int)strlen(buf) > w_ci)
			w_ci = (int)strlen(buf);
	}
	if (w_metric > 24)
		w_metric = 24;
	printf("%-*s  %-*s  %*s  %*s  %8s  %-*s  %8s  %s\n", w_label, "benchmark", w_metric, "metric", w_old, "A", w_new,
	       "B", "change", w_ci, "95% CI", "p", "verdict");
	for (size_t i = 0; i < cmp->n_rows; i++) {
		const struct row *r = &cmp->rows[i];
		char lab[400], so[128], sn[128], ch[32], ci[64], p[32], metric[64];
		row_label(cmp, r, lab, sizeof(lab));
		cli_sanitize(r->series->metric, metric, sizeof(metric));
		cli_truncate(metric, 24);
		fmt_side(r, false, so, sizeof(so));
		fmt_side(r, true, sn, sizeof(sn));
		fmt_change(r, ch, sizeof(ch));
		fmt_ci(r, ci, sizeof(ci));
		fmt_p(r, p, sizeof(p));
		const char *on = "", *off = "";
		if (color && r->verdict == BL_RV_REGRESSED)
			on = "\033[31m", off = "\033[0m";
		else if (color && r->verdict == BL_RV_IMPROVED)
			on = "\033[32m", off = "\033[0m";
		printf("%-*s  %-*s  %*s  %*s  %8s  %-*s  %8s  %s%s%s%s%s\n", w_label, lab, w_metric, metric, w_old, so,
		       w_new, sn, ch, w_ci, ci, p, on, bl_report_verdict_name(r->verdict), off, r->problem ? ": " : "",
		       r->problem ? r->problem : "");
	}
	printf("\n");
	cli_print_verdict_counts(stdout, cmp->counts);
	printf(" (alpha %g, noise floor %s)\n", cmp->an.alpha, cmp->an.floor_text);
	if (cmp->counts[BL_RV_NOT_ENOUGH])
		printf("'not enough data': too few repetitions for the test to reach alpha; raise 'repetitions' or run "
		       "'benchline run --force A B' to add some.\n");
}

/* A markdown table cell, escaped as the reports escape them (bl_md_escape). Owned by the caller. */
static char *md_cell(const char *s)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_md_escape(&b, s);
	return bl_buf_detach(&b);
}

static void print_markdown(const struct compare *cmp)
{
	char sa[300], sb[300];
	cli_sanitize(cmp->old_ci.subject ? cmp->old_ci.subject : "", sa, sizeof(sa));
	cli_sanitize(cmp->new_ci.subject ? cmp->new_ci.subject : "", sb, sizeof(sb));
	char *a = md_cell(sa), *b = md_cell(sb);
	printf("## benchline: %.10s → %.10s\n\n", cmp->old_ci.sha, cmp->new_ci.sha);
	printf("- A: `%.10s` %s\n- B: `%.10s` %s\n\n", cmp->old_ci.sha, a, cmp->new_ci.sha, b);
	free(a);
	free(b);
	if (cmp->counts[BL_RV_REGRESSED])
		printf("**%zu regression%s found.** ", cmp->counts[BL_RV_REGRESSED],
		       cmp->counts[BL_RV_REGRESSED] == 1 ? "" : "s");
	cli_print_verdict_counts(stdout, cmp->counts);
	printf(" (alpha %g, noise floor %s)\n\n", cmp->an.alpha, cmp->an.floor_text);
	printf("| | benchmark | metric | A | B | change | 95%% CI | p |\n|---|---|---|--:|--:|--:|---|--:|\n");
	for (size_t i = 0; i < cmp->n_rows; i++) {
		const struct row *r = &cmp->rows[i];
		char lab[400], so[128], sn[128], ch[32], ci[64], p[32];
		row_label(cmp, r, lab, sizeof(lab));
		char *cell = md_cell(lab), *metric = md_cell(r->series->metric);
		fmt_side(r, false, so, sizeof(so));
		fmt_side(r, true, sn, sizeof(sn));
		fmt_change(r, ch, sizeof(ch));
		fmt_ci(r, ci, sizeof(ci));
		fmt_p(r, p, sizeof(p));
		printf("| %s %s | %s | %s | %s | %s | %s | %s | %s |\n", bl_report_verdict_mark(r->verdict),
		       bl_report_verdict_name(r->verdict), cell, metric, so, sn, ch, r->problem ? r->problem : ci, p);
		free(cell);
		free(metric);
	}
}

static json_t *side_json(const struct row *r, bool is_new)
{
	const struct bl_series_point *pt = is_new ? r->new_pt : r->old_pt;
	if (!pt || pt->n_values == 0)
		return json_null();
	struct bl_summary sum;
	bl_summarize(pt->values, pt->n_values, &sum);
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer((json_int_t)sum.n));
	json_object_set_new(o, "median", json_real(sum.median));
	json_object_set_new(o, "mean", json_real(sum.mean));
	json_object_set_new(o, "stddev", json_real(sum.stddev));
	json_object_set_new(o, "mad", json_real(sum.mad));
	json_object_set_new(o, "min", json_real(sum.min));
	json_object_set_new(o, "max", json_real(sum.max));
	json_object_set_new(o, "median_ci", sum.ci_valid ? json_pack("[ff]", sum.median_lo, sum.median_hi) : json_null());
	json_object_set_new(o, "status", json_string(pt->status));
	return o;
}

static json_t *commit_json(const struct bl_commit_info *ci)
{
	return json_pack("{s:s, s:s}", "sha", ci->sha, "subject", ci->subject ? ci->subject : "");
}

static void print_json(const struct compare *cmp)
{
	json_t *root = json_object();
	json_object_set_new(root, "old", commit_json(&cmp->old_ci));
	json_object_set_new(root, "new", commit_json(&cmp->new_ci));
	json_object_set_new(root, "alpha", json_real(cmp->an.alpha));
	json_t *arr = json_array();
	for (size_t i = 0; i < cmp->n_rows; i++) {
		const struct row *r = &cmp->rows[i];
		const struct bl_series *s = r->series;
		json_t *o = json_object();
		json_object_set_new(o, "benchmark", json_string(s->name));
		json_t *params = json_loads(s->params_json, 0, NULL);
		json_object_set_new(o, "params", params ? params : json_object());
		json_object_set_new(o, "machine", json_string(s->machine));
		json_object_set_new(o, "metric", json_string(s->metric));
		json_object_set_new(o, "unit", json_string(s->unit));
		const char *better = bl_better_name(cli_metric_direction(s->better, s->unit));
		json_object_set_new(o, "better", better ? json_string(better) : json_null());
		json_object_set_new(o, "old", side_json(r, false));
		json_object_set_new(o, "new", side_json(r, true));
		if (r->problem) {
			json_object_set_new(o, "change", json_null());
			json_object_set_new(o, "change_ci", json_null());
			json_object_set_new(o, "p", json_null());
		} else {
			json_object_set_new(o, "change", json_real(r->cmp.change));
			json_object_set_new(o, "change_ci", r->cmp.ci_valid ? json_pack("[ff]", r->cmp.change_lo,
											 r->cmp.change_hi)
									    : json_null());
			json_object_set_new(o, "p", json_real(r->cmp.mwu.p));
			json_object_set_new(o, "p_exact", json_boolean(r->cmp.mwu.exact));
		}
		json_object_set_new(o, "noise_floor", json_real(r->floor));
		json_object_set_new(o, "verdict", json_string(bl_report_verdict_name(r->verdict)));
		json_object_set_new(o, "problem", r->problem ? json_string(r->problem) : json_null());
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "results", arr);
	json_t *counts = json_object();
	for (int v = 0; v < BL_RV_COUNT; v++)
		json_object_set_new(counts, bl_report_verdict_name((enum bl_report_verdict)v), json_integer((json_int_t)cmp->counts[v]));
	json_object_set_new(root, "counts", counts);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static void print_csv(const struct compare *cmp)
{
	printf("benchmark,params,machine,metric,unit,old_n,old_median,new_n,new_median,change,change_lo,change_hi,p,"
	       "verdict,problem\n");
	for (size_t i = 0; i < cmp->n_rows; i++) {
		const struct row *r = &cmp->rows[i];
		const struct bl_series *s = r->series;
		cli_csv_field(stdout, s->name);
		putchar(',');
		cli_csv_field(stdout, s->params_json);
		putchar(',');
		cli_csv_field(stdout, s->machine);
		putchar(',');
		cli_csv_field(stdout, s->metric);
		putchar(',');
		cli_csv_field(stdout, s->unit);
		if (r->problem) {
			printf(",%zu,,%zu,,,,,,", r->old_pt ? r->old_pt->n_values : 0,
			       r->new_pt ? r->new_pt->n_values : 0);
		} else {
			printf(",%zu,%.17g,%zu,%.17g,%.17g,", r->cmp.old_sum.n, r->cmp.old_sum.median, r->cmp.new_sum.n,
			       r->cmp.new_sum.median, r->cmp.change);
			if (r->cmp.ci_valid)
				printf("%.17g,%.17g,", r->cmp.change_lo, r->cmp.change_hi);
			else
				printf(",,");
			printf("%.17g,", r->cmp.mwu.p);
		}
		printf("%s,", bl_report_verdict_name(r->verdict));
		cli_csv_field(stdout, r->problem ? r->problem : "");
		putchar('\n');
	}
}

/* ---- the command ------------------------------------------------------------------------------------------- */

enum { OPT_METRIC = 256, OPT_BENCH, OPT_ALPHA, OPT_FLOOR, OPT_FORMAT, OPT_GBENCH, OPT_CONFIG, OPT_DB };

static int resolve_side(const char *repo, const char *rev, struct bl_commit_info *ci, struct bl_error *err)
{
	char sha[BL_SHA_HEX + 1];
	if (bl_git_resolve(repo, rev, sha, err))
		return -1;
	return bl_git_commit_info(repo, sha, ci, err);
}

static int compare_db(const struct cli_context *ctx, const char *old_rev, const char *new_rev, char **metrics,
		      size_t n_metrics, char **benches, size_t n_benches, const char *format, struct compare *cmp)
{
	struct bl_error err = {{0}};
	struct bl_store *store = NULL;
	if (resolve_side(ctx->repo, old_rev, &cmp->old_ci, &err) || resolve_side(ctx->repo, new_rev, &cmp->new_ci, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (access(ctx->db_path, F_OK) != 0 && !strstr(ctx->db_path, "://")) {
		cli_error("no results yet: database '%s' does not exist (run 'benchline run %s %s' first)", ctx->db_path,
			  old_rev, new_rev);
		return EXIT_RUNTIME;
	}
	if (bl_store_open(ctx->db_path, &store, &err)) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	const char *shas[2] = {cmp->old_ci.sha, cmp->new_ci.sha};
	bool all = n_metrics == 1 && !strcmp(metrics[0], "all");
	struct bl_point_query q = {
		.repository = ctx->repo,
		.shas = shas,
		.n_shas = 2,
		.metric = n_metrics == 1 && !all ? metrics[0] : NULL,
		.benchmark = n_benches == 1 ? benches[0] : NULL,
	};
	int rc = bl_series_load(store, &q, &cmp->set, &err);
	bl_store_close(store);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < cmp->set.n; i++) {
		const struct bl_series *s = &cmp->set.v[i];
		if (!metric_wanted(s, metrics, n_metrics, all) || !bench_wanted(s->name, benches, n_benches))
			continue;
		if (i && s->machine_id != cmp->set.v[0].machine_id)
			cmp->multi_machine = true;
		BL_GROW(cmp->rows, cmp->cap_rows, cmp->n_rows + 1);
		struct row *r = &cmp->rows[cmp->n_rows++];
		memset(r, 0, sizeof(*r));
		r->series = s;
		r->old_pt = bl_series_point_at(s, cmp->old_ci.sha);
		r->new_pt = bl_series_point_at(s, cmp->new_ci.sha);
		judge(cmp, r);
	}
	/* Cases that failed everywhere have no metric series at all. */
	for (size_t i = 0; i < cmp->set.n_failed_cases; i++) {
		const struct bl_series *f = &cmp->set.failed_cases[i];
		if (!bench_wanted(f->name, benches, n_benches))
			continue;
		bool has_series = false;
		for (size_t j = 0; j < cmp->set.n && !has_series; j++)
			has_series = cmp->set.v[j].machine_id == f->machine_id && !strcmp(cmp->set.v[j].name, f->name) &&
				     !strcmp(cmp->set.v[j].params_json, f->params_json);
		if (!has_series) {
			cmp->prevented++;
			char lab[256];
			cli_sanitize(f->label, lab, sizeof(lab));
			cli_warn("%s: no results at either commit (%s)", lab, f->points[0].status);
		}
	}
	if (cmp->n_rows == 0) {
		if (cmp->prevented)
			return EXIT_RUNTIME;
		cli_error("no results to compare for %.10s and %.10s%s (run 'benchline run %s %s' first)", cmp->old_ci.sha,
			  cmp->new_ci.sha, n_metrics || n_benches ? " with these --metric/--benchmark filters" : "",
			  old_rev, new_rev);
		return EXIT_RUNTIME;
	}
	size_t compared = 0;
	for (int v = 0; v < BL_RV_COUNT; v++)
		if (v != BL_RV_FAILED && v != BL_RV_MISSING)
			compared += cmp->counts[v];
	qsort(cmp->rows, cmp->n_rows, sizeof(cmp->rows[0]), cmp_rows);
	if (!strcmp(format, "json"))
		print_json(cmp);
	else if (!strcmp(format, "csv"))
		print_csv(cmp);
	else if (!strcmp(format, "markdown"))
		print_markdown(cmp);
	else
		print_table(cmp);
	if (cmp->counts[BL_RV_REGRESSED])
		return EXIT_FAILURES;
	if (cmp->prevented || compared == 0)
		return EXIT_RUNTIME;
	return EXIT_OK;
}

static int cmd_compare_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"metric", required_argument, NULL, OPT_METRIC},
		{"benchmark", required_argument, NULL, OPT_BENCH},
		{"alpha", required_argument, NULL, OPT_ALPHA},
		{"noise-floor", required_argument, NULL, OPT_FLOOR},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"gbench", no_argument, NULL, OPT_GBENCH},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	const char *format = "table", *alpha_opt = NULL, *floor_opt = NULL, *config_opt = NULL, *db_opt = NULL;
	bool gbench = false;
	struct bl_strvec metrics, benches;
	bl_strvec_init(&metrics);
	bl_strvec_init(&benches);
	int rc = EXIT_OK;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_METRIC: bl_strvec_push(&metrics, optarg); break;
		case OPT_BENCH: bl_strvec_push(&benches, optarg); break;
		case OPT_ALPHA: alpha_opt = optarg; break;
		case OPT_FLOOR: floor_opt = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_GBENCH: gbench = true; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case ':': rc = cli_usage_error("compare", "option '%s' needs a value", argv[optind - 1]); goto done;
		default: rc = cli_usage_error("compare", "unknown option '%s'", argv[optind - 1]); goto done;
		}
	}
	if (strcmp(format, "table") && strcmp(format, "markdown") && strcmp(format, "json") && strcmp(format, "csv")) {
		rc = cli_usage_error("compare", "unknown --format '%s': expected table, markdown, json or csv", format);
		goto done;
	}
	if (argc - optind != 2) {
		rc = cli_usage_error("compare", "expected two %s (old and new), got %d",
				     gbench ? "Google Benchmark JSON files" : "revisions", argc - optind);
		goto done;
	}
	for (size_t i = 0; i < metrics.n; i++)
		if (!strcmp(metrics.v[i], "all") && metrics.n > 1) {
			rc = cli_usage_error("compare", "--metric all cannot be combined with other --metric names");
			goto done;
		}
	if (gbench) {
		rc = cli_compare_gbench(argv[optind], argv[optind + 1], alpha_opt, format);
		goto done;
	}
	struct cli_context ctx;
	struct bl_error err = {{0}};
	if (cli_context_init(&ctx, config_opt, db_opt, NULL, true, &err)) {
		cli_error("%s", err.msg);
		cli_context_release(&ctx);
		rc = EXIT_USAGE;
		goto done;
	}
	struct compare cmp;
	memset(&cmp, 0, sizeof(cmp));
	if (cli_analysis_init(&cmp.an, "compare", &ctx, config_opt != NULL, alpha_opt, floor_opt)) {
		rc = EXIT_USAGE;
	} else {
		rc = compare_db(&ctx, argv[optind], argv[optind + 1], metrics.v, metrics.n, benches.v, benches.n, format,
				&cmp);
	}
	cli_analysis_release(&cmp.an);
	free(cmp.rows);
	bl_series_set_release(&cmp.set);
	bl_commit_info_release(&cmp.old_ci);
	bl_commit_info_release(&cmp.new_ci);
	cli_context_release(&ctx);
done:
	bl_strvec_release(&metrics);
	bl_strvec_release(&benches);
	return rc;
}

const struct cli_command cli_cmd_compare = {
	.name = "compare",
	.fn = cmd_compare_main,
	.summary = "compare two commits: change, confidence interval, p-value, verdict",
	.usage = usage,
};
